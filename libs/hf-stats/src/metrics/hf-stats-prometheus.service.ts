import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type * as PromClient from 'prom-client';
import { HfStatsRecorder } from '../recording/hf-stats.recorder.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import {
  DURATION_BUCKETS_SECONDS,
  GEN_AI_PROVIDER,
  INFERENCE_PROVIDER_LABEL,
  SeriesCache,
  TOKEN_BUCKETS,
  type CallLabels,
} from './call-labels.js';
import { NANO_USD_PER_USD } from '../stats/pricing.js';
import { importOptionalPeer } from '../utils/optional-peer.js';

/** Content type of the Prometheus text format, version 0.0.4 (what prom-client writes). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const LABELS = [
  'gen_ai_operation_name',
  'gen_ai_provider_name',
  'gen_ai_request_model',
  INFERENCE_PROVIDER_LABEL,
  'error_type',
] as const;
const TOKEN_LABELS = [
  'gen_ai_operation_name',
  'gen_ai_provider_name',
  'gen_ai_request_model',
  INFERENCE_PROVIDER_LABEL,
  'gen_ai_token_type',
];

type CounterChild = PromClient.Counter.Internal;
type HistogramChild = PromClient.Histogram.Internal<string>;

/** The prom-client children of one label set, resolved once. */
interface PrometheusSeries {
  calls: CounterChild;
  duration: HistogramChild;
  texts: CounterChild;
  characters: CounterChild;
  errors: CounterChild | undefined;
  attempts: CounterChild;
  rateLimited: CounterChild;
  cost: CounterChild;
  inputTokens: HistogramChild;
  outputTokens: HistogramChild;
}

interface PrometheusMetrics {
  calls: PromClient.Counter;
  duration: PromClient.Histogram;
  texts: PromClient.Counter;
  characters: PromClient.Counter;
  errors: PromClient.Counter;
  attempts: PromClient.Counter;
  rateLimited: PromClient.Counter;
  cost: PromClient.Counter;
  tokens: PromClient.Histogram;
}

/**
 * Prometheus metrics of the tracked calls (`metrics.prometheus`), named after the OpenTelemetry
 * GenAI conventions where they exist. Loads prom-client only when the option is on. Internal.
 */
@Injectable()
export class HfStatsPrometheusService implements OnModuleInit, OnApplicationShutdown {
  private registry: PromClient.Registry | undefined;
  private metrics: PrometheusMetrics | undefined;
  private removeListener: (() => void) | undefined;

  // Only the recorder, which the global HfStatsModule exports: this module sees nothing else of it.
  constructor(private readonly stats: HfStatsRecorder) {}

  async onModuleInit(): Promise<void> {
    const settings = this.stats.options.metrics.prometheus;
    if (settings === false || this.metrics !== undefined) {
      return;
    }
    const client = await importOptionalPeer<typeof PromClient>('prom-client', 'metrics.prometheus');
    const registry = (settings.registry as PromClient.Registry | undefined) ?? new client.Registry();
    const metrics = createMetrics(client, registry);
    const series = new SeriesCache(this.stats.options.maxModels, (labels) => resolveSeries(metrics, labels));
    this.registry = registry;
    this.metrics = metrics;
    this.removeListener = this.stats.addListener({ onCall: (call) => observe(series.of(call), call) });
  }

  /** The metrics in the Prometheus text format. */
  async metricsText(): Promise<string> {
    return (await this.registry?.metrics()) ?? '';
  }

  /** Takes the metrics out of an app-given registry, so that a new app instance can register them again. */
  onApplicationShutdown(): void {
    this.removeListener?.();
    this.removeListener = undefined;
    const { metrics, registry } = this;
    const settings = this.stats.options.metrics.prometheus;
    if (metrics !== undefined && registry !== undefined && settings !== false && settings.registry !== undefined) {
      for (const metric of Object.values(metrics)) {
        registry.removeSingleMetric((metric as unknown as { name: string }).name);
      }
    }
    this.metrics = undefined;
    this.registry = undefined;
  }
}

function createMetrics(client: typeof PromClient, registry: PromClient.Registry): PrometheusMetrics {
  const registers = [registry];
  const labelNames = [...LABELS];
  const counter = (name: string, help: string): PromClient.Counter =>
    new client.Counter({ name, help, labelNames, registers });
  return {
    duration: new client.Histogram({
      name: 'gen_ai_client_operation_duration_seconds',
      help: 'Duration of tracked Hugging Face calls, in seconds (GenAI semantic conventions).',
      labelNames,
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    }),
    tokens: new client.Histogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens used per tracked Hugging Face call, when measured (GenAI semantic conventions).',
      labelNames: TOKEN_LABELS,
      buckets: TOKEN_BUCKETS,
      registers,
    }),
    calls: counter('hf_client_calls_total', 'Tracked Hugging Face calls.'),
    texts: counter('hf_client_texts_total', 'Texts sent by tracked Hugging Face calls.'),
    characters: counter('hf_client_characters_total', 'Characters sent by tracked Hugging Face calls, when measured.'),
    errors: counter('hf_client_errors_total', 'Tracked Hugging Face calls that failed.'),
    attempts: counter('hf_client_attempts_total', 'HTTP attempts made by tracked calls through a tracked fetch.'),
    rateLimited: counter('hf_client_rate_limited_responses_total', 'HTTP responses with status 429 to tracked calls.'),
    cost: counter('hf_client_estimated_cost_usd_total', 'Estimated cost of the priced tracked calls, in US dollars.'),
  };
}

function resolveSeries(metrics: PrometheusMetrics, labels: CallLabels): PrometheusSeries {
  const values = [labels.operation, GEN_AI_PROVIDER, labels.model, labels.provider, labels.errorType];
  const tokens = (type: string): HistogramChild =>
    metrics.tokens.labels(labels.operation, GEN_AI_PROVIDER, labels.model, labels.provider, type);
  return {
    calls: metrics.calls.labels(...values),
    duration: metrics.duration.labels(...values),
    texts: metrics.texts.labels(...values),
    characters: metrics.characters.labels(...values),
    errors: labels.errorType === '' ? undefined : metrics.errors.labels(...values),
    attempts: metrics.attempts.labels(...values),
    rateLimited: metrics.rateLimited.labels(...values),
    cost: metrics.cost.labels(...values),
    inputTokens: tokens('input'),
    outputTokens: tokens('output'),
  };
}

function observe(series: PrometheusSeries, call: HfCallRecord): void {
  series.calls.inc();
  series.duration.observe(call.durationMs / 1000);
  if (call.textCount > 0) {
    series.texts.inc(call.textCount);
  }
  if (call.characterCount !== undefined) {
    series.characters.inc(call.characterCount);
  }
  series.errors?.inc();
  if (call.attempts !== undefined) {
    series.attempts.inc(call.attempts.count);
    if (call.attempts.rateLimitedCount > 0) {
      series.rateLimited.inc(call.attempts.rateLimitedCount);
    }
  }
  if (call.costNanoUsd !== undefined) {
    series.cost.inc(call.costNanoUsd / NANO_USD_PER_USD);
  }
  if (call.inputTokens !== undefined) {
    series.inputTokens.observe(call.inputTokens);
  }
  if (call.outputTokens !== undefined) {
    series.outputTokens.observe(call.outputTokens);
  }
}
