import { Logger } from '@nestjs/common';
import { HfRouterPricing } from 'nestjs-hf-stats';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLoopbackRouter, type LoopbackRouter, type RouterTable } from './fixtures/providers/loopback-router.js';
import { LLAMA, nano, QWEN, startProvidersApp, type ProvidersApp } from './fixtures/providers/providers.app.js';

const USAGE = { prompt_tokens: 1000, completion_tokens: 200 };
const DAY_MS = 24 * 60 * 60 * 1000;
const hi = [{ role: 'user' as const, content: 'hi' }];

function table(novita: number, together: number): RouterTable {
  return {
    object: 'list',
    data: [
      {
        id: LLAMA,
        object: 'model',
        providers: [
          { provider: 'novita', status: 'live', pricing: { input: novita, output: novita } },
          { provider: 'together', status: 'live', pricing: { input: together, output: together } },
          // A provider without a price in the table: its calls stay unpriced, never $0.
          { provider: 'groq', status: 'live' },
        ],
      },
      {
        id: QWEN,
        object: 'model',
        providers: [{ provider: 'nscale', status: 'live', pricing: { input: 0.2, output: 0.6 } }],
      },
    ],
  };
}

/** Cost of one USAGE call at `input` / `output` dollars per million tokens. */
function perMillion(input: number, output: number): number {
  return nano(USAGE.prompt_tokens, input / 1e6) + nano(USAGE.completion_tokens, output / 1e6);
}

describe("routerPricing: Hugging Face's own price table (GET /v1/models) as a price source", () => {
  let router: LoopbackRouter;
  let app: ProvidersApp | undefined;
  let warnings: string[];

  beforeAll(async () => {
    router = await startLoopbackRouter({
      autoProvider: (model) => (model === QWEN ? 'nscale' : 'novita'),
      usage: USAGE,
      computeSeconds: 2,
      computeType: 'nvidia-a10g',
    });
  });
  afterAll(() => router.close());
  beforeEach(() => {
    warnings = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });
  afterEach(async () => {
    await app?.moduleRef.close();
    app = undefined;
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('prices token-billed calls per (model, provider) from the table; user rules win; every source counted', async () => {
    router.table = table(0.39, 0.88);
    const before = router.requests.length;
    app = await startProvidersApp(router, {
      routerPricing: { url: `${router.url}/v1/models` },
      pricing: [{ model: QWEN, perCall: 0.001 }],
    });
    await app.client.chat({ model: LLAMA, messages: hi }); // novita, table
    await app.client.chat({ model: LLAMA, provider: 'together', messages: hi }); // together, table
    await app.client.chat({ model: QWEN, messages: hi }); // user rule wins over the table
    await app.client.chat({ model: LLAMA, provider: 'groq', messages: hi }); // in the table without a price
    for await (const chunk of app.client.stream({ model: LLAMA, messages: hi })) {
      void chunk; // tokens not reported: the table's price cannot apply
    }
    const global = app.stats.getGlobalStats();
    expect(global.byProvider.novita.estimatedCostUsd).toBe(perMillion(0.39, 0.39) / 1e9);
    expect(global.byProvider.together.estimatedCostUsd).toBe(perMillion(0.88, 0.88) / 1e9);
    expect(global.byProvider.nscale.estimatedCostUsd).toBe(nano(1, 0.001) / 1e9);
    expect(global.byProvider.groq.estimatedCostUsd).toBeNull();
    expect(global.priceSources).toEqual({ userRule: 1, routerTable: 2, computeTime: 0, noRule: 1, unitUnmeasured: 1 });
    expect(global.unpricedCallCount).toBe(2);
    // The table request is the module's own: not a Hugging Face call, not an attempt.
    expect(router.requests.slice(before).filter((request) => request.path === '/v1/models')).toHaveLength(1);
    expect(global.callCount).toBe(5);
    expect(app.stats.getSnapshot().untrackedAttemptCount).toBe(0);
  });

  it('refreshes every refreshIntervalMs (24 h by default) and keeps the last good table when a fetch fails', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    router.table = table(0.39, 0.88);
    app = await startProvidersApp(router, { routerPricing: { url: `${router.url}/v1/models` } });
    const pricing = app.moduleRef.get(HfRouterPricing);
    expect(pricing.status).toMatchObject({ modelCount: 2, refreshCount: 1, failureCount: 0 });
    await app.client.chat({ model: LLAMA, messages: hi });

    router.table = table(0.5, 0.88);
    await vi.advanceTimersByTimeAsync(DAY_MS - 1);
    expect(pricing.status.refreshCount).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(pricing.status.refreshCount).toBe(2));
    await app.client.chat({ model: LLAMA, messages: hi });

    router.table = undefined; // the router answers 503
    await vi.advanceTimersByTimeAsync(DAY_MS);
    await vi.waitFor(() => expect(pricing.status.failureCount).toBe(1));
    await app.client.chat({ model: LLAMA, messages: hi }); // still the last good table
    expect(warnings.filter((message) => message.includes('routerPricing'))).toHaveLength(1);
    expect(app.stats.getGlobalStats().byProvider.novita.estimatedCostUsd).toBe(
      (perMillion(0.39, 0.39) + 2 * perMillion(0.5, 0.5)) / 1e9,
    );
  });

  it('starts when the table cannot be fetched: one warning, calls unpriced (no rule), never a startup failure', async () => {
    router.table = undefined;
    app = await startProvidersApp(router, {
      routerPricing: { url: `${router.url}/v1/models`, refreshIntervalMs: 60_000 },
    });
    await app.client.chat({ model: LLAMA, messages: hi });
    expect(warnings.filter((message) => message.includes('routerPricing'))).toHaveLength(1);
    expect(warnings.join('\n')).not.toContain('hf_');
    expect(app.stats.getGlobalStats()).toMatchObject({ estimatedCostUsd: null, unpricedCallCount: 1 });
    expect(app.stats.getGlobalStats().priceSources.noRule).toBe(1);
  });

  it('prices compute-billed calls by hardware: perComputeSecond rules that name computeType', async () => {
    app = await startProvidersApp(router, {
      pricing: [
        { model: '*', computeType: 'cpu', perComputeSecond: 0.0001 },
        { model: '*', computeType: 'nvidia-*', perComputeSecond: 0.0012 },
      ],
    });
    await app.client.embed('a text');
    const global = app.stats.getGlobalStats();
    expect(global.byProvider['hf-inference']).toMatchObject({ callCount: 1, computeTimeMs: 2000 });
    expect(global.estimatedCostUsd).toBe(nano(2, 0.0012) / 1e9);
    expect(global.priceSources).toMatchObject({ computeTime: 1, userRule: 0 });
  });

  it('refuses routerPricing options it does not know, naming them', async () => {
    await expect(startProvidersApp(router, { routerPricing: { url: 'ftp://x' } })).rejects.toThrow(
      /routerPricing\.url/,
    );
    await expect(startProvidersApp(router, { routerPricing: { refreshIntervalMs: 0 } })).rejects.toThrow(
      /routerPricing\.refreshIntervalMs/,
    );
  });
});
