import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { ClsModule, ClsService } from 'nestjs-cls';
import { createHfStatsFetch, HfStatsModule, HfStatsService, TrackHFCall } from 'nestjs-hf-stats';
import { HfStatsRecorder } from '../libs/hf-stats/src/recording/hf-stats.recorder.js';
import { callContext } from '../libs/hf-stats/src/stats/call-context.js';
import type { HfCallRecord } from '../libs/hf-stats/src/stats/hf-call-record.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trackedClientSuite } from './fixtures/router/tracked-client-suite.js';

const post = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Attempts of each recorded call, by operation. */
const attemptsOf = (records: HfCallRecord[]) =>
  Object.fromEntries(records.map(({ operation, attempts }) => [operation, attempts?.count ?? 0]));

/**
 * Node 20's `AsyncLocalStorage` runs on promise hooks: an enabled one adds work to every promise of the process, and
 * says so in its `enabled` field. Node 24's (AsyncContextFrame) has no such state and costs nothing per promise.
 */
const PROMISE_HOOKED = 'enabled' in new AsyncLocalStorage();

/** Whether the call context's own storage is enabled (Node 20). */
const ownEnabled = (): boolean => (callContext.own as unknown as { enabled: boolean }).enabled;

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  const opened: Array<() => void> = [];
  const promise = new Promise<void>((resolve) => opened.push(resolve));
  return { promise, open: () => opened.forEach((resolve) => resolve()) };
}

/** What the code of a call saw of its context. */
interface Seen {
  ownStore: unknown;
  current: unknown;
  keys: string[];
}

describe('the context of a tracked call (what a tracked fetch attributes its attempts by)', () => {
  const suite = trackedClientSuite();

  const boot = async () => {
    @Injectable()
    class Embedder {
      readonly fetch = createHfStatsFetch();
      readonly seen: Seen[] = [];
      /** The own storage's store as code of an ended call, still running, finds it. */
      readonly late: unknown[] = [];

      constructor(private readonly cls: ClsService) {}

      embedAt(path: string): Promise<Response> {
        return this.fetch(`${suite.router.url}${path}`, post({ inputs: ['one two'] }));
      }

      @TrackHFCall({ operation: 'outer', texts: () => 1 })
      async outer(): Promise<void> {
        await this.embedAt('/embed');
        await this.inner();
        // After the inner call returned, this code is the outer call's again.
        await this.embedAt('/embed');
      }

      @TrackHFCall({ operation: 'inner', texts: () => 1 })
      async inner(): Promise<void> {
        await this.embedAt('/embed');
      }

      @TrackHFCall({ operation: 'looks', texts: () => 1 })
      async looks(): Promise<void> {
        this.seen.push({
          ownStore: callContext.own.getStore(),
          current: callContext.current(),
          keys: this.cls.isActive() ? Object.keys(this.cls.get()) : [],
        });
        if (this.cls.isActive()) {
          this.cls.set('setInCall', 'kept');
        }
        await this.embedAt('/embed');
      }

      @TrackHFCall({ operation: 'leaves', texts: () => 1 })
      async leaves(later: Promise<void>): Promise<void> {
        await this.embedAt('/embed');
        // Runs once the test resolves `later`, after the call has ended, in the call's context.
        void later.then(() => {
          this.late.push(callContext.own.getStore());
        });
      }

      @TrackHFCall({ operation: 'gated', texts: () => 1 })
      async gated(opened: Promise<void>): Promise<void> {
        await opened;
        await this.embedAt('/embed');
      }

      @TrackHFCall({ operation: 'sets', texts: () => 0 })
      async sets(entries: Array<[string, unknown]>): Promise<void> {
        await this.embedAt('/embed');
        for (const [key, value] of entries) {
          this.cls.set(key, value);
        }
      }

      @TrackHFCall({ operation: 'nested-contexts', texts: () => 1 })
      async nestedContexts(): Promise<void> {
        // `cls.run()` inherits a copy of the store: the copy keeps the call.
        await this.cls.run(() => this.embedAt('/embed'));
        // A context made anew holds nothing of the call's: its requests are attempts outside any call.
        await this.cls.run({ ifNested: 'override' }, () => this.embedAt('/embed'));
      }
    }
    const moduleRef = await suite.start({
      imports: [ClsModule.forFeature(), HfStatsModule.forRoot({ controller: false, log: false })],
      providers: [Embedder],
    });
    const records: HfCallRecord[] = [];
    moduleRef.get(HfStatsRecorder).addListener({ onCall: (record) => records.push(record) });
    return {
      stats: moduleRef.get(HfStatsService),
      cls: moduleRef.get(ClsService),
      embedder: moduleRef.get(Embedder),
      records,
    };
  };

  it('in a session, rides in the nestjs-cls context: no storage of its own, no key the code sees, writes kept', async () => {
    const { stats, cls, embedder, records } = await boot();
    const keysOutside = await stats.runInSession('s-1', async () => {
      const outside = Object.keys(cls.get());
      await embedder.looks();
      // What the call's code set in the store is there after it, as without the module.
      expect(cls.get('setInCall')).toBe('kept');
      return outside;
    });
    expect(embedder.seen).toHaveLength(1);
    const [seen] = embedder.seen;
    // Inside a nestjs-cls context the call needs no AsyncLocalStorage of its own (each adds work to every promise).
    expect(seen.ownStore).toBeUndefined();
    expect(seen.current).toBeDefined();
    expect(seen.keys).toEqual(keysOutside);
    expect(attemptsOf(records)).toEqual({ looks: 1 });
    expect(stats.getSessionStats('s-1')).toMatchObject({ callCount: 1, attemptCount: 1 });
  });

  it('outside any nestjs-cls context, a storage of its own', async () => {
    const { cls, embedder, records } = await boot();
    expect(cls.isActive()).toBe(false);
    await embedder.looks();
    expect(embedder.seen[0].ownStore).toBe(embedder.seen[0].current);
    expect(embedder.seen[0].current).toBeDefined();
    expect(attemptsOf(records)).toEqual({ looks: 1 });
  });

  it.runIf(PROMISE_HOOKED)(
    'outside any nestjs-cls context, lets its own storage go once no such call is open',
    async () => {
      const { cls, embedder, records } = await boot();
      expect(cls.isActive()).toBe(false);
      const later = gate();
      await embedder.leaves(later.promise);
      expect(ownEnabled()).toBe(false);
      later.open();
      await later.promise;
      // The code of the ended call finds no call any more (its requests count untracked, as the ended call's did).
      expect(embedder.late).toEqual([undefined]);
      // The next such call takes the storage again.
      await embedder.looks();
      expect(embedder.seen[0].ownStore).toBe(embedder.seen[0].current);
      expect(embedder.seen[0].current).toBeDefined();
      expect(ownEnabled()).toBe(false);
      expect(attemptsOf(records)).toEqual({ leaves: 1, looks: 1 });
    },
  );

  it.runIf(PROMISE_HOOKED)(
    'outside any nestjs-cls context, keeps its own storage while another call is open',
    async () => {
      const { stats, embedder, records } = await boot();
      const [firstGate, secondGate] = [gate(), gate()];
      const first = embedder.gated(firstGate.promise);
      const second = embedder.gated(secondGate.promise);
      firstGate.open();
      await first;
      // The second call is still open: its request, made after the first ended, is still its own.
      expect(ownEnabled()).toBe(true);
      secondGate.open();
      await second;
      expect(records.map(({ attempts }) => attempts?.count)).toEqual([1, 1]);
      expect(stats.getSnapshot()).toMatchObject({ untrackedAttemptCount: 0 });
      expect(ownEnabled()).toBe(false);
    },
  );

  it.each([
    ['in a session', true],
    ['outside any context', false],
  ])('nested calls %s: each attempt is the innermost open call’s', async (_, inSession) => {
    const { stats, embedder, records } = await boot();
    await (inSession ? stats.runInSession('s-2', () => embedder.outer()) : embedder.outer());
    expect(attemptsOf(records)).toEqual({ inner: 1, outer: 2 });
    expect(stats.getSnapshot()).toMatchObject({ untrackedAttemptCount: 0 });
  });

  it('a nested cls.run() that inherits the store keeps the call; one that starts anew does not', async () => {
    const { stats, embedder, records } = await boot();
    await stats.runInSession('s-3', () => embedder.nestedContexts());
    expect(attemptsOf(records)).toEqual({ 'nested-contexts': 1 });
    expect(stats.getSnapshot()).toMatchObject({ untrackedAttemptCount: 1 });
  });

  it("fails no request in a store of the app's that throws on an unknown key: its attempts count untracked", async () => {
    const { stats, cls, embedder, records } = await boot();
    // A strict store, as an app may make one: reading a key it does not hold throws.
    const strict = new Proxy(
      {},
      {
        get(target, key) {
          if (!(key in target)) {
            throw new Error('unknown key');
          }
          return Reflect.get(target, key) as unknown;
        },
      },
    );
    const answered = await cls.runWith(strict, () => embedder.embedAt('/embed'));
    expect(answered.status).toBe(200);
    // The decorated method runs too (untracked: not even its session can be read), and so does its request.
    await expect(cls.runWith(strict, () => embedder.inner())).resolves.toBeUndefined();
    expect(records).toEqual([]);
    expect(stats.getSnapshot()).toMatchObject({ untrackedAttemptCount: 2 });
  });

  it('leaves the store as the same writes leave it without the module, for any keys and values (property)', async () => {
    const { stats, cls, embedder } = await boot();
    // Plain names and dotted paths (nestjs-cls nests those), never a prototype's.
    const name = fc
      .string({ minLength: 1, maxLength: 6 })
      .filter((key) => !/__proto__|constructor|prototype/.test(key));
    const key = fc.oneof(
      name,
      fc.array(name, { minLength: 2, maxLength: 3 }).map((parts) => parts.join('.')),
    );
    /** What the store holds under string keys after the writes, or the error they threw. */
    const outcome = async (write: () => Promise<void>): Promise<string> => {
      try {
        await write();
        return JSON.stringify(Object.entries(cls.get()));
      } catch (error) {
        return `threw ${(error as Error).name}`;
      }
    };
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, fc.jsonValue()), { maxLength: 8 }), async (entries) => {
        runs += 1;
        const id = `p-${runs}`;
        const without = await stats.runInSession(id, () =>
          outcome(async () => {
            for (const [entryKey, value] of entries) {
              cls.set(entryKey, value);
            }
          }),
        );
        const within = await stats.runInSession(id, () => outcome(() => embedder.sets(entries)));
        expect(within).toBe(without);
      }),
      { numRuns: 60 },
    );
    // Each tracked call was one, its request its attempt.
    expect(stats.getGlobalStats()).toMatchObject({ callCount: runs, attemptCount: runs });
  });
});
