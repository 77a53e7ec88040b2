import { Module, type INestApplication } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  HfStatsModule,
  HfStatsService,
  type HfSessionStats,
  type HfStats,
  type HfStatsSnapshot,
} from 'nestjs-hf-stats';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { startLoopbackRouter, type LoopbackRouter, type RouterTable } from './fixtures/providers/loopback-router.js';
import {
  LLAMA,
  nano,
  ProviderClient,
  QWEN,
  startProvidersApp,
  type ProvidersApp,
} from './fixtures/providers/providers.app.js';

const USAGE = { prompt_tokens: 100, completion_tokens: 20 };
const TABLE: RouterTable = {
  object: 'list',
  data: [
    {
      id: LLAMA,
      object: 'model',
      providers: [
        { provider: 'novita', status: 'live', pricing: { input: 0.39, output: 0.39 } },
        { provider: 'together', status: 'live', pricing: { input: 0.88, output: 0.88 } },
      ],
    },
    {
      id: QWEN,
      object: 'model',
      providers: [{ provider: 'nscale', status: 'live', pricing: { input: 0.2, output: 0.6 } }],
    },
  ],
};
const hi = [{ role: 'user' as const, content: 'hi' }];

describe('Inference Providers: the provider of each call, through the real client and a loopback router', () => {
  let router: LoopbackRouter;
  let app: ProvidersApp | undefined;

  beforeAll(async () => {
    router = await startLoopbackRouter({
      autoProvider: (model) => (model === QWEN ? 'nscale' : 'novita'),
      usage: USAGE,
    });
    router.table = TABLE;
  });
  afterAll(() => router.close());
  afterEach(async () => {
    await app?.moduleRef.close();
    app = undefined;
  });

  it("counts byProvider from x-inference-provider, for provider 'auto' and a named provider", async () => {
    app = await startProvidersApp(router);
    await app.client.chat({ model: LLAMA, messages: hi });
    await app.client.chat({ model: LLAMA, provider: 'auto', messages: hi });
    await app.client.chat({ model: LLAMA, provider: 'together', messages: hi });
    await app.client.chat({ model: QWEN, messages: hi });
    const global = app.stats.getGlobalStats();
    expect(Object.keys(global.byProvider).toSorted()).toEqual(['novita', 'nscale', 'together']);
    expect(global.byProvider.novita).toMatchObject({ callCount: 2, inputTokens: 200, outputTokens: 40 });
    expect(global.byProvider.together).toMatchObject({ callCount: 1, inputTokens: 100, outputTokens: 20 });
    expect(global.byProvider.nscale).toMatchObject({ callCount: 1 });
    expect(global.byModel[LLAMA].callCount).toBe(3);
    // The routed requests went to the router's own paths: auto to /v1, the named one under its provider.
    const chats = router.requests.filter((request) => request.path.endsWith('/chat/completions')).map((r) => r.path);
    expect(chats).toEqual([
      '/v1/chat/completions',
      '/v1/chat/completions',
      '/together/v1/chat/completions',
      '/v1/chat/completions',
    ]);
  });

  it('takes the provider from the arguments, then the decorator, then "unknown"', async () => {
    app = await startProvidersApp(router);
    await app.client.named('fal-ai');
    app.stats.record({ durationMs: 1, model: LLAMA, provider: 'groq' });
    app.stats.record({ durationMs: 1, model: LLAMA });
    expect(app.stats.getGlobalStats().byProvider).toMatchObject({
      'fal-ai': { callCount: 1 },
      groq: { callCount: 1 },
      unknown: { callCount: 1 },
    });
  });

  it('prices per (model, provider) with provider-aware user rules: first match in force wins, no provider matches any', async () => {
    const together = { model: 'meta-llama/*', provider: 'tog*', perInputToken: 1e-6, perOutputToken: 2e-6 };
    const anyProvider = { model: 'meta-llama/*', perInputToken: 5e-7, perOutputToken: 5e-7 };
    app = await startProvidersApp(router, { pricing: [together, anyProvider] });
    await app.client.chat({ model: LLAMA, messages: hi });
    await app.client.chat({ model: LLAMA, messages: hi });
    await app.client.chat({ model: LLAMA, provider: 'together', messages: hi });
    const novitaNano = nano(100, anyProvider.perInputToken) + nano(20, anyProvider.perOutputToken);
    const togetherNano = nano(100, together.perInputToken) + nano(20, together.perOutputToken);
    const { byProvider, estimatedCostUsd, priceSources } = app.stats.getGlobalStats();
    expect(byProvider.novita.estimatedCostUsd).toBe((2 * novitaNano) / 1e9);
    expect(byProvider.together.estimatedCostUsd).toBe(togetherNano / 1e9);
    expect(estimatedCostUsd).toBe((2 * novitaNano + togetherNano) / 1e9);
    expect(priceSources).toEqual({ userRule: 3, routerTable: 0, computeTime: 0, noRule: 0, unitUnmeasured: 0 });
  });

  it('records X-HF-Bill-To as billTo and counts byBillTo', async () => {
    app = await startProvidersApp(router);
    await app.client.chat({ model: LLAMA, messages: hi }, { billTo: 'acme-org' });
    await app.client.chat({ model: LLAMA, messages: hi });
    expect(router.requests.at(-2)?.billTo).toBe('acme-org');
    const global = app.stats.getGlobalStats();
    expect(global.byBillTo).toEqual({ 'acme-org': expect.objectContaining({ callCount: 1 }) as unknown });
    expect(global.callCount).toBe(2);
  });

  it('leaves streamed tokens unmeasured by default, and adds stream_options.include_usage when asked', async () => {
    app = await startProvidersApp(router);
    for await (const chunk of app.client.stream({ model: LLAMA, messages: hi })) {
      void chunk;
    }
    expect(app.stats.getGlobalStats()).toMatchObject({ tokensUnmeasuredCount: 1, inputTokens: 0 });
    expect(router.requests.at(-1)?.body?.stream_options).toBeUndefined();
    await app.moduleRef.close();

    app = await startProvidersApp(router, {}, { includeStreamUsage: true });
    for await (const chunk of app.client.stream({ model: LLAMA, messages: hi })) {
      void chunk;
    }
    expect(router.requests.at(-1)?.body?.stream_options).toEqual({ include_usage: true });
    expect(app.stats.getGlobalStats()).toMatchObject({ tokensUnmeasuredCount: 0, inputTokens: 100, outputTokens: 20 });
    expect(app.stats.getGlobalStats().byProvider.novita).toMatchObject({ callCount: 1, inputTokens: 100 });
    // A request that chose otherwise is left as it is.
    for await (const chunk of app.client.stream({
      model: LLAMA,
      messages: hi,
      stream_options: { include_usage: false },
    })) {
      void chunk;
    }
    expect(router.requests.at(-1)?.body?.stream_options).toEqual({ include_usage: false });
  });

  it('bounds every provider and billTo name a client can influence', async () => {
    app = await startProvidersApp(router, { maxModels: 3 });
    const hostile = ['__proto__', 'constructor', '\ud800lone', 'ctl\u0000\u001b[31m', 'x'.repeat(100_000)];
    for (const name of hostile) {
      await app.client.named(name);
      app.stats.record({ durationMs: 1, provider: name, billTo: name });
    }
    const global: HfStats = app.stats.getGlobalStats();
    for (const figures of [global.byProvider, global.byBillTo]) {
      expect(Object.getPrototypeOf(figures)).toBe(Object.prototype);
      const names = Object.keys(figures);
      expect(names.length).toBeLessThanOrEqual(4);
      for (const name of names) {
        expect(name.length).toBeLessThanOrEqual(200);
        // No lone surrogate: every high one is followed by a low one, and every low one follows a high one.
        expect(name).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
        // oxlint-disable-next-line no-control-regex
        expect(name).not.toMatch(/[\u0000-\u001f]/);
      }
      expect(Object.values(figures).reduce((sum, stats) => sum + stats.callCount, 0)).toBe(
        figures === global.byProvider ? 10 : 5,
      );
    }
    expect(Object.hasOwn(global.byProvider, '__proto__')).toBe(true);
  });
});

describe.each(ADAPTERS)('GET /hf-stats shows byProvider, byBillTo and priceSources (%s)', (adapter) => {
  let router: LoopbackRouter;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    router = await startLoopbackRouter({ autoProvider: () => 'novita', usage: USAGE });
    router.table = TABLE;
  });
  afterAll(() => router.close());
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('in the global figures and the session of the call', async () => {
    @Module({
      imports: [
        HfStatsModule.forRoot({ log: false, publicRoutes: true, routerPricing: { url: `${router.url}/v1/models` } }),
      ],
      providers: [{ provide: ProviderClient, useFactory: () => new ProviderClient(router, {}) }],
    })
    class HttpProvidersModule {}
    app = await createApp(HttpProvidersModule, adapter);
    const client = app.get(ProviderClient);
    const stats = app.get(HfStatsService);
    await stats.runInSession('s-1', () => client.chat({ model: LLAMA, messages: hi }, { billTo: 'acme-org' }));
    const base = await app.getUrl();
    const snapshot = (await (await fetch(`${base}/hf-stats`)).json()) as HfStatsSnapshot;
    const price = nano(USAGE.prompt_tokens, 0.39e-6) + nano(USAGE.completion_tokens, 0.39e-6);
    expect(snapshot.global.byProvider).toEqual({
      novita: expect.objectContaining({ callCount: 1, estimatedCostUsd: price / 1e9 }) as unknown,
    });
    expect(snapshot.global.byBillTo['acme-org'].callCount).toBe(1);
    expect(snapshot.global.priceSources).toEqual({
      userRule: 0,
      routerTable: 1,
      computeTime: 0,
      noRule: 0,
      unitUnmeasured: 0,
    });
    const session = (await (await fetch(`${base}/hf-stats/sessions/s-1`)).json()) as HfSessionStats;
    expect(session.byProvider.novita.callCount).toBe(1);
  });
});
