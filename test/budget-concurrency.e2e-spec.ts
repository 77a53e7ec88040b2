import { InferenceClient } from '@huggingface/inference';
import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import * as fc from 'fast-check';
import {
  createHfStatsFetch,
  HfBudgetExceededError,
  HfStatsModule,
  HfStatsService,
  TrackHFCall,
  type HfStatsModuleOptions,
} from 'nestjs-hf-stats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';
import { GatedHfClient, settle } from './fixtures/budget/gated-hf.client.js';

const MODEL = 'sentence-transformers/all-MiniLM-L6-v2';

@Injectable()
class EmbeddingClient {
  client: InferenceClient | undefined;

  @TrackHFCall({ operation: 'feature-extraction', model: MODEL })
  embed(inputs: string[]): Promise<unknown> {
    return (this.client as InferenceClient).featureExtraction({ inputs });
  }
}

type Outcome = 'ok' | 'refused' | 'failed';

function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  return call.then(
    () => 'ok',
    (error: unknown) => (error instanceof HfBudgetExceededError ? 'refused' : 'failed'),
  );
}

function count(outcomes: Outcome[], outcome: Outcome): number {
  return outcomes.filter((each) => each === outcome).length;
}

describe('budgets under concurrency: a call in flight counts from its start', () => {
  let simulator: HfSimulator;
  let moduleRef: TestingModule | undefined;

  beforeAll(async () => {
    simulator = await startHfSimulator({ latencyMs: 20 });
  });
  afterAll(async () => {
    await simulator.close();
  });
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  const boot = async (options: HfStatsModuleOptions) => {
    @Module({
      imports: [HfStatsModule.forRoot({ controller: false, log: false, ...options })],
      providers: [EmbeddingClient, GatedHfClient],
    })
    class BudgetModule {}
    moduleRef = await Test.createTestingModule({ imports: [BudgetModule] }).compile();
    await moduleRef.init();
    const embeddings = moduleRef.get(EmbeddingClient);
    embeddings.client = new InferenceClient(undefined, { endpointUrl: simulator.url, fetch: createHfStatsFetch() });
    return { embeddings, gated: moduleRef.get(GatedHfClient), stats: moduleRef.get(HfStatsService) };
  };

  it('maxCalls 5: exactly 5 of 50 concurrent calls reach Hugging Face, through the real client', async () => {
    const { embeddings, stats } = await boot({ budget: { maxCalls: 5, onExceed: 'throw' } });
    const before = simulator.requestCount;
    const outcomes = await stats.runInSession('burst', () =>
      Promise.all(Array.from({ length: 50 }, (_, i) => outcomeOf(embeddings.embed([`text ${i}`])))),
    );
    expect(count(outcomes, 'ok')).toBe(5);
    expect(count(outcomes, 'refused')).toBe(45);
    expect(simulator.requestCount - before).toBe(5);
    expect(stats.getSessionStats('burst')).toMatchObject({ callCount: 5, budgetRejectedCount: 45 });
    expect(stats.getSessionStats('burst')).not.toHaveProperty('inFlightCallCount');
  });

  it('maxTexts: the texts of calls in flight count, so concurrency admits what sequence does', async () => {
    const { gated, stats } = await boot({ budget: { maxTexts: 10, onExceed: 'throw' } });
    const call = () => outcomeOf(gated.chat({ model: 'm', messages: ['a', 'b', 'c'] }));
    // In sequence: 0, 3, 6, 9 texts before the call are under 10, so 4 calls pass.
    const sequential: Outcome[] = [];
    await stats.runInSession('sequential', async () => {
      for (let i = 0; i < 10; i += 1) {
        const outcome = call();
        gated.gate.finish();
        sequential.push(await outcome);
      }
    });
    const concurrent = stats.runInSession('concurrent', () => Promise.all(Array.from({ length: 10 }, call)));
    await settle();
    gated.gate.finish();
    expect(count(sequential, 'ok')).toBe(4);
    expect(count(await concurrent, 'ok')).toBe(4);
    expect(stats.getSessionStats('concurrent')).toMatchObject({ textCount: 12, budgetRejectedCount: 6 });
  });

  it('maxCostUsd with a fixed price per call: exact under concurrency, as in sequence', async () => {
    const { gated, stats } = await boot({
      pricing: [{ model: '*', perCall: 0.001 }],
      budget: { maxCostUsd: 0.0035, onExceed: 'throw' },
    });
    const outcomes = stats.runInSession('priced', () =>
      Promise.all(Array.from({ length: 50 }, () => outcomeOf(gated.chat({ model: 'm', messages: ['a'] })))),
    );
    await settle();
    // Reserved at their start: $0, 0.001, 0.002, 0.003 spent or reserved before each of the 4 that pass.
    expect(gated.gate.reached).toBe(4);
    gated.gate.finish();
    expect(count(await outcomes, 'ok')).toBe(4);
    expect(stats.getSessionStats('priced')).toMatchObject({ estimatedCostUsd: 0.004, budgetRejectedCount: 46 });
  });

  it('a failed call releases what it reserved: the session goes on once it has settled', async () => {
    const { gated, stats } = await boot({
      // A failed call has no tokens, so this rule leaves it unpriced: its cost is $0.
      pricing: [{ model: '*', perCall: 0.001, perOutputToken: 0.0001 }],
      budget: { maxCostUsd: 0.0015, onExceed: 'throw' },
    });
    await stats.runInSession('released', async () => {
      const first = outcomeOf(gated.chat({ model: 'm', messages: ['a'] }));
      const second = outcomeOf(gated.chat({ model: 'm', messages: ['a'] }));
      // $0.002 reserved by the two in flight: the third is refused.
      expect(await outcomeOf(gated.chat({ model: 'm', messages: ['a'] }))).toBe('refused');
      gated.gate.finish(2, 'fail');
      expect([await first, await second]).toEqual(['failed', 'failed']);
      // A call that throws synchronously settles at once and releases its reservation too.
      expect(() => gated.syncFailure({ model: 'm', messages: ['a'] })).toThrow('refused synchronously');
      const fourth = outcomeOf(gated.chat({ model: 'm', messages: ['a'], outputTokens: 1 }));
      await settle();
      gated.gate.finish();
      expect(await fourth).toBe('ok');
    });
    expect(stats.getSessionStats('released')).toMatchObject({
      callCount: 4,
      errorCount: 3,
      budgetRejectedCount: 1,
      estimatedCostUsd: 0.0011,
    });
  });

  it('maxCostUsd with token prices: the overshoot stays within the documented bound (property)', async () => {
    const { gated, stats } = await boot({
      pricing: [{ model: '*', perCall: 0.0001, perOutputToken: 0.00001 }],
      budget: { maxCostUsd: 0.002, onExceed: 'throw' },
    });
    const limitNano = 2_000_000;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // A schedule: start a call with this many output tokens, or finish the oldest calls in flight.
        fc.array(
          fc.oneof(
            fc.record({ start: fc.integer({ min: 0, max: 300 }) }),
            fc.record({ finish: fc.integer({ min: 1, max: 5 }) }),
          ),
          { minLength: 1, maxLength: 60 },
        ),
        async (schedule) => {
          run += 1;
          const sessionId = `cost-${run}`;
          // What the budget saw: cost settled, reservations of the calls in flight, each admitted call.
          let settledNano = 0;
          const inFlight: Array<{ reservedNano: number; finalNano: number }> = [];
          let bound = limitNano;
          const calls: Array<Promise<Outcome>> = [];
          let refusedUnderLimit = 0;
          for (const step of schedule) {
            if ('start' in step) {
              const finalNano = 100_000 + step.start * 10_000;
              const outcome = stats.runInSession(sessionId, () =>
                outcomeOf(gated.chat({ model: 'm', messages: ['a'], outputTokens: step.start })),
              );
              calls.push(outcome);
              await settle();
              const reached = gated.gate.waitingCount > inFlight.length;
              if (reached) {
                // Admitted: the bound is the limit plus this call's price plus the unreserved part of the others.
                bound = Math.max(
                  bound,
                  limitNano + finalNano + inFlight.reduce((sum, each) => sum + each.finalNano - each.reservedNano, 0),
                );
                inFlight.push({ reservedNano: 100_000, finalNano });
              } else if (settledNano + inFlight.reduce((sum, each) => sum + each.reservedNano, 0) < limitNano) {
                refusedUnderLimit += 1;
              }
            } else {
              const finished = inFlight.splice(0, step.finish);
              gated.gate.finish(finished.length);
              settledNano += finished.reduce((sum, each) => sum + each.finalNano, 0);
              await settle();
            }
          }
          gated.gate.finish();
          settledNano += inFlight.reduce((sum, each) => sum + each.finalNano, 0);
          await Promise.all(calls);
          const spentNano = Math.round((stats.getSessionStats(sessionId)?.estimatedCostUsd ?? 0) * 1e9);
          expect(refusedUnderLimit).toBe(0);
          expect(spentNano).toBe(settledNano);
          expect(spentNano).toBeLessThan(bound);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('maxCalls is exact whatever the interleaving of starts and ends (property)', async () => {
    const { gated, stats } = await boot({ budget: { maxCalls: 7, onExceed: 'throw' } });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant('start' as const), fc.integer({ min: 1, max: 4 })), { maxLength: 80 }),
        async (schedule) => {
          run += 1;
          const sessionId = `calls-${run}`;
          const calls: Array<Promise<Outcome>> = [];
          for (const step of schedule) {
            if (step === 'start') {
              calls.push(stats.runInSession(sessionId, () => outcomeOf(gated.chat({ model: 'm', messages: ['a'] }))));
            } else {
              gated.gate.finish(step, step % 2 === 0 ? 'ok' : 'fail');
            }
            await settle(3);
          }
          gated.gate.finish();
          const outcomes = await Promise.all(calls);
          const starts = schedule.filter((step) => step === 'start').length;
          expect(count(outcomes, 'refused')).toBe(Math.max(0, starts - 7));
          expect(stats.getSessionStats(sessionId)?.callCount ?? 0).toBe(Math.min(starts, 7));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a session that could not be created has no figures to check: its budgeted calls are refused', async () => {
    const { gated, stats } = await boot({ maxSessions: 2, budget: { maxCalls: 2, onExceed: 'throw' } });
    stats.runInSession('a', () => undefined);
    stats.runInSession('b', () => undefined);
    const outcomes = await stats.runInSession('c', () =>
      Promise.all(Array.from({ length: 10 }, () => outcomeOf(gated.chat({ model: 'm', messages: ['a'] })))),
    );
    expect(count(outcomes, 'refused')).toBe(10);
    expect(gated.gate.reached).toBe(0);
    // Outside any session there is no budget: the call runs.
    const outside = gated.chat({ model: 'm', messages: [] });
    await settle();
    expect(gated.gate.reached).toBe(1);
    gated.gate.finish();
    await outside;
    const inOverflow = await stats
      .runInSession('c', () => gated.chat({ model: 'm', messages: ['a'] }))
      .catch((error: unknown) => error);
    expect(inOverflow).toBeInstanceOf(HfBudgetExceededError);
    expect(inOverflow).toMatchObject({ limit: 'maxSessions', limitValue: 2 });
    expect(stats.getGlobalStats().budgetRejectedCount).toBe(11);
  });

  it("with onExceed 'warn', calls of a session that could not be created go through", async () => {
    const { gated, stats } = await boot({ maxSessions: 1, budget: { maxCalls: 2, onExceed: 'warn' } });
    stats.runInSession('a', () => undefined);
    const outcomes = stats.runInSession('b', () =>
      Promise.all(Array.from({ length: 4 }, () => outcomeOf(gated.chat({ model: 'm', messages: ['a'] })))),
    );
    await settle();
    gated.gate.finish();
    expect(await outcomes).toEqual(['ok', 'ok', 'ok', 'ok']);
    // One for runInSession, one per call: as before calls were held from their start.
    expect(stats.getSnapshot().sessionOverflowCount).toBe(5);
  });
});
