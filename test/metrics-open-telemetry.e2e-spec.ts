import { metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Test, type TestingModule } from '@nestjs/testing';
import { HfStatsService, type HfStatsModuleOptions } from 'nestjs-hf-stats';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMetricsAppModule, EMBEDDING_MODEL, MetricsHfClient } from './fixtures/metrics/metrics-app.js';
import { startScriptedHfServer, type ScriptedHfServer } from './fixtures/scripted-hf.server.js';

function toMs([seconds, nanos]: [number, number]): number {
  return seconds * 1000 + nanos / 1e6;
}

describe('OpenTelemetry metrics and spans', () => {
  let scripted: ScriptedHfServer;
  let moduleRef: TestingModule | undefined;
  let metricExporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;
  let meterProvider: MeterProvider;
  let spanExporter: InMemorySpanExporter;
  let tracerProvider: BasicTracerProvider;

  beforeAll(async () => {
    scripted = await startScriptedHfServer();
  });

  afterAll(async () => {
    await scripted.close();
  });

  beforeEach(() => {
    // The SDKs an app registers before it starts, with in-memory exporters.
    metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
    meterProvider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(meterProvider);
    spanExporter = new InMemorySpanExporter();
    tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
    trace.setGlobalTracerProvider(tracerProvider);
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    metrics.disable();
    trace.disable();
  });

  const boot = async (options: HfStatsModuleOptions): Promise<HfStatsService> => {
    moduleRef = await Test.createTestingModule({
      imports: [createMetricsAppModule(scripted.url, { controller: false, ...options })],
    }).compile();
    await moduleRef.init();
    return moduleRef.get(HfStatsService);
  };

  const exported = async (): Promise<Map<string, MetricData>> => {
    await reader.forceFlush();
    const all = metricExporter
      .getMetrics()
      .at(-1)!
      .scopeMetrics.filter((scope) => scope.scope.name === 'nestjs-hf-stats')
      .flatMap((scope) => scope.metrics);
    return new Map(all.map((metric) => [metric.descriptor.name, metric]));
  };

  it('records the GenAI instruments with their names, units, attributes and values', async () => {
    const stats = await boot({ metrics: { openTelemetry: true }, pricing: [{ model: 'chat-*', perCall: 0.001 }] });
    stats.record({
      durationMs: 5,
      texts: 2,
      characters: 11,
      model: 'chat-a',
      operation: 'chat-completion',
      inputTokens: 3,
      outputTokens: 100,
      sessionId: 'conv-1',
    });
    stats.record({ durationMs: 30, model: 'chat-a', operation: 'chat-completion', inputTokens: 20 });
    stats.record({
      durationMs: 3000,
      model: 'chat-a',
      operation: 'chat-completion',
      error: Object.assign(new Error('x'), { status: 503 }),
    });
    scripted.script([{ status: 429, body: { error: 'rate limited' } }]);
    await expect(moduleRef!.get(MetricsHfClient).embed(['a'])).rejects.toThrow(/rate limited/);

    const found = await exported();
    const chat = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'huggingface',
      'gen_ai.request.model': 'chat-a',
    };

    const duration = found.get('gen_ai.client.operation.duration')!;
    expect(duration.descriptor.unit).toBe('s');
    expect(duration.dataPointType).toBe(DataPointType.HISTOGRAM);
    const okPoint = duration.dataPoints.find(
      (point) => point.attributes['error.type'] === undefined && point.attributes['gen_ai.request.model'] === 'chat-a',
    )!;
    expect(okPoint.attributes).toEqual(chat);
    expect(okPoint.value).toMatchObject({ count: 2, min: 0.005, max: 0.03 });
    expect((okPoint.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);
    const failedPoint = duration.dataPoints.find((point) => point.attributes['error.type'] === '503')!;
    expect(failedPoint.attributes).toEqual({ ...chat, 'error.type': '503' });
    expect(failedPoint.value).toMatchObject({ count: 1, sum: 3 });
    const rateLimited = duration.dataPoints.find((point) => point.attributes['error.type'] === '429')!;
    expect(rateLimited.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.request.model': EMBEDDING_MODEL,
    });

    const tokens = found.get('gen_ai.client.token.usage')!;
    expect(tokens.descriptor.unit).toBe('{token}');
    const input = tokens.dataPoints.find((point) => point.attributes['gen_ai.token.type'] === 'input')!;
    expect(input.attributes).toEqual({ ...chat, 'gen_ai.token.type': 'input' });
    expect(input.value).toMatchObject({ count: 2, sum: 23 });
    const output = tokens.dataPoints.find((point) => point.attributes['gen_ai.token.type'] === 'output')!;
    expect(output.value).toMatchObject({ count: 1, sum: 100 });

    const sumOf = (name: string, attributes: Record<string, string>): number =>
      found
        .get(name)!
        .dataPoints.filter((point) =>
          Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
        )
        .reduce((total, point) => total + (point.value as number), 0);
    // Calls and errors are the duration histogram's counts, by error.type.
    expect(found.has('hf.client.calls')).toBe(false);
    expect(found.get('hf.client.texts')!.descriptor.unit).toBe('{text}');
    expect(sumOf('hf.client.texts', chat)).toBe(2);
    expect(sumOf('hf.client.characters', chat)).toBe(11);
    expect(sumOf('hf.client.attempts', { 'error.type': '429' })).toBe(1);
    expect(sumOf('hf.client.rate_limited_responses', { 'error.type': '429' })).toBe(1);
    expect(found.get('hf.client.estimated_cost')!.descriptor.unit).toBe('USD');
    expect(sumOf('hf.client.estimated_cost', chat)).toBeCloseTo(0.003, 12);
    // The session is not an attribute of any metric.
    expect(JSON.stringify([...found.values()].map((metric) => metric.dataPoints))).not.toContain('conv-1');
    expect(spanExporter.getFinishedSpans()).toHaveLength(0);
  });

  it('adds one CLIENT span per tracked call, timed as the call ran, with the session as conversation id', async () => {
    const stats = await boot({ tracing: true });
    const endedBefore = Date.now();
    stats.record({
      durationMs: 250,
      model: 'chat-a',
      operation: 'chat-completion',
      inputTokens: 4,
      outputTokens: 9,
      sessionId: 'conv-7',
    });
    stats.record({
      durationMs: 5,
      model: 'chat-a',
      operation: 'chatCompletion',
      error: Object.assign(new Error('x'), { status: 429 }),
    });

    const spans = spanExporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    const [first, second] = spans;
    expect(first.name).toBe('chat chat-a');
    expect(first.kind).toBe(SpanKind.CLIENT);
    expect(first.instrumentationScope.name).toBe('nestjs-hf-stats');
    expect(first.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'huggingface',
      'gen_ai.request.model': 'chat-a',
      'gen_ai.conversation.id': 'conv-7',
      'gen_ai.usage.input_tokens': 4,
      'gen_ai.usage.output_tokens': 9,
    });
    expect(toMs(first.duration)).toBeCloseTo(250, 3);
    expect(toMs(first.endTime)).toBeGreaterThanOrEqual(endedBefore);
    expect(first.status.code).toBe(SpanStatusCode.UNSET);
    expect(second.attributes['error.type']).toBe('429');
    expect(second.attributes['gen_ai.conversation.id']).toBeUndefined();
    expect(second.status.code).toBe(SpanStatusCode.ERROR);
    // Tracing alone registers no instrument.
    await reader.forceFlush();
    expect(metricExporter.getMetrics().flatMap((resource) => resource.scopeMetrics)).toHaveLength(0);
  });
});
