import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeys, redisTestsEnabled, SHARED_REDIS_URL } from '../../../../test/fixtures/redis/redis-support.js';
import { StoreHarness, TEST_LIMITS, type StoreLimits } from '../../../../test/fixtures/redis/store-harness.js';
import { callRecord } from '../stats/call-record.fixture.js';
import type { HfSessionEndReason, HfSessionStats } from '../stats/hf-stats.interfaces.js';
import { createHfRedisStore } from './create-hf-stats-store.js';
import type { HfRedisStore } from './hf-redis-store.js';
import { resolveHfStatsStoreOptions, type HfRedisStoreSettings } from './hf-stats-store.options.js';
import { MAX_CHUNK_ARGS, READ_BUDGET_FIELDS, SWEEP_LIMIT } from './redis-flush-plan.js';
import { RESET_STEP_SESSIONS } from './redis-shared-reset.js';

const enabled = await redisTestsEnabled('HfRedisStore script time');

/** What one flush-script call carried and read (the call itself is real: the client only looks at it). */
interface SeenCall {
  /** Arguments of its writes: scopes and ends (what MAX_CHUNK_ARGS bounds). */
  writeArgs: number;
  /** Hash fields it read: whole sessions and the piece of a hash read in pieces. */
  fieldsRead: number;
  /** Sessions it ended. */
  ends: number;
}

/** Sizes of the body of a flush-script call (redis-scripts.ts: ARGV[19] on; here after KEYS[1] too). */
function writeArgsOf(args: string[]): number {
  const body = args.slice(19);
  let i = 1;
  for (let scope = 0; scope < Number(body[0]); scope++) {
    i += 6 + 3 * Number(body[i + 5]);
  }
  i += 1 + 2 * Number(body[i]);
  return i;
}

function fieldsReadOf(reply: unknown[]): number {
  const scan = reply[2] as string[] | [string, string, string[]];
  let fields = scan.length === 3 ? (scan[2] as string[]).length / 2 : 0;
  const sessions = reply[4] as Array<string | string[]>;
  for (let i = 1; i < sessions.length; i += 2) {
    fields += (sessions[i] as string[]).length / 2;
  }
  return fields;
}

/**
 * A real client whose flush-script calls and the steps of the sessions' reset are recorded as they pass (same
 * connection, same replies). The reset's other steps (the timeline's minutes, the budget leases) are not counted.
 */
function observedClient(calls: SeenCall[], resets: number[], afterCall?: (index: number) => Promise<void>): Redis {
  const client = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const observe = async (args: string[], reply: Promise<unknown>, script?: string): Promise<unknown> => {
    const answer = await reply;
    if (args.length === 3) {
      if (script?.includes("prefix .. 'sessions'") === true) {
        resets.push(Number(answer));
      }
    } else {
      const flat = answer as unknown[];
      calls.push({
        writeArgs: writeArgsOf(args),
        fieldsRead: fieldsReadOf(flat),
        ends: (flat[5] as string[]).length / 2,
      });
      await afterCall?.(calls.length);
    }
    return answer;
  };
  const evalsha = client.evalsha.bind(client) as (sha: string, keys: number, args: string[]) => Promise<unknown>;
  const evalScript = client.eval.bind(client) as (script: string, keys: number, args: string[]) => Promise<unknown>;
  Object.assign(client, {
    evalsha: (sha: string, keys: number, args: string[]) => observe(args, evalsha(sha, keys, args)),
    eval: (script: string, keys: number, args: string[]) => observe(args, evalScript(script, keys, args), script),
  });
  return client;
}

/** The calls of a session of `models` models: `perModel` calls each, spread over the latency histogram. */
function recordSession(store: HfRedisStore, sessionId: string, models: number, perModel = 3, at = Date.now()): number {
  for (let m = 0; m < models; m++) {
    for (let c = 0; c < perModel; c++) {
      store.record(callRecord({ sessionId, model: `org/model-${m}`, durationMs: 1 + c * 37, endedAt: at }));
    }
  }
  return models * perModel;
}

describe.runIf(enabled)('HfRedisStore: every script call does bounded work, with exact totals', () => {
  const harness = new StoreHarness();
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) {
      await close();
    }
    await harness.cleanup();
  });

  async function observed(
    prefix: string,
    limits: StoreLimits = TEST_LIMITS,
    afterCall?: (index: number) => Promise<void>,
  ): Promise<{ store: HfRedisStore; calls: SeenCall[]; resets: number[]; ends: string[] }> {
    const calls: SeenCall[] = [];
    const resets: number[] = [];
    const ends: string[] = [];
    const client = observedClient(calls, resets, afterCall);
    const settings = resolveHfStatsStoreOptions({ type: 'redis', client, keyPrefix: prefix });
    const store = await createHfRedisStore(settings as HfRedisStoreSettings, limits);
    store.start((session: HfSessionStats, reason: HfSessionEndReason) => ends.push(`${session.sessionId}:${reason}`));
    closers.push(async () => {
      await store.close();
      client.disconnect();
    });
    return { store, calls, resets, ends };
  }

  it('a session of 50 models (some 3,500 arguments) is written in pieces of at most MAX_CHUNK_ARGS, counted once', async () => {
    const prefix = harness.prefix();
    const a = await observed(prefix);
    const b = await harness.replica(prefix);
    const calls = recordSession(a.store, 'big', 50);
    await a.store.flush();
    expect(a.calls.length).toBeGreaterThan(2);
    expect(Math.max(...a.calls.map((call) => call.writeArgs))).toBeLessThanOrEqual(MAX_CHUNK_ARGS);
    await b.store.flush();
    const session = b.store.sessionStats('big');
    expect(session?.callCount).toBe(calls);
    expect(Object.keys(session?.byModel ?? {})).toHaveLength(50);
    expect(Object.values(session?.byModel ?? {}).every((model) => model.callCount === 3)).toBe(true);
    expect(a.store.sessionStats('big')?.callCount).toBe(calls);
    expect(b.store.globalStats().callCount).toBe(calls);
  });

  it('100 listed sessions of 50 models are read back over several calls, each within READ_BUDGET_FIELDS', async () => {
    const prefix = harness.prefix();
    const a = await harness.replica(prefix);
    for (let i = 0; i < 100; i++) {
      recordSession(a.store, `listed-${i}`, 50, 1);
    }
    await a.store.flush();
    const b = await observed(prefix);
    await b.store.flush();
    const readers = b.calls.filter((call) => call.fieldsRead > 0);
    expect(readers.length).toBeGreaterThan(10);
    // HSCAN's COUNT is a hint: a piece may hold a few fields more than asked.
    expect(Math.max(...b.calls.map((call) => call.fieldsRead))).toBeLessThanOrEqual(READ_BUDGET_FIELDS * 1.1);
    const page = b.store.listSessions({ limit: 100 });
    expect(page.items).toHaveLength(100);
    expect(page.items.every((session) => session.callCount === 50 && Object.keys(session.byModel).length === 50)).toBe(
      true,
    );
    expect(b.store.globalStats().callCount).toBe(5000);
  });

  it('a session larger than the read budget is read in pieces, exact', async () => {
    const prefix = harness.prefix();
    const limits = { ...TEST_LIMITS, maxModels: 200 };
    const a = await harness.replica(prefix, undefined, {}, limits);
    // 200 models, each with 12 latency buckets: some 5,000 fields, more than one call reads.
    const calls = recordSession(a.store, 'huge', 200, 12);
    await a.store.flush();
    const size = await harness.admin().hlen(`${prefix}session:huge`);
    expect(size).toBeGreaterThan(READ_BUDGET_FIELDS);
    const b = await observed(prefix, limits);
    await b.store.flush();
    expect(Math.max(...b.calls.map((call) => call.fieldsRead))).toBeLessThanOrEqual(READ_BUDGET_FIELDS * 1.1);
    const session = b.store.sessionStats('huge');
    expect(session?.callCount).toBe(calls);
    expect(Object.keys(session?.byModel ?? {})).toHaveLength(200);
    expect(b.store.globalStats().callCount).toBe(calls);
  });

  it('the idle sweep ends at most SWEEP_LIMIT sessions per call, and every idle session once', async () => {
    const prefix = harness.prefix();
    const limits = { ...TEST_LIMITS, sessionIdleTimeoutMs: 60_000 };
    const a = await observed(prefix, limits);
    const idle = 2 * SWEEP_LIMIT + 30;
    for (let i = 0; i < idle; i++) {
      a.store.record(callRecord({ sessionId: `idle-${i}`, endedAt: Date.now() - 120_000 }));
    }
    a.store.record(callRecord({ sessionId: 'busy', endedAt: Date.now() }));
    await a.store.flush();
    expect(Math.max(...a.calls.map((call) => call.ends))).toBeLessThanOrEqual(SWEEP_LIMIT);
    expect(a.calls.filter((call) => call.ends > 0).length).toBeGreaterThanOrEqual(3);
    expect(a.ends.toSorted()).toEqual(Array.from({ length: idle }, (_, i) => `idle-${i}:idle`).toSorted());
    expect(a.store.activeSessionCount()).toBe(1);
  });

  it('reset({ cluster: true }) deletes at most RESET_STEP_SESSIONS sessions per call', async () => {
    const prefix = harness.prefix();
    const a = await observed(prefix, { ...TEST_LIMITS, maxSessions: 10_000 });
    const sessions = 3 * RESET_STEP_SESSIONS + 10;
    for (let i = 0; i < sessions; i++) {
      a.store.record(callRecord({ sessionId: `s-${i}`, endedAt: Date.now() }));
    }
    await a.store.flush();
    await a.store.resetShared();
    expect(a.resets).toHaveLength(4);
    const deleted = [sessions, ...a.resets].slice(1).map((left, i) => [sessions, ...a.resets][i] - left);
    expect(Math.max(...deleted)).toBeLessThanOrEqual(RESET_STEP_SESSIONS);
    expect(a.resets.at(-1)).toBe(0);
    expect(a.store.globalStats().callCount).toBe(0);
  });

  it('Redis loses its data between the pieces of a session: the session is written again whole, exact', async () => {
    const prefix = harness.prefix();
    let lose = false;
    const a = await observed(prefix, TEST_LIMITS, async () => {
      if (lose) {
        lose = false;
        // Only this spec's keys: what a FLUSHALL does to the store, without touching the shared Redis's others.
        await deleteKeys(SHARED_REDIS_URL, prefix);
      }
    });
    const b = await harness.replica(prefix);
    await a.store.flush();
    const before = recordSession(a.store, 'earlier', 2);
    await a.store.flush();
    const calls = recordSession(a.store, 'big', 50);
    lose = true;
    await a.store.flush();
    await a.store.flush();
    await b.store.flush();
    expect(b.store.sessionStats('big')?.callCount).toBe(calls);
    expect(b.store.sessionStats('earlier')?.callCount).toBe(before);
    expect(b.store.globalStats().callCount).toBe(before + calls);
    expect(b.store.globalStats().byModel['org/model-49']?.callCount).toBe(3);
    expect(a.store.lostCallCount).toBe(0);
  });

  it('active-index entries of sessions gone or ended are dropped by the sweep, which so always finishes', async () => {
    const prefix = harness.prefix();
    const limits = { ...TEST_LIMITS, sessionIdleTimeoutMs: 60_000 };
    const a = await observed(prefix, limits);
    await a.store.flush();
    const admin = harness.admin();
    // More than one sweep's worth of entries whose hash is gone (expired between two trims, say).
    const stale = Array.from({ length: SWEEP_LIMIT + 20 }, (_, i) => [Date.now() - 120_000 + i, `gone-${i}`]).flat();
    await admin.zadd(`${prefix}active`, ...stale);
    a.store.record(callRecord({ sessionId: 'busy', endedAt: Date.now() }));
    await a.store.flush();
    expect(await admin.zcard(`${prefix}active`)).toBe(1);
    expect(a.ends).toEqual([]);
    expect(a.store.activeSessionCount()).toBe(1);
  });
});
