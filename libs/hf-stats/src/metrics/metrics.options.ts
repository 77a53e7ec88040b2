import { invalidOption } from '../hf-stats.messages.js';
import { booleanOption, mergeOntoDefaults, objectOption, rejectUnknownKeys, urlPath } from '../utils/option-checks.js';

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

/** The `metrics` settings in force: user options merged once onto these defaults. Internal. */
export class HfMetricsSettings {
  prometheus: HfPrometheusSettings | false = false;
  openTelemetry = false;
}

const PROMETHEUS_KEYS = new Set(['path', 'registry']);

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
    return new HfMetricsSettings();
  }
  const fields = objectOption('metrics', options, 'an object { prometheus?, openTelemetry? }');
  const resolved = mergeOntoDefaults(new HfMetricsSettings(), fields, 'metrics.', 'prometheus or openTelemetry');
  booleanOption('metrics.openTelemetry', resolved.openTelemetry);
  resolved.prometheus = resolvePrometheus(options.prometheus === undefined ? false : options.prometheus, basePath);
  return resolved;
}

function resolvePrometheus(prometheus: boolean | HfPrometheusOptions, basePath: string): HfPrometheusSettings | false {
  if (prometheus === false) {
    return false;
  }
  const defaultPath = `${basePath.replace(/\/$/, '')}/metrics`;
  if (prometheus === true) {
    return { path: defaultPath, registry: undefined };
  }
  const fields = objectOption('metrics.prometheus', prometheus, 'true, false or an object { path?, registry? }');
  rejectUnknownKeys('metrics.prometheus.', fields, PROMETHEUS_KEYS, 'path or registry');
  const { path, registry } = prometheus;
  if (path !== undefined) {
    urlPath('metrics.prometheus.path', path, "'hf-stats/metrics' or 'metrics'");
  }
  if (registry !== undefined && !isRegistry(registry)) {
    throw invalidOption('metrics.prometheus.registry', registry, "a prom-client Registry (for example its 'register')");
  }
  return { path: path ?? (registry === undefined ? defaultPath : undefined), registry };
}
