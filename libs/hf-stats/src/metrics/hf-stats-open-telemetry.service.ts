import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type * as OtelApi from '@opentelemetry/api';
import { HfStatsRecorder } from '../recording/hf-stats.recorder.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfStatsListener } from '../stats/hf-stats-listener.js';
import {
  DURATION_BUCKETS_SECONDS,
  GEN_AI_PROVIDER,
  INFERENCE_PROVIDER_ATTRIBUTE,
  SeriesCache,
  TOKEN_BUCKETS,
  type CallLabels,
} from './call-labels.js';
import { NANO_USD_PER_USD } from '../stats/pricing.js';
import { importOptionalPeer } from '../utils/optional-peer.js';

/** Instrumentation scope of the meter and the tracer. */
export const INSTRUMENTATION_SCOPE = 'nestjs-hf-stats';

interface OtelInstruments {
  duration: OtelApi.Histogram;
  tokens: OtelApi.Histogram;
  texts: OtelApi.Counter;
  characters: OtelApi.Counter;
  attempts: OtelApi.Counter;
  rateLimited: OtelApi.Counter;
  cost: OtelApi.Counter;
}

/** The attribute sets of one label set, built once. */
interface OtelSeries {
  attributes: OtelApi.Attributes;
  input: OtelApi.Attributes;
  output: OtelApi.Attributes;
  /** Span name: `{gen_ai.operation.name} {gen_ai.request.model}`. */
  spanName: string;
}

/**
 * OpenTelemetry metrics (`metrics.openTelemetry`) through the global `MeterProvider`, and one span
 * per tracked call (`tracing`) through the global `TracerProvider`. Loads `@opentelemetry/api`
 * only when one of them is on. Internal.
 */
@Injectable()
export class HfStatsOpenTelemetryService implements OnModuleInit, OnApplicationShutdown {
  private removeListener: (() => void) | undefined;

  // Only the recorder, which the global HfStatsModule exports: this module sees nothing else of it.
  constructor(private readonly stats: HfStatsRecorder) {}

  async onModuleInit(): Promise<void> {
    const { metrics, tracing } = this.stats.options;
    if ((!metrics.openTelemetry && !tracing) || this.removeListener !== undefined) {
      return;
    }
    const option = metrics.openTelemetry ? 'metrics.openTelemetry' : 'tracing';
    const api = await importOptionalPeer<typeof OtelApi>('@opentelemetry/api', option);
    // The global MeterProvider is read here, at startup: register the SDK's before the app starts.
    const instruments = metrics.openTelemetry
      ? createInstruments(api.metrics.getMeter(INSTRUMENTATION_SCOPE))
      : undefined;
    const tracer = tracing ? api.trace.getTracer(INSTRUMENTATION_SCOPE) : undefined;
    const series = new SeriesCache(this.stats.options.maxModels, resolveSeries);
    const listener: HfStatsListener = {
      onCall: (call) => {
        const found = series.of(call);
        if (instruments !== undefined) {
          record(instruments, found, call);
        }
        if (tracer !== undefined) {
          addSpan(api, tracer, found, call);
        }
      },
    };
    this.removeListener = this.stats.addListener(listener);
  }

  onApplicationShutdown(): void {
    this.removeListener?.();
    this.removeListener = undefined;
  }
}

/**
 * Calls and errors have no counters of their own: the duration histogram counts them, by
 * `error.type`. Each instrument update costs the SDK a few microseconds, so the listener makes as
 * few as the call's figures need.
 */
function createInstruments(meter: OtelApi.Meter): OtelInstruments {
  return {
    duration: meter.createHistogram('gen_ai.client.operation.duration', {
      description: 'GenAI operation duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
    }),
    tokens: meter.createHistogram('gen_ai.client.token.usage', {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    }),
    texts: meter.createCounter('hf.client.texts', { description: 'Texts sent by tracked calls.', unit: '{text}' }),
    characters: meter.createCounter('hf.client.characters', {
      description: 'Characters sent by tracked calls, when measured.',
      unit: '{character}',
    }),
    attempts: meter.createCounter('hf.client.attempts', {
      description: 'HTTP attempts made by tracked calls through a tracked fetch.',
      unit: '{attempt}',
    }),
    rateLimited: meter.createCounter('hf.client.rate_limited_responses', {
      description: 'HTTP responses with status 429 to tracked calls.',
      unit: '{response}',
    }),
    cost: meter.createCounter('hf.client.estimated_cost', {
      description: 'Estimated cost of the priced tracked calls.',
      unit: 'USD',
    }),
  };
}

function resolveSeries(labels: CallLabels): OtelSeries {
  const attributes: OtelApi.Attributes = { 'gen_ai.provider.name': GEN_AI_PROVIDER };
  if (labels.operation !== '') {
    attributes['gen_ai.operation.name'] = labels.operation;
  }
  if (labels.model !== '') {
    attributes['gen_ai.request.model'] = labels.model;
  }
  if (labels.provider !== '') {
    attributes[INFERENCE_PROVIDER_ATTRIBUTE] = labels.provider;
  }
  if (labels.errorType !== '') {
    attributes['error.type'] = labels.errorType;
  }
  const { ['error.type']: _errorType, ...tokenAttributes } = attributes;
  return {
    attributes,
    input: { ...tokenAttributes, 'gen_ai.token.type': 'input' },
    output: { ...tokenAttributes, 'gen_ai.token.type': 'output' },
    spanName: [labels.operation || 'huggingface', labels.model].filter((part) => part !== '').join(' '),
  };
}

function record(instruments: OtelInstruments, series: OtelSeries, call: HfCallRecord): void {
  const { attributes } = series;
  instruments.duration.record(call.durationMs / 1000, attributes);
  if (call.textCount > 0) {
    instruments.texts.add(call.textCount, attributes);
  }
  if (call.characterCount !== undefined) {
    instruments.characters.add(call.characterCount, attributes);
  }
  if (call.attempts !== undefined) {
    instruments.attempts.add(call.attempts.count, attributes);
    if (call.attempts.rateLimitedCount > 0) {
      instruments.rateLimited.add(call.attempts.rateLimitedCount, attributes);
    }
  }
  if (call.costNanoUsd !== undefined) {
    instruments.cost.add(call.costNanoUsd / NANO_USD_PER_USD, attributes);
  }
  if (call.inputTokens !== undefined) {
    instruments.tokens.record(call.inputTokens, series.input);
  }
  if (call.outputTokens !== undefined) {
    instruments.tokens.record(call.outputTokens, series.output);
  }
}

/** One CLIENT span for a finished call, timed as it ran, child of the span active where it ended. */
function addSpan(api: typeof OtelApi, tracer: OtelApi.Tracer, series: OtelSeries, call: HfCallRecord): void {
  const span = tracer.startSpan(
    series.spanName,
    { kind: api.SpanKind.CLIENT, startTime: call.endedAt - call.durationMs, attributes: series.attributes },
    api.context.active(),
  );
  if (call.sessionId !== undefined) {
    span.setAttribute('gen_ai.conversation.id', call.sessionId);
  }
  if (call.inputTokens !== undefined) {
    span.setAttribute('gen_ai.usage.input_tokens', call.inputTokens);
  }
  if (call.outputTokens !== undefined) {
    span.setAttribute('gen_ai.usage.output_tokens', call.outputTokens);
  }
  if (!call.ok) {
    span.setStatus({ code: api.SpanStatusCode.ERROR });
  }
  span.end(call.endedAt);
}
