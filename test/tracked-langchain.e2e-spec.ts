import { ChatOpenAI } from '@langchain/openai';
import {
  createHfStatsFetch,
  HfBudgetExceededError,
  HfStatsModule,
  HfStatsService,
  hfStatsCallbacks,
  TrackHFCall,
  type HfStatsModuleOptions,
} from 'nestjs-hf-stats';
import { describe, expect, it } from 'vitest';
import { REPLY, REPLY_TOKENS } from './fixtures/router/loopback-router.server.js';
import { trackedClientSuite } from './fixtures/router/tracked-client-suite.js';

const CHAT_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

describe('LangChain.js: hfStatsCallbacks on @langchain/openai pointed at the router', () => {
  const suite = trackedClientSuite();

  const chat = () =>
    new ChatOpenAI({
      model: CHAT_MODEL,
      apiKey: 'hf_test',
      maxRetries: 0,
      configuration: { baseURL: `${suite.router.url}/v1`, fetch: createHfStatsFetch() },
      callbacks: [hfStatsCallbacks()],
    });

  const boot = async (options: HfStatsModuleOptions = {}) => {
    const moduleRef = await suite.start({
      imports: [HfStatsModule.forRoot({ controller: false, log: false, ...options })],
    });
    return { stats: moduleRef.get(HfStatsService), model: chat() };
  };

  const messages = [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'say hello now' },
  ];

  it('invoke and stream: one call each, texts from the messages, tokens from tokenUsage and usage_metadata', async () => {
    const { stats, model } = await boot({ pricing: [{ model: CHAT_MODEL, perOutputToken: 0.002 }] });
    const answer = await model.invoke(messages);
    expect(answer.content).toBe(REPLY);
    let streamed = '';
    for await (const chunk of await model.stream(messages)) {
      streamed += typeof chunk.content === 'string' ? chunk.content : '';
    }
    expect(streamed).toBe(REPLY);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 2,
      textCount: 4,
      characterCount: 2 * 21,
      inputTokens: 2 * 5,
      outputTokens: 2 * REPLY_TOKENS,
      tokensUnmeasuredCount: 0,
      byModel: { [CHAT_MODEL]: { callCount: 2 } },
    });
    // The request runs outside the callback: its attempt is not the call's.
    expect(stats.getSnapshot()).toMatchObject({ untrackedAttemptCount: 2 });
    // Nor is the router's x-inference-provider, which comes with that attempt.
    expect(stats.getGlobalStats().byProvider).toEqual({ unknown: expect.objectContaining({ callCount: 2 }) });
    expect(stats.getGlobalStats().estimatedCostUsd).toBeCloseTo(2 * REPLY_TOKENS * 0.002, 12);
  });

  it('errors by status, sessions, a budget refusal, and once inside a decorated method with its attempts', async () => {
    const { stats, model } = await boot({ budget: { maxCalls: 1, onExceed: 'throw' } });
    suite.router.failNext([{ status: 400 }]);
    await expect(model.invoke('x')).rejects.toThrow(/400/);
    await stats.runInSession('lc-1', async () => {
      await model.invoke('one two');
      await expect(model.invoke('three')).rejects.toBeInstanceOf(HfBudgetExceededError);
    });
    class Writer {
      @TrackHFCall({ operation: 'write' })
      async write(prompt: string): Promise<string> {
        const result = await model.invoke(prompt);
        return typeof result.content === 'string' ? result.content : '';
      }
    }
    await expect(new Writer().write('four five six')).resolves.toBe(REPLY);
    expect(stats.getSessionStats('lc-1')).toMatchObject({ callCount: 1, inputTokens: 2, budgetRejectedCount: 1 });
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 3,
      errorCount: 1,
      errors: { '400': 1 },
      inputTokens: 2 + 3,
      // The decorated call's one request is its attempt.
      attemptCount: 1,
    });
  });
});
