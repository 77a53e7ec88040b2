import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Controller, Get, Injectable, Module, Query } from '@nestjs/common';
import OpenAI, { APIError, BadRequestError } from 'openai';
import request from 'supertest';
import {
  HfBudgetExceededError,
  HfStatsModule,
  HfStatsService,
  TrackHFCall,
  trackOpenAI,
  type HfStatsModuleOptions,
} from 'nestjs-hf-stats';
import { HfStatsRecorder } from '../libs/hf-stats/src/recording/hf-stats.recorder.js';
import { describe, expect, it } from 'vitest';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { REPLY, REPLY_TOKENS, ROUTED_PROVIDER } from './fixtures/router/loopback-router.server.js';
import { trackedClientSuite } from './fixtures/router/tracked-client-suite.js';

const CHAT_MODEL = 'openai/gpt-oss-120b';
const EMBEDDING_MODEL = 'Qwen/Qwen3-Embedding-8B';

describe('trackOpenAI: the official openai SDK on the router, tracked', () => {
  const suite = trackedClientSuite();

  const openai = () => trackOpenAI(new OpenAI({ baseURL: `${suite.router.url}/v1`, apiKey: 'hf_test' }));

  const boot = async (options: HfStatsModuleOptions = {}) => {
    const moduleRef = await suite.start({
      imports: [HfStatsModule.forRoot({ controller: false, log: false, ...options })],
    });
    const stats = moduleRef.get(HfStatsService);
    const operations: Array<string | undefined> = [];
    moduleRef.get(HfStatsRecorder).addListener({ onCall: ({ operation }) => operations.push(operation) });
    return { stats, operations, client: openai() };
  };

  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'say hello now' },
  ];

  it('returns the same client and tracks a chat completion, its request id and response kept', async () => {
    const { stats, operations, client } = await boot();
    const original = new OpenAI({ baseURL: `${suite.router.url}/v1`, apiKey: 'hf_test' });
    expect(trackOpenAI(original)).toBe(original);
    const { data, response } = await client.chat.completions.create({ model: CHAT_MODEL, messages }).withResponse();
    expect(data.choices[0].message.content).toBe(REPLY);
    expect(response.status).toBe(200);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 1,
      textCount: 2,
      characterCount: 21,
      inputTokens: 5,
      outputTokens: REPLY_TOKENS,
      attemptCount: 1,
      byModel: { [CHAT_MODEL]: { callCount: 1 } },
      byProvider: { [ROUTED_PROVIDER]: { callCount: 1 } },
    });
    expect(operations).toEqual(['chat-completion']);
  });

  it('chat.completions.parse (a helper over create): one call, with the tokens of the parsed result', async () => {
    const { stats, client } = await boot();
    const parsed = await client.chat.completions.parse({ model: CHAT_MODEL, messages });
    expect(parsed.choices[0].message.content).toBe(REPLY);
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, inputTokens: 5, outputTokens: REPLY_TOKENS });
  });

  it('reads streamed tokens from the final usage chunk, and keeps the SDK stream (tee)', async () => {
    const { stats, client } = await boot();
    const stream = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const [left, right] = stream.tee();
    let text = '';
    for await (const chunk of left) {
      text += chunk.choices[0]?.delta.content ?? '';
    }
    let chunks = 0;
    for await (const chunk of right) {
      chunks += chunk.object === 'chat.completion.chunk' ? 1 : 0;
    }
    expect(text).toBe(REPLY);
    expect(chunks).toBe(REPLY_TOKENS + 2);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 1,
      inputTokens: 5,
      outputTokens: REPLY_TOKENS,
      tokensUnmeasuredCount: 0,
      attemptCount: 1,
    });
  });

  it('includeStreamUsage: asks for the usage chunk of a stream that did not', async () => {
    const { stats } = await boot();
    const client = trackOpenAI(new OpenAI({ baseURL: `${suite.router.url}/v1`, apiKey: 'hf_test' }), {
      includeStreamUsage: true,
    });
    const stream = await client.chat.completions.create({ model: CHAT_MODEL, messages, stream: true });
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
    }
    expect(suite.router.requests.at(-1)?.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(stats.getGlobalStats()).toMatchObject({ inputTokens: 5, outputTokens: 5 });
  });

  it('tracks embeddings.create and responses.create with their own usage shapes', async () => {
    const { stats, operations, client } = await boot();
    const embeddings = await client.embeddings.create({ model: EMBEDDING_MODEL, input: ['one two', 'three'] });
    expect(embeddings.data).toHaveLength(2);
    const response = await client.responses.create({ model: CHAT_MODEL, input: 'four five six seven' });
    expect(response.output_text).toBe(REPLY);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 2,
      textCount: 3,
      characterCount: 12 + 19,
      inputTokens: 3 + 4,
      outputTokens: REPLY_TOKENS,
      byModel: { [EMBEDDING_MODEL]: { callCount: 1, inputTokens: 3 } },
    });
    expect(operations).toEqual(['feature-extraction', 'responses']);
  });

  it("counts the SDK's own retries as attempts of one call, and a call failing after them by its status", async () => {
    const { stats, client } = await boot();
    suite.router.failNext([{ status: 500 }, { status: 429 }]);
    await client.embeddings.create({ model: EMBEDDING_MODEL, input: 'one' });
    suite.router.failNext([{ status: 503 }, { status: 503 }, { status: 503 }]);
    const error = await client.chat.completions.create({ model: CHAT_MODEL, messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    suite.router.failNext([{ status: 400 }]);
    await expect(client.embeddings.create({ model: EMBEDDING_MODEL, input: 'x' })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 3,
      errorCount: 2,
      errors: { '503': 1, '400': 1 },
      attemptCount: 3 + 3 + 1,
      rateLimitedCount: 1,
      statusCodes: { '500': 1, '429': 1, '200': 1, '503': 3, '400': 1 },
    });
  });

  it('counts once inside a @TrackHFCall method, with the tokens of the joined call', async () => {
    @Injectable()
    class Answers {
      readonly client = openai();

      @TrackHFCall({ operation: 'answer', model: CHAT_MODEL })
      async answer(question: string): Promise<string> {
        const completion = await this.client.chat.completions.create({
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: question }],
        });
        return completion.choices[0].message.content ?? '';
      }
    }
    const moduleRef = await suite.start({
      imports: [HfStatsModule.forRoot({ controller: false, log: false })],
      providers: [Answers],
    });
    const stats = moduleRef.get(HfStatsService);
    suite.router.failNext([{ status: 502 }]);
    await expect(moduleRef.get(Answers).answer('two words')).resolves.toBe(REPLY);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 1,
      attemptCount: 2,
      inputTokens: 2,
      outputTokens: REPLY_TOKENS,
    });
  });

  it('bounds a hostile model name as every call site does: short, well-formed, no control characters', async () => {
    const { stats, client } = await boot();
    const hostile = `__proto__\u0000\uD800${'m'.repeat(100_000)}`;
    await client.embeddings.create({ model: hostile, input: 'one' });
    const names = Object.keys(stats.getGlobalStats().byModel);
    expect(names).toHaveLength(1);
    expect(names[0].length).toBeLessThanOrEqual(200);
    expect(names[0]).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    // oxlint-disable-next-line no-control-regex
    expect(names[0]).not.toMatch(/[\u0000-\u001f]/);
  });

  it('ends the call of a create() never awaited once it is collected, timed until its response', async () => {
    const { stats, client } = await boot();
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const before = suite.router.requests.length;
    const fireAndForget = () => {
      void client.embeddings.create({ model: EMBEDDING_MODEL, input: 'dropped' });
    };
    for (let index = 0; index < 5; index += 1) {
      fireAndForget();
    }
    for (let round = 0; round < 100 && suite.router.requests.length - before < 5; round += 1) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (let round = 0; round < 50 && stats.getGlobalStats().callCount < 5; round += 1) {
      gc();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 5, errorCount: 0, attemptCount: 5 });
  });

  it('prices and budgets its calls as the decorator', async () => {
    const { stats, client } = await boot({
      pricing: [{ model: CHAT_MODEL, perInputToken: 0.001, perOutputToken: 0.002 }],
      budget: { maxCalls: 1, onExceed: 'throw' },
    });
    const before = suite.router.requests.length;
    await stats.runInSession('capped', async () => {
      await client.chat.completions.create({ model: CHAT_MODEL, messages });
      await expect(client.chat.completions.create({ model: CHAT_MODEL, messages })).rejects.toBeInstanceOf(
        HfBudgetExceededError,
      );
    });
    expect(suite.router.requests.length - before).toBe(1);
    const session = stats.getSessionStats('capped');
    expect(session).toMatchObject({ callCount: 1, budgetRejectedCount: 1 });
    expect(session?.estimatedCostUsd).toBeCloseTo(5 * 0.001 + REPLY_TOKENS * 0.002, 12);
  });

  describe.each(ADAPTERS)('sessions from x-session-id over real HTTP (%s)', (adapter) => {
    it('counts the calls of a request in its session', async () => {
      @Controller('ask')
      class AskController {
        private readonly client = openai();

        @Get()
        async ask(@Query('q') q: string): Promise<string> {
          const stream = await this.client.chat.completions.create({
            model: CHAT_MODEL,
            messages: [{ role: 'user', content: q }],
            stream: true,
            stream_options: { include_usage: true },
          });
          let text = '';
          for await (const chunk of stream) {
            text += chunk.choices[0]?.delta.content ?? '';
          }
          return text;
        }
      }
      @Module({
        imports: [HfStatsModule.forRoot({ controller: false, log: false })],
        controllers: [AskController],
      })
      class AskModule {}
      const app = suite.closeAfter(await createApp(AskModule, adapter));
      const stats = app.get(HfStatsService);
      await request(app.getHttpServer())
        .get('/ask?q=one%20two%20three')
        .set('x-session-id', 'web-7')
        .expect(200, REPLY);
      await request(app.getHttpServer()).get('/ask?q=four').expect(200);
      expect(stats.getSessionStats('web-7')).toMatchObject({
        callCount: 1,
        textCount: 1,
        inputTokens: 3,
        outputTokens: REPLY_TOKENS,
      });
      expect(stats.getGlobalStats()).toMatchObject({ callCount: 2, inputTokens: 4 });
    });
  });
});
