export { HfStatsModule } from './hf-stats.module.js';
export {
  HfStatsOptions,
  type HfSessionIdResolver,
  type HfStatsModuleAsyncOptions,
  type HfStatsModuleOptions,
  type HfStatsStaticOptions,
} from './hf-stats.options.js';
export { HfStatsService, type HfRunInSessionOptions, type HfSessionFilter } from './hf-stats.service.js';
export { HfStatsInterceptor } from './hf-stats.interceptor.js';
export { HfStatsControllerBase } from './hf-stats.controller.js';
export { TrackHFCall, type TrackHFCallOptions } from './decorators/track-hf-call.decorator.js';
export type {
  HfCallInput,
  HfSessionEndReason,
  HfSessionStats,
  HfStats,
  HfStatsSnapshot,
} from './stats/hf-stats.interfaces.js';
