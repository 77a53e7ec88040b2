import { invalidOption } from '../hf-stats.messages.js';

/**
 * A Prometheus registry (prom-client's `Registry`), described by the members the library uses so
 * that the public types don't need prom-client installed.
 */
export interface HfPrometheusRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

/** `metrics.prometheus` as an object. */
export interface HfPrometheusOptions {
  /**
   * Route that serves the text format. Default `'<path>/metrics'` (`/hf-stats/metrics`) with the
   * library's own registry; no route when `registry` is given, unless `path` is given too.
   */
  path?: string;
  /** Register the metrics into this registry (for example prom-client's default `register`) instead of a private one. */
  registry?: HfPrometheusRegistry;
}

/** The `metrics` option: exporters into the tools teams already run. */
export interface HfMetricsOptions {
  /** Prometheus metrics through prom-client (an optional peer dependency). Default `false`. */
  prometheus?: boolean | HfPrometheusOptions;
  /** The same instruments through the global OpenTelemetry `MeterProvider` (`@opentelemetry/api`). Default `false`. */
  openTelemetry?: boolean;
}

/** The Prometheus settings in force. Internal. */
export interface HfPrometheusSettings {
  /** The metrics route; undefined when none is served. */
  path: string | undefined;
  registry: HfPrometheusRegistry | undefined;
}

/** The `metrics` settings in force. Internal. */
export interface HfMetricsSettings {
  prometheus: HfPrometheusSettings | false;
  openTelemetry: boolean;
}

const PATH_PATTERN = /^\/?[A-Za-z0-9_~-][A-Za-z0-9._~-]*(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*\/?$/;

function isRegistry(value: unknown): value is HfPrometheusRegistry {
  const registry = value as Partial<Record<keyof HfPrometheusRegistry, unknown>> | null;
  return (
    typeof registry === 'object' &&
    registry !== null &&
    typeof registry.registerMetric === 'function' &&
    typeof registry.removeSingleMetric === 'function' &&
    typeof registry.getSingleMetric === 'function' &&
    typeof registry.metrics === 'function'
  );
}

/** Validates the `metrics` option; `basePath` is the module's `path`, under which the default route lives. */
export function resolveHfMetricsOptions(options: HfMetricsOptions | undefined, basePath: string): HfMetricsSettings {
  if (options === undefined) {
    return { prometheus: false, openTelemetry: false };
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidOption('metrics', options, 'an object { prometheus?, openTelemetry? }');
  }
  for (const key of Object.keys(options)) {
    if (key !== 'prometheus' && key !== 'openTelemetry') {
      throw invalidOption(`metrics.${key}`, (options as Record<string, unknown>)[key], 'prometheus or openTelemetry');
    }
  }
  const { prometheus = false, openTelemetry = false } = options;
  if (typeof openTelemetry !== 'boolean') {
    throw invalidOption('metrics.openTelemetry', openTelemetry, 'true or false');
  }
  return { prometheus: resolvePrometheus(prometheus, basePath), openTelemetry };
}

function resolvePrometheus(prometheus: boolean | HfPrometheusOptions, basePath: string): HfPrometheusSettings | false {
  if (prometheus === false) {
    return false;
  }
  const defaultPath = `${basePath.replace(/\/$/, '')}/metrics`;
  if (prometheus === true) {
    return { path: defaultPath, registry: undefined };
  }
  if (prometheus === null || typeof prometheus !== 'object' || Array.isArray(prometheus)) {
    throw invalidOption('metrics.prometheus', prometheus, 'true, false or an object { path?, registry? }');
  }
  for (const key of Object.keys(prometheus)) {
    if (key !== 'path' && key !== 'registry') {
      throw invalidOption(
        `metrics.prometheus.${key}`,
        (prometheus as Record<string, unknown>)[key],
        'path or registry',
      );
    }
  }
  const { path, registry } = prometheus;
  if (path !== undefined && (typeof path !== 'string' || !PATH_PATTERN.test(path))) {
    throw invalidOption('metrics.prometheus.path', path, "a URL path such as 'hf-stats/metrics' or 'metrics'");
  }
  if (registry !== undefined && !isRegistry(registry)) {
    throw invalidOption('metrics.prometheus.registry', registry, "a prom-client Registry (for example its 'register')");
  }
  return { path: path ?? (registry === undefined ? defaultPath : undefined), registry };
}

/** Validates a boolean option with a default. */
export function resolveBooleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'boolean') {
    throw invalidOption(option, value, 'true or false');
  }
  return value;
}
