import { Controller, Get, Injectable, Module, Query } from '@nestjs/common';
import { HttpModule, HttpService } from '@nestjs/axios';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import {
  createHfStatsFetch,
  HfBudgetExceededError,
  HfStatsModule,
  HfStatsService,
  TrackHFCall,
  type HfStatsModuleOptions,
} from 'nestjs-hf-stats';
import { HfStatsRecorder } from '../libs/hf-stats/src/recording/hf-stats.recorder.js';
import { describe, expect, it } from 'vitest';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { REPLY, REPLY_TOKENS, ROUTED_PROVIDER } from './fixtures/router/loopback-router.server.js';
import { trackedClientSuite } from './fixtures/router/tracked-client-suite.js';

/** The call of a request ends once its body has arrived, read from a copy: one turn of the event loop after the caller's read. */
const bodyCopyRead = () => new Promise<void>((resolve) => setImmediate(resolve));

const post = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('createHfStatsFetch({ track }): each request to a TEI or TGI server counted as one call', () => {
  const suite = trackedClientSuite();

  const boot = async (options: HfStatsModuleOptions = {}) => {
    const moduleRef = await suite.start({
      imports: [HfStatsModule.forRoot({ controller: false, log: false, ...options })],
    });
    const stats = moduleRef.get(HfStatsService);
    const seen: Array<{ operation: string | undefined; model: string | undefined }> = [];
    moduleRef.get(HfStatsRecorder).addListener({ onCall: ({ operation, model }) => seen.push({ operation, model }) });
    return { stats, seen };
  };

  it('keeps the old signature: without track, a request outside a tracked call is an untracked attempt', async () => {
    const { stats } = await boot();
    const fetch = createHfStatsFetch(globalThis.fetch);
    await fetch(`${suite.router.url}/embed`, post({ inputs: 'a' }));
    expect(stats.getGlobalStats().callCount).toBe(0);
    expect(stats.getSnapshot()).toMatchObject({ untrackedAttemptCount: 1 });
  });

  it('TEI /embed and /v1/embeddings: operation from the path, texts from the body, tokens from headers or usage', async () => {
    const { stats, seen } = await boot({ pricing: [{ model: 'bge', perInputToken: 0.001 }] });
    const fetch = createHfStatsFetch({ track: { urls: [suite.router.url] } });
    const embedded = await fetch(`${suite.router.url}/embed`, post({ inputs: ['one two', 'three'] }));
    expect(await embedded.json()).toEqual([
      [7, 2, 0.5],
      [5, 1, 0.5],
    ]);
    const openAi = await fetch(`${suite.router.url}/v1/embeddings`, post({ model: 'bge', input: 'four five' }));
    expect(((await openAi.json()) as { data: unknown[] }).data).toHaveLength(1);
    await bodyCopyRead();
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 2,
      textCount: 3,
      characterCount: 12 + 9,
      inputTokens: 3 + 2,
      attemptCount: 2,
      computeTimeMs: 2,
    });
    expect(seen).toEqual([
      { operation: 'feature-extraction', model: undefined },
      { operation: 'feature-extraction', model: 'bge' },
    ]);
    // The router's x-inference-provider names the provider; TEI's /embed names none.
    expect(stats.getGlobalStats().byProvider).toEqual({
      unknown: expect.objectContaining({ callCount: 1 }),
      [ROUTED_PROVIDER]: expect.objectContaining({ callCount: 1 }),
    });
    // Priced by the body's model: the call without one stays unpriced.
    expect(stats.getGlobalStats()).toMatchObject({ unpricedCallCount: 1 });
    expect(stats.getGlobalStats().estimatedCostUsd).toBeCloseTo(2 * 0.001, 12);
  });

  it('TGI /generate and /v1/chat/completions, streamed too; the model of the option', async () => {
    const { stats, seen } = await boot();
    const fetch = createHfStatsFetch({ track: { urls: `${suite.router.url}/`, model: 'tgi-llama' } });
    const generated = await fetch(`${suite.router.url}/generate`, post({ inputs: 'one two three' }));
    expect(await generated.json()).toEqual({ generated_text: REPLY });
    const streamed = await fetch(
      `${suite.router.url}/v1/chat/completions`,
      post({ messages: [{ role: 'user', content: 'four five' }], stream: true }),
    );
    const events = await streamed.text();
    expect(events).toContain('[DONE]');
    await bodyCopyRead();
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 2,
      textCount: 2,
      inputTokens: 3 + 2,
      outputTokens: 2 * REPLY_TOKENS,
      tokensUnmeasuredCount: 0,
      byModel: { 'tgi-llama': { callCount: 2 } },
    });
    expect(seen.map(({ operation }) => operation)).toEqual(['text-generation', 'chat-completion']);
  });

  it('counts errors by status, leaves other URLs as untracked attempts, and joins a decorated call', async () => {
    @Injectable()
    class Embedder {
      readonly fetch = createHfStatsFetch({ track: { urls: /\/embed$/ } });

      @TrackHFCall({ operation: 'embed-batch' })
      async embed(texts: string[]): Promise<number> {
        const response = await this.fetch(`${suite.router.url}/embed`, post({ inputs: texts }));
        return ((await response.json()) as unknown[]).length;
      }
    }
    const moduleRef = await suite.start({
      imports: [HfStatsModule.forRoot({ controller: false, log: false })],
      providers: [Embedder],
    });
    const stats = moduleRef.get(HfStatsService);
    const embedder = moduleRef.get(Embedder);
    suite.router.failNext([{ status: 413 }]);
    const refused = await embedder.fetch(`${suite.router.url}/embed`, post({ inputs: 'too long' }));
    expect(refused.status).toBe(413);
    await embedder.fetch(`${suite.router.url}/health`);
    await expect(embedder.embed(['a b', 'c'])).resolves.toBe(2);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 2,
      errorCount: 1,
      errors: { '413': 1 },
      textCount: 1 + 2,
      attemptCount: 2,
      // The decorated method returns a number: the tokens come from TEI's header of its one request.
      inputTokens: 3,
    });
    expect(stats.getSnapshot()).toMatchObject({ untrackedAttemptCount: 1 });
  });

  describe.each(ADAPTERS)('sessions from x-session-id over real HTTP (%s)', (adapter) => {
    it('counts a plain fetch in the session of its request', async () => {
      const fetch = createHfStatsFetch({ track: { urls: suite.router.url } });
      @Controller('embed')
      class EmbedController {
        @Get()
        async embed(@Query('q') q: string): Promise<number> {
          const response = await fetch(`${suite.router.url}/embed`, post({ inputs: [q] }));
          return ((await response.json()) as unknown[]).length;
        }
      }
      @Module({
        imports: [HfStatsModule.forRoot({ publicRoutes: true, log: false })],
        controllers: [EmbedController],
      })
      class EmbedModule {}
      const app = suite.closeAfter(await createApp(EmbedModule, adapter));
      await request(app.getHttpServer()).get('/embed?q=one%20two').set('x-session-id', 'tei-1').expect(200);
      // Every reader shows it: here GET /hf-stats.
      const { body } = await request(app.getHttpServer()).get('/hf-stats').expect(200);
      expect(body).toMatchObject({ global: { callCount: 1, inputTokens: 2 }, sessions: [{ sessionId: 'tei-1' }] });
      expect(app.get(HfStatsService).getSessionStats('tei-1')).toMatchObject({
        callCount: 1,
        textCount: 1,
        inputTokens: 2,
      });
    });
  });

  it("@nestjs/axios's HttpService through axios's fetch adapter: each request one call, its body a Request's", async () => {
    @Injectable()
    class Tei {
      constructor(readonly http: HttpService) {}
    }
    const moduleRef = await suite.start({
      imports: [
        HfStatsModule.forRoot({
          controller: false,
          log: false,
          pricing: [{ model: 'tei-bge', perCall: 0.5 }],
          budget: { maxCalls: 1, onExceed: 'throw' },
        }),
        HttpModule.register({
          adapter: 'fetch',
          env: { fetch: createHfStatsFetch({ track: { urls: suite.router.url, model: 'tei-bge' } }) },
        }),
      ],
      providers: [Tei],
    });
    const stats = moduleRef.get(HfStatsService);
    const { http } = moduleRef.get(Tei);
    await stats.runInSession('axios-1', async () => {
      const { data } = await firstValueFrom(
        http.post<unknown[]>(`${suite.router.url}/embed`, { inputs: ['one two', 'three'] }),
      );
      expect(data).toHaveLength(2);
      // axios wraps what its fetch throws: the refusal is the AxiosError's cause.
      const refused = await firstValueFrom(http.post(`${suite.router.url}/embed`, { inputs: 'over' })).catch(
        (error: unknown) => error,
      );
      expect((refused as { cause?: unknown }).cause).toBeInstanceOf(HfBudgetExceededError);
    });
    suite.router.failNext([{ status: 503 }]);
    await expect(firstValueFrom(http.post(`${suite.router.url}/embed`, { inputs: 'x' }))).rejects.toThrow(/503/);
    expect(stats.getSessionStats('axios-1')).toMatchObject({
      callCount: 1,
      textCount: 2,
      characterCount: 12,
      inputTokens: 3,
      attemptCount: 1,
      budgetRejectedCount: 1,
      estimatedCostUsd: 0.5,
    });
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 2, errors: { '503': 1 } });
  });
});
