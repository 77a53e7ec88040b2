export { HfStatsModule } from './hf-stats.module.js';
export {
  HfStatsSettings,
  HfStatsOptions,
  type HfSessionIdResolver,
  type HfStatsModuleAsyncOptions,
  type HfStatsModuleOptions,
  type HfStatsStaticOptions,
} from './hf-stats.options.js';
export {
  HfStatsService,
  type HfRunInSessionOptions,
  type HfSessionFilter,
  type HfSessionPageRequest,
} from './hf-stats.service.js';
export { HfStatsInterceptor } from './hf-stats.interceptor.js';
export { HfStatsControllerBase } from './hf-stats.controller.js';
export { HfStatsTimelineService } from './dashboard/hf-stats-timeline.service.js';
export type { HfTimeline, HfTimelinePoint } from './dashboard/timeline.interfaces.js';
export { TrackHFCall } from './decorators/track-hf-call.decorator.js';
export type { TrackHFCallOptions } from './decorators/track-hf-call.options.js';
export type {
  HfCallInput,
  HfModelStats,
  HfPriceSources,
  HfSessionEndReason,
  HfSessionPage,
  HfSessionStats,
  HfStats,
  HfStatsSnapshot,
} from './stats/hf-stats.interfaces.js';
export { createHfStatsFetch, type HfStatsFetchOptions } from './fetch/hf-stats-fetch.js';
export type { HfComputeTimeUnit } from './fetch/compute-headers.js';
export { HfBudgetExceededError, type HfBudgetExceededBody, type HfBudgetLimit } from './hf-stats.exceptions.js';
export type { HfBudgetOptions } from './stats/budget.js';
export type { HfPriceRule } from './stats/pricing/price-rules.js';
export { HfRouterPricing, type HfRouterPricingStatus } from './stats/pricing/hf-router-pricing.service.js';
export type { HfRouterPricingOptions } from './stats/pricing/router-pricing.options.js';
export type { HfMetricsOptions, HfPrometheusOptions, HfPrometheusRegistry } from './metrics/metrics.options.js';
export { HF_STATS_SUMMARY_INTERVAL_MS, HF_STATS_SUMMARY_JOB } from './hf-stats.scheduler.js';
export { HfStatsLogSettings, type HfStatsLogFormat, type HfStatsLogOptions } from './logging/hf-stats-log.options.js';
export type { HfCallLogEntry, HfSessionEndLogEntry, HfStatsLogEntry, HfSummaryLogEntry } from './logging/log-lines.js';
export { HfStatsStore, type HfSessionEndHandler, type HfStoreRead } from './stores/hf-stats-store.js';
export type { HfSessionKey, HfSessionPageOf, HfSessionPageQuery } from './sessions/session-page.js';
export type {
  HfMemoryStoreOptions,
  HfRedisClient,
  HfRedisStoreOptions,
  HfStatsStoreOptions,
} from './stores/hf-stats-store.options.js';
export { HfMemoryStore } from './stores/hf-memory-store.js';
export {
  trackInferenceClient,
  type TrackInferenceClientOptions,
} from './clients/inference-client/track-inference-client.js';
export { InjectInferenceClient } from './clients/inference-client/inference-client.provider.js';
export type { HfInferenceClientOptions } from './clients/inference-client/inference-client.options.js';
export { trackOpenAI, type TrackOpenAIOptions } from './clients/openai/track-openai.js';
export type { HfFetchTrackOptions } from './fetch/fetch-track.js';
export {
  hfStatsMiddleware,
  trackEmbeddingModel,
  type HfStatsAiSdkOptions,
  type HfStatsLanguageModelMiddleware,
} from './clients/ai-sdk/hf-stats-middleware.js';
export {
  hfStatsCallbacks,
  type HfStatsLangChainCallbacks,
  type HfStatsLangChainOptions,
} from './clients/langchain/hf-stats-callbacks.js';
