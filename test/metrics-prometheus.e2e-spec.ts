import { Module, type CanActivate, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { Registry } from 'prom-client';
import request from 'supertest';
import { HfStatsModule, HfStatsService, type HfStatsModuleOptions } from 'nestjs-hf-stats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HF_STATS_OPTIONS } from '../libs/hf-stats/src/hf-stats.internal-constants.js';
import { createApp } from './fixtures/create-app.js';
import { createMetricsAppModule, EMBEDDING_MODEL, MetricsHfClient } from './fixtures/metrics/metrics-app.js';
import { histogram, parseScrape, seriesValue, type ParsedScrape } from './fixtures/metrics/prometheus-text.js';
import { startScriptedHfServer, type ScriptedHfServer } from './fixtures/scripted-hf.server.js';

const DURATION_BUCKETS = [
  '0.01',
  '0.02',
  '0.04',
  '0.08',
  '0.16',
  '0.32',
  '0.64',
  '1.28',
  '2.56',
  '5.12',
  '10.24',
  '20.48',
  '40.96',
  '81.92',
  '+Inf',
];

class DenyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-admin'] === 'yes';
  }
}

describe('Prometheus metrics (metrics.prometheus)', () => {
  let scripted: ScriptedHfServer;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    scripted = await startScriptedHfServer();
  });

  afterAll(async () => {
    await scripted.close();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const boot = async (options: HfStatsModuleOptions): Promise<INestApplication> => {
    app = await createApp(createMetricsAppModule(scripted.url, options), 'express');
    return app;
  };

  const scrape = async (path = '/hf-stats/metrics'): Promise<ParsedScrape & { text: string }> => {
    const response = await request(app!.getHttpServer()).get(path).expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { ...parseScrape(response.text), text: response.text };
  };

  it('serves names, types, buckets, label sets and values after known traffic', async () => {
    await boot({
      metrics: { prometheus: true },
      pricing: [{ model: 'chat-*', perCall: 0.001 }],
    });
    const stats = app!.get(HfStatsService);
    const client = app!.get(MetricsHfClient);
    stats.record({
      durationMs: 5,
      texts: 2,
      characters: 11,
      model: 'chat-a',
      operation: 'chat-completion',
      inputTokens: 3,
      outputTokens: 100,
      sessionId: 's-1',
    });
    stats.record({
      durationMs: 30,
      texts: 1,
      model: 'chat-a',
      operation: 'chat-completion',
      inputTokens: 20,
      sessionId: 's-2',
    });
    stats.record({
      durationMs: 3000,
      model: 'chat-a',
      operation: 'chat-completion',
      error: Object.assign(new Error('x'), { status: 503 }),
    });
    // The real client: 503, 503, then 200 is one call of three attempts; a 429 is a failed call.
    scripted.script([{ status: 503 }, { status: 503 }, { status: 200, body: [[0.1]] }]);
    await client.embed(['a']);
    scripted.script([{ status: 429, headers: { 'retry-after': '1' }, body: { error: 'rate limited' } }]);
    await expect(client.embed(['b'])).rejects.toThrow(/rate limited/);

    const scraped = await scrape();
    const chat = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'huggingface', gen_ai_request_model: 'chat-a' };
    const embeddings = {
      gen_ai_operation_name: 'embeddings',
      gen_ai_provider_name: 'huggingface',
      gen_ai_request_model: EMBEDDING_MODEL,
    };

    expect(scraped.types.get('gen_ai_client_operation_duration_seconds')).toBe('HISTOGRAM');
    const chatOk = histogram(scraped, 'gen_ai_client_operation_duration_seconds', { ...chat, error_type: '' });
    expect([...chatOk.buckets.keys()]).toEqual(DURATION_BUCKETS);
    expect(chatOk.count).toBe(2);
    expect(chatOk.sum).toBeCloseTo(0.035, 9);
    expect(Object.fromEntries(chatOk.buckets)).toMatchObject({
      '0.01': 1,
      '0.02': 1,
      '0.04': 2,
      '81.92': 2,
      '+Inf': 2,
    });
    const chatFailed = histogram(scraped, 'gen_ai_client_operation_duration_seconds', { ...chat, error_type: '503' });
    expect(chatFailed).toMatchObject({ count: 1, sum: 3 });
    expect(Object.fromEntries(chatFailed.buckets)).toMatchObject({ '2.56': 0, '5.12': 1 });
    const embedOk = histogram(scraped, 'gen_ai_client_operation_duration_seconds', { ...embeddings, error_type: '' });
    expect(embedOk.count).toBe(1);

    expect(scraped.types.get('gen_ai_client_token_usage')).toBe('HISTOGRAM');
    const input = histogram(scraped, 'gen_ai_client_token_usage', { ...chat, gen_ai_token_type: 'input' });
    expect(input).toMatchObject({ count: 2, sum: 23 });
    expect([...input.buckets.keys()].slice(0, 4)).toEqual(['1', '4', '16', '64']);
    const output = histogram(scraped, 'gen_ai_client_token_usage', { ...chat, gen_ai_token_type: 'output' });
    expect(output).toMatchObject({ count: 1, sum: 100 });
    expect(Object.fromEntries(output.buckets)).toMatchObject({ '64': 0, '256': 1 });

    const counter = (name: string, labels: Record<string, string>): number | undefined => {
      expect(scraped.types.get(name)).toBe('COUNTER');
      return seriesValue(scraped, name, labels);
    };
    expect(counter('hf_client_calls_total', { ...chat, error_type: '' })).toBe(2);
    expect(counter('hf_client_calls_total', { ...chat, error_type: '503' })).toBe(1);
    expect(counter('hf_client_calls_total', { ...embeddings, error_type: '' })).toBe(1);
    expect(counter('hf_client_calls_total', { ...embeddings, error_type: '429' })).toBe(1);
    expect(counter('hf_client_texts_total', { ...chat, error_type: '' })).toBe(3);
    expect(counter('hf_client_characters_total', { ...chat, error_type: '' })).toBe(11);
    expect(counter('hf_client_errors_total', { ...chat, error_type: '503' })).toBe(1);
    expect(counter('hf_client_errors_total', { ...embeddings, error_type: '429' })).toBe(1);
    expect(scraped.samples.filter((sample) => sample.name === 'hf_client_errors_total')).toHaveLength(2);
    expect(counter('hf_client_attempts_total', { ...embeddings, error_type: '' })).toBe(3);
    expect(counter('hf_client_attempts_total', { ...embeddings, error_type: '429' })).toBe(1);
    expect(counter('hf_client_rate_limited_responses_total', { ...embeddings, error_type: '429' })).toBe(1);
    expect(counter('hf_client_estimated_cost_usd_total', { ...chat, error_type: '' })).toBeCloseTo(0.002, 12);

    // Sessions never become labels.
    const labelNames = new Set(scraped.samples.flatMap((sample) => Object.keys(sample.labels)));
    expect([...labelNames].toSorted()).toEqual([
      'error_type',
      'gen_ai_operation_name',
      'gen_ai_provider_name',
      'gen_ai_request_model',
      'gen_ai_token_type',
      'huggingface_inference_provider',
      'le',
    ]);
    expect(scraped.text).not.toMatch(/s-1|s-2/);
  });

  it('keeps the series bounded: 10,000 sessions and 1,000 model names', async () => {
    await boot({ metrics: { prometheus: { path: 'internal/metrics' } }, maxModels: 20, sessionIdleTimeoutMs: 0 });
    const stats = app!.get(HfStatsService);
    for (let index = 0; index < 10_000; index += 1) {
      stats.record({
        durationMs: index % 50,
        texts: 1,
        model: `org/model-${index % 1000}`,
        operation: 'feature-extraction',
        sessionId: `session-${index}`,
        inputTokens: 5,
      });
    }
    const scraped = await scrape('/internal/metrics');
    const calls = scraped.samples.filter((sample) => sample.name === 'hf_client_calls_total');
    const models = new Set(calls.map((sample) => sample.labels.gen_ai_request_model));
    // 20 named models and "other".
    expect(models.size).toBe(21);
    expect(seriesValue(scraped, 'hf_client_calls_total', { ...calls[0].labels, gen_ai_request_model: 'other' })).toBe(
      10_000 - 20 * 10,
    );
    // Each family has one series per model (a histogram 15 buckets, sum and count); nothing per session.
    expect(scraped.samples.length).toBe(21 * (2 + 17 + 17));
    expect(scraped.text).not.toMatch(/session-/);
  });

  it('registers into an app-given registry without a route, and unregisters at shutdown', async () => {
    const registry = new Registry();
    await boot({ metrics: { prometheus: { registry } } });
    app!.get(HfStatsService).record({ durationMs: 1, model: 'm', operation: 'chat-completion' });
    await request(app!.getHttpServer()).get('/hf-stats/metrics').expect(404);
    const scraped = parseScrape(await registry.metrics());
    const labels = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'huggingface', gen_ai_request_model: 'm' };
    expect(seriesValue(scraped, 'hf_client_calls_total', labels)).toBe(1);

    await app!.close();
    app = undefined;
    expect((await registry.metrics()).trim()).toBe('');
    // A new app instance registers again in the same registry.
    await boot({ metrics: { prometheus: { registry, path: 'prom' } } });
    await request(app!.getHttpServer()).get('/prom').expect(200);
  });

  it("puts the metrics route behind the module's guards", async () => {
    await boot({ metrics: { prometheus: true }, guards: [DenyGuard] });
    await request(app!.getHttpServer()).get('/hf-stats/metrics').expect(403);
    await request(app!.getHttpServer()).get('/hf-stats/metrics').set('x-admin', 'yes').expect(200);
  });

  it('takes metrics beside path and guards in forRootAsync, and the rest from the factory', async () => {
    @Module({
      imports: [
        HfStatsModule.forRootAsync({
          path: 'internal/hf',
          metrics: { prometheus: true },
          useFactory: () => ({ log: false, serverTiming: false, tracing: false }),
        }),
      ],
    })
    class AsyncMetricsModule {}
    app = await createApp(AsyncMetricsModule, 'fastify');
    const stats = app.get(HfStatsService);
    expect(app.get(HF_STATS_OPTIONS)).toMatchObject({ serverTiming: false, tracing: false });
    stats.record({ durationMs: 2, model: 'm' });
    const scraped = await scrape('/internal/hf/metrics');
    expect(
      seriesValue(scraped, 'hf_client_calls_total', { gen_ai_provider_name: 'huggingface', gen_ai_request_model: 'm' }),
    ).toBe(1);
  });

  it('serves no metrics route when the option is off', async () => {
    await boot({});
    await request(app!.getHttpServer()).get('/hf-stats/metrics').expect(404);
  });
});
