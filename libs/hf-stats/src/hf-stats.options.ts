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
  resolveHfStatsStoreOptions,
  type HfStatsStoreOptions,
  type HfStatsStoreSettings,
} from './stores/hf-stats-store.options.js';
import {
  resolveBooleanOption,
  resolveHfMetricsOptions,
  type HfMetricsOptions,
  type HfMetricsSettings,
} from './metrics/metrics.options.js';
import { validateHfPriceRules, type HfPriceRule } from './stats/pricing.js';
import {
  HfStatsLogSettings,
  resolveHfStatsLogOptions,
  type HfStatsLogOptions,
} from './logging/hf-stats-log.options.js';

/** Reads the session id of a request; return `undefined` when the request has none. */
export type HfSessionIdResolver = (context: ExecutionContext) => string | undefined;

/**
 * Options of `HfStatsModule.forRoot()`. Every field is optional; the defaults are those of
 * {@link HfStatsOptions}.
 */
export interface HfStatsModuleOptions {
  /** Request header that carries the session id. Default `'x-session-id'`. */
  sessionHeader?: string;
  /** Reads the session id from the execution context instead of `sessionHeader`. */
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
  /** Bind `HfStatsInterceptor` to every route of the app. Default `true`. */
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

/** The options in force: user options merged once onto these defaults. */
export class HfStatsOptions {
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
  store: HfStatsStoreSettings = { type: 'memory' };
  metrics: HfMetricsSettings = { prometheus: false, openTelemetry: false };
  tracing = false;
  serverTiming = true;
  timelineMinutes = 60;
}

const KNOWN_OPTIONS = new Set<string>(Object.keys(new HfStatsOptions()));

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Merges user options onto the defaults, or throws an error naming the first invalid option. */
export function resolveHfStatsOptions(options: HfStatsModuleOptions = {}): HfStatsOptions {
  if (options === null || typeof options !== 'object') {
    throw invalidOption('options', options, 'an object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw invalidOption(
        key,
        (options as Record<string, unknown>)[key],
        `one of the known options (${[...KNOWN_OPTIONS].join(', ')})`,
      );
    }
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const resolved: HfStatsOptions = Object.assign(new HfStatsOptions(), defined);

  if (typeof resolved.sessionHeader !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(resolved.sessionHeader)) {
    throw invalidOption('sessionHeader', resolved.sessionHeader, 'a non-empty HTTP header name');
  }
  resolved.sessionHeader = resolved.sessionHeader.toLowerCase();
  if (resolved.resolveSessionId !== undefined && typeof resolved.resolveSessionId !== 'function') {
    throw invalidOption('resolveSessionId', resolved.resolveSessionId, 'a function (context) => string | undefined');
  }
  if (!isPositiveInteger(resolved.sessionIdMaxLength)) {
    throw invalidOption('sessionIdMaxLength', resolved.sessionIdMaxLength, 'a positive integer');
  }
  if (
    !(resolved.sessionIdPattern instanceof RegExp) ||
    resolved.sessionIdPattern.global ||
    resolved.sessionIdPattern.sticky
  ) {
    throw invalidOption('sessionIdPattern', resolved.sessionIdPattern, 'a RegExp without the g or y flag');
  }
  if (!(Number.isSafeInteger(resolved.sessionIdleTimeoutMs) && resolved.sessionIdleTimeoutMs >= 0)) {
    throw invalidOption(
      'sessionIdleTimeoutMs',
      resolved.sessionIdleTimeoutMs,
      'an integer number of milliseconds >= 0 (0 disables the idle timeout)',
    );
  }
  if (!isPositiveInteger(resolved.maxSessions)) {
    throw invalidOption('maxSessions', resolved.maxSessions, 'a positive integer');
  }
  if (typeof resolved.controller !== 'boolean') {
    throw invalidOption('controller', resolved.controller, 'true or false');
  }
  if (
    typeof resolved.path !== 'string' ||
    !/^\/?[A-Za-z0-9_~-][A-Za-z0-9._~-]*(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*\/?$/.test(resolved.path)
  ) {
    throw invalidOption('path', resolved.path, "a URL path such as 'hf-stats' or 'internal/hf-stats'");
  }
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
  if (typeof resolved.publicRoutes !== 'boolean') {
    throw invalidOption('publicRoutes', resolved.publicRoutes, 'true or false');
  }
  if (typeof resolved.globalInterceptor !== 'boolean') {
    throw invalidOption('globalInterceptor', resolved.globalInterceptor, 'true or false');
  }
  resolved.log = resolveHfStatsLogOptions(options.log);
  resolved.pricing = validateHfPriceRules(resolved.pricing);
  resolved.budget = validateBudget(resolved.budget);
  for (const option of ['sessionEndTimeoutMs', 'shutdownTimeoutMs'] as const) {
    if (!(Number.isSafeInteger(resolved[option]) && resolved[option] >= 0)) {
      throw invalidOption(option, resolved[option], 'an integer number of milliseconds >= 0 (0: no wait)');
    }
  }
  if (!isPositiveInteger(resolved.maxModels)) {
    throw invalidOption('maxModels', resolved.maxModels, 'a positive integer');
  }
  resolved.metrics = resolveHfMetricsOptions(options.metrics, resolved.path);
  resolved.tracing = resolveBooleanOption('tracing', options.tracing, false);
  resolved.serverTiming = resolveBooleanOption('serverTiming', options.serverTiming, true);
  if (!isPositiveInteger(resolved.timelineMinutes) || resolved.timelineMinutes > 10_080) {
    throw invalidOption('timelineMinutes', resolved.timelineMinutes, 'an integer from 1 to 10080 (one week)');
  }
  resolved.store = resolveHfStatsStoreOptions(options.store);
  return resolved;
}
