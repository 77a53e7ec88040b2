import type {
  CanActivate,
  ExecutionContext,
  InjectionToken,
  ModuleMetadata,
  OptionalFactoryDependency,
  Type,
} from '@nestjs/common';
import { invalidOption } from './hf-stats.messages.js';
import { validateBudget, type HfBudgetOptions } from './stats/budget.js';
import {
  HfMemoryStoreSettings,
  resolveHfStatsStoreOptions,
  type HfStatsStoreOptions,
  type HfStatsStoreSettings,
} from './stores/hf-stats-store.options.js';
import { HfMetricsSettings, resolveHfMetricsOptions, type HfMetricsOptions } from './metrics/metrics.options.js';
import { validateHfPriceRules, type HfPriceRule } from './stats/pricing/price-rules.js';
import {
  resolveHfRouterPricingOptions,
  type HfRouterPricingOptions,
  type HfRouterPricingSettings,
} from './stats/pricing/router-pricing.options.js';
import {
  HfStatsLogSettings,
  resolveHfStatsLogOptions,
  type HfStatsLogOptions,
} from './logging/hf-stats-log.options.js';
import {
  resolveInferenceClientOptions,
  type HfInferenceClientOptions,
  type HfInferenceClientSettings,
} from './clients/inference-client/inference-client.options.js';
import { booleanOption, integerOption, mergeOntoDefaults, positiveInteger, urlPath } from './utils/option-checks.js';

/** Reads the session id of a request; return `undefined` when the request has none. */
export type HfSessionIdResolver = (context: ExecutionContext) => string | undefined;

/**
 * Options of `HfStatsModule.forRoot()`. Every field is optional; the defaults are those of
 * {@link HfStatsSettings}.
 */
export interface HfStatsModuleOptions {
  /** Request header that carries the session id. Default `'x-session-id'`. */
  sessionHeader?: string;
  /**
   * Reads the session id from the execution context instead of `sessionHeader`. It needs the
   * `ExecutionContext`, so the module then binds `HfStatsInterceptor` globally, which costs every
   * route Nest's interceptor pipeline (about 10 µs per request).
   */
  resolveSessionId?: HfSessionIdResolver;
  /** Longest session id accepted; longer ones are rejected and counted. Default 128. */
  sessionIdMaxLength?: number;
  /** Characters a session id may contain. Default `/^[A-Za-z0-9._:@-]+$/`. */
  sessionIdPattern?: RegExp;
  /** A session with no call for this long ends with reason `idle`. `0` disables. Default 300000 (5 min). */
  sessionIdleTimeoutMs?: number;
  /** Most sessions kept in memory, active and ended together. Default 10000. */
  maxSessions?: number;
  /** Serve `GET /<path>` and `GET /<path>/sessions/:id`. Default `true`. */
  controller?: boolean;
  /** Route prefix of the controller. Default `'hf-stats'`. */
  path?: string;
  /** Guards applied to the controller's routes (for example an API-key or admin guard). Default none. */
  guards?: Array<Type<CanActivate> | CanActivate>;
  /**
   * Says that the routes have no guards of the module's own on purpose (a global guard of the app covers
   * them, or they are public). Without guards and without it, the module warns once at startup when
   * `NODE_ENV` is `production`. Default `false`.
   */
  publicRoutes?: boolean;
  /**
   * Bind every HTTP request of the app to its session and its Server-Timing: from the HTTP server's
   * pipeline (an Express middleware, a Fastify `preHandler` hook), or with `HfStatsInterceptor` bound
   * globally when `resolveSessionId` is given. `false`: bind `@UseInterceptors(HfStatsInterceptor)`
   * yourself where needed. Default `true`.
   */
  globalInterceptor?: boolean;
  /** The statistics log file (`logs/hf_api_stats.log`); `false` turns it off. Default `true` (the defaults of {@link HfStatsLogOptions}). */
  log?: boolean | HfStatsLogOptions;
  /** Price rules for the cost estimate, first match wins. Default none: every call is unpriced. */
  pricing?: readonly HfPriceRule[];
  /** Limits per session. Default none. */
  budget?: HfBudgetOptions;
  /**
   * How long a session's end waits for its tracked calls in flight, so that its `hf_session_end` line counts
   * them; `0`: no wait. Default 60000 (1 min).
   */
  sessionEndTimeoutMs?: number;
  /**
   * How long shutdown waits for the tracked calls in flight before it ends the sessions and makes the last
   * flush; `0`: no wait. Default 10000 (10 s).
   */
  shutdownTimeoutMs?: number;
  /** Distinct model names with figures of their own in each scope; the rest count under `"other"`. Default 50. */
  maxModels?: number;
  /** Where the figures are kept: this process (`{ type: 'memory' }`, the default) or Redis, shared by every replica. */
  store?: HfStatsStoreOptions;
  /** Prometheus and OpenTelemetry metrics of the tracked calls. Default none. */
  metrics?: HfMetricsOptions;
  /** One OpenTelemetry span per tracked call, through the global `TracerProvider` (needs `@opentelemetry/api`). Default `false`. */
  tracing?: boolean;
  /** Add `Server-Timing: hf;dur=<ms>;desc="<n> calls"` to HTTP responses whose handling made tracked calls. Default `true`. */
  serverTiming?: boolean;
  /** Minutes of per-minute figures kept for `GET /<path>/timeline` and the dashboard (a fixed ring). Default 60, at most 10080. */
  timelineMinutes?: number;
  /** Provide a tracked `InferenceClient` made with these options, injected with `@InjectInferenceClient()`. Default none. */
  inferenceClient?: HfInferenceClientOptions;
  /**
   * Price token-billed calls per (model, provider) from Hugging Face's own table (`GET /v1/models` of the
   * router), read at startup and every `refreshIntervalMs`; `pricing` rules win over it. Default off.
   */
  routerPricing?: boolean | HfRouterPricingOptions;
}

/** The options that shape the module itself, so they cannot come from an async factory. */
export type HfStatsStaticOptions = Pick<
  HfStatsModuleOptions,
  'controller' | 'path' | 'guards' | 'globalInterceptor' | 'metrics'
>;

/** Options of `HfStatsModule.forRootAsync()`. */
export interface HfStatsModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'>, HfStatsStaticOptions {
  useFactory: (
    ...args: never[]
  ) =>
    | Omit<HfStatsModuleOptions, keyof HfStatsStaticOptions>
    | Promise<Omit<HfStatsModuleOptions, keyof HfStatsStaticOptions>>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
}

/** The settings in force: user options merged once onto these defaults. */
export class HfStatsSettings {
  sessionHeader = 'x-session-id';
  resolveSessionId: HfSessionIdResolver | undefined = undefined;
  sessionIdMaxLength = 128;
  sessionIdPattern: RegExp = /^[A-Za-z0-9._:@-]+$/;
  sessionIdleTimeoutMs = 300_000;
  maxSessions = 10_000;
  controller = true;
  path = 'hf-stats';
  guards: Array<Type<CanActivate> | CanActivate> = [];
  publicRoutes = false;
  globalInterceptor = true;
  log: HfStatsLogSettings | false = new HfStatsLogSettings();
  pricing: HfPriceRule[] = [];
  budget: HfBudgetOptions | undefined = undefined;
  sessionEndTimeoutMs = 60_000;
  shutdownTimeoutMs = 10_000;
  maxModels = 50;
  store: HfStatsStoreSettings = new HfMemoryStoreSettings();
  metrics: HfMetricsSettings = new HfMetricsSettings();
  tracing = false;
  serverTiming = true;
  timelineMinutes = 60;
  inferenceClient: HfInferenceClientSettings | undefined = undefined;
  routerPricing: HfRouterPricingSettings | undefined = undefined;
}

/**
 * @deprecated Renamed {@link HfStatsSettings} (the settings in force; `HfStatsModuleOptions` is what users
 * write). This alias will be removed in the next major version.
 */
export const HfStatsOptions = HfStatsSettings;
/** @deprecated Renamed {@link HfStatsSettings}. */
export type HfStatsOptions = HfStatsSettings;

const ONE_WEEK = 'an integer from 1 to 10080 (one week)';
const KNOWN_OPTIONS = `one of the known options (${Object.keys(new HfStatsSettings()).join(', ')})`;

/** Merges user options onto the defaults, or throws an error naming the first invalid option. */
export function resolveHfStatsOptions(options: HfStatsModuleOptions = {}): HfStatsSettings {
  if (options === null || typeof options !== 'object') {
    throw invalidOption('options', options, 'an object');
  }
  const resolved = mergeOntoDefaults(new HfStatsSettings(), options as Record<string, unknown>, '', KNOWN_OPTIONS);

  if (typeof resolved.sessionHeader !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(resolved.sessionHeader)) {
    throw invalidOption('sessionHeader', resolved.sessionHeader, 'a non-empty HTTP header name');
  }
  resolved.sessionHeader = resolved.sessionHeader.toLowerCase();
  if (resolved.resolveSessionId !== undefined && typeof resolved.resolveSessionId !== 'function') {
    throw invalidOption('resolveSessionId', resolved.resolveSessionId, 'a function (context) => string | undefined');
  }
  positiveInteger('sessionIdMaxLength', resolved.sessionIdMaxLength);
  if (
    !(resolved.sessionIdPattern instanceof RegExp) ||
    resolved.sessionIdPattern.global ||
    resolved.sessionIdPattern.sticky
  ) {
    throw invalidOption('sessionIdPattern', resolved.sessionIdPattern, 'a RegExp without the g or y flag');
  }
  integerOption(
    'sessionIdleTimeoutMs',
    resolved.sessionIdleTimeoutMs,
    0,
    'an integer number of milliseconds >= 0 (0 disables the idle timeout)',
  );
  positiveInteger('maxSessions', resolved.maxSessions);
  booleanOption('controller', resolved.controller);
  urlPath('path', resolved.path, "'hf-stats' or 'internal/hf-stats'");
  if (
    !Array.isArray(resolved.guards) ||
    resolved.guards.some(
      (guard) =>
        typeof guard !== 'function' &&
        (typeof guard !== 'object' || guard === null || typeof guard.canActivate !== 'function'),
    )
  ) {
    throw invalidOption('guards', resolved.guards, 'an array of guard classes or guard instances');
  }
  booleanOption('publicRoutes', resolved.publicRoutes);
  booleanOption('globalInterceptor', resolved.globalInterceptor);
  resolved.log = resolveHfStatsLogOptions(options.log);
  resolved.pricing = validateHfPriceRules(resolved.pricing);
  resolved.budget = validateBudget(resolved.budget);
  for (const option of ['sessionEndTimeoutMs', 'shutdownTimeoutMs'] as const) {
    integerOption(option, resolved[option], 0, 'an integer number of milliseconds >= 0 (0: no wait)');
  }
  positiveInteger('maxModels', resolved.maxModels);
  resolved.metrics = resolveHfMetricsOptions(options.metrics, resolved.path);
  booleanOption('tracing', resolved.tracing);
  booleanOption('serverTiming', resolved.serverTiming);
  if (integerOption('timelineMinutes', resolved.timelineMinutes, 1, ONE_WEEK) > 10_080) {
    throw invalidOption('timelineMinutes', resolved.timelineMinutes, ONE_WEEK);
  }
  resolved.store = resolveHfStatsStoreOptions(options.store);
  resolved.inferenceClient = resolveInferenceClientOptions(options.inferenceClient);
  resolved.routerPricing = resolveHfRouterPricingOptions(options.routerPricing);
  return resolved;
}
