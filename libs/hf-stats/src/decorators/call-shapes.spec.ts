import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { defer, firstValueFrom, interval, lastValueFrom, map, mergeMap, throwError, timer, Observable } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HfBudgetExceededError } from '../hf-stats.exceptions.js';
import { HfStatsModule } from '../hf-stats.module.js';
import { HfStatsService } from '../hf-stats.service.js';
import { TrackHFCall } from './track-hf-call.decorator.js';

class UpstreamError extends Error {
  status = 502;
}

/** Methods of the shapes that real clients return: Observables (@nestjs/axios), streams, counts that throw. */
@Injectable()
class ShapesClient {
  subscriptions = 0;

  @TrackHFCall({ model: 'rx', operation: 'feature-extraction' })
  later(ms: number): Observable<string> {
    return defer(() => {
      this.subscriptions += 1;
      return timer(ms).pipe(map(() => 'done'));
    });
  }

  @TrackHFCall({ model: 'rx' })
  failLater(error: Error, ms: number): Observable<never> {
    return timer(ms).pipe(mergeMap(() => throwError(() => error)));
  }

  @TrackHFCall({ model: 'rx' })
  broken(error: Error): Observable<never> {
    // An Observable-like of another library whose subscribe throws.
    const broken = {
      subscribe: (): never => {
        throw error;
      },
      pipe: () => broken,
    };
    return broken as unknown as Observable<never>;
  }

  @TrackHFCall({ model: 'rx' })
  ticks(ms: number): Observable<number> {
    return interval(ms);
  }

  @TrackHFCall({ model: 'chat' })
  async *stream(chunks: number): AsyncGenerator<number> {
    for (let index = 0; index < chunks; index += 1) {
      await Promise.resolve();
      yield index;
    }
  }

  @TrackHFCall<[string[]]>({
    model: 'counted',
    texts: (inputs) => {
      if (inputs.includes('throw')) {
        throw new Error('texts() broke');
      }
      return inputs.length;
    },
  })
  embed(inputs: string[]): string {
    return inputs.join(',');
  }
}

/** Reads one chunk and drops the stream: nothing keeps it once this returns. */
async function readOneStep(client: ShapesClient): Promise<void> {
  const stream = client.stream(5);
  await stream.next();
}

describe('@TrackHFCall on the call shapes of real clients', () => {
  let moduleRef: TestingModule;
  let client: ShapesClient;
  let stats: HfStatsService;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    moduleRef = await Test.createTestingModule({
      imports: [HfStatsModule.forRoot({ controller: false, log: false, sessionIdleTimeoutMs: 0 })],
      providers: [ShapesClient],
    }).compile();
    await moduleRef.init();
    client = moduleRef.get(ShapesClient);
    stats = moduleRef.get(HfStatsService);
  });

  afterEach(async () => {
    vi.useRealTimers();
    await moduleRef.close();
  });

  describe('an Observable', () => {
    it('does nothing until subscribed, then is timed from subscription to completion', async () => {
      const observable = client.later(150);
      vi.advanceTimersByTime(1_000);
      expect(client.subscriptions).toBe(0);
      expect(stats.getGlobalStats().callCount).toBe(0);

      const value = lastValueFrom(observable);
      vi.advanceTimersByTime(149);
      expect(stats.getGlobalStats().callCount).toBe(0);
      vi.advanceTimersByTime(1);
      await expect(value).resolves.toBe('done');
      expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, errorCount: 0, textCount: 0 });
      expect(stats.getGlobalStats().totalTimeMs).toBeCloseTo(150, 0);
      expect(stats.getGlobalStats().byModel.rx?.callCount).toBe(1);
    });

    it('counts its error and passes the same error object through', async () => {
      const error = new UpstreamError('upstream broke');
      const value = lastValueFrom(client.failLater(error, 40));
      vi.advanceTimersByTime(40);
      await expect(value).rejects.toBe(error);
      expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, errorCount: 1, errors: { '502': 1 } });
    });

    it('counts a subscription that throws as failed and hands the error to the subscriber', async () => {
      const error = new UpstreamError('cannot subscribe');
      await expect(lastValueFrom(client.broken(error))).rejects.toBe(error);
      expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, errorCount: 1 });
    });

    it('ends the call at unsubscription, timed until then', async () => {
      const seen: number[] = [];
      const subscription = client.ticks(10).subscribe((tick) => seen.push(tick));
      vi.advanceTimersByTime(35);
      expect(stats.getGlobalStats().callCount).toBe(0);
      subscription.unsubscribe();
      expect(seen).toEqual([0, 1, 2]);
      expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, errorCount: 0 });
      expect(stats.getGlobalStats().totalTimeMs).toBeCloseTo(35, 0);
      vi.advanceTimersByTime(100);
      expect(stats.getGlobalStats().callCount).toBe(1);
    });

    it('counts each subscription as a call of its own, in the session of the method call', async () => {
      const observable = stats.runInSession('rx-session', () => client.later(20));
      const first = firstValueFrom(observable);
      const second = firstValueFrom(observable);
      vi.advanceTimersByTime(20);
      await expect(Promise.all([first, second])).resolves.toEqual(['done', 'done']);
      expect(client.subscriptions).toBe(2);
      expect(stats.getSessionStats('rx-session')?.callCount).toBe(2);
      expect(stats.getGlobalStats().callCount).toBe(2);
    });
  });

  describe('an Observable under a budget', () => {
    let budgeted: TestingModule;

    afterEach(async () => {
      await budgeted.close();
    });

    it('refuses a subscription over the budget, and a refused method call, as the Observable error', async () => {
      budgeted = await Test.createTestingModule({
        imports: [HfStatsModule.forRoot({ controller: false, log: false, budget: { maxCalls: 1, onExceed: 'throw' } })],
        providers: [ShapesClient],
      }).compile();
      await budgeted.init();
      const budgetedClient = budgeted.get(ShapesClient);
      const budgetedStats = budgeted.get(HfStatsService);
      const observable = budgetedStats.runInSession('capped', () => budgetedClient.later(10));
      const first = lastValueFrom(observable);
      vi.advanceTimersByTime(10);
      await expect(first).resolves.toBe('done');
      await expect(lastValueFrom(observable)).rejects.toBeInstanceOf(HfBudgetExceededError);
      // Refused at the method call: still an Observable, whose subscriber gets the refusal.
      const refused = budgetedStats.runInSession('capped', () => budgetedClient.later(10));
      await expect(lastValueFrom(refused)).rejects.toBeInstanceOf(HfBudgetExceededError);
      expect(budgetedClient.subscriptions).toBe(1);
      expect(budgetedStats.getSessionStats('capped')).toMatchObject({ callCount: 1, budgetRejectedCount: 2 });
    });
  });

  describe('a stream', () => {
    it('records a stream read one step and then dropped, once it is collected', async () => {
      vi.useRealTimers();
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      for (let index = 0; index < 20; index += 1) {
        await readOneStep(client);
      }
      expect(stats.getGlobalStats().callCount).toBe(0);
      for (let round = 0; round < 50 && stats.getGlobalStats().callCount < 20; round += 1) {
        gc();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      expect(stats.getGlobalStats()).toMatchObject({ callCount: 20, errorCount: 0 });
    });
  });

  describe('counts that throw', () => {
    it('records the call with what is known and counts the failure', () => {
      expect(client.embed(['a', 'b'])).toBe('a,b');
      expect(client.embed(['throw'])).toBe('throw');
      expect(client.embed(['c'])).toBe('c');
      const snapshot = stats.getSnapshot();
      expect(snapshot.global).toMatchObject({ callCount: 3, textCount: 3 });
      expect(snapshot.global.byModel.counted?.callCount).toBe(3);
      expect(snapshot.internalErrorCount).toBe(1);
    });
  });
});
