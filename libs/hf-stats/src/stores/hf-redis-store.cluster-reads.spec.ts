import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisTestsEnabled } from '../../../../test/fixtures/redis/redis-support.js';
import { StoreHarness, TEST_LIMITS } from '../../../../test/fixtures/redis/store-harness.js';
import { decodeSessionCursor, encodeSessionCursor } from '../sessions/session-cursor.js';
import { compareSessionKeys, type HfSessionKey } from '../sessions/session-page.js';
import { callRecord } from '../stats/call-record.fixture.js';
import { INDEX_SLICE } from './redis-session-reader.js';

const enabled = await redisTestsEnabled('HfRedisStore cluster reads');

describe.runIf(enabled)('HfRedisStore: pages of every session of the cluster, read from Redis', () => {
  const harness = new StoreHarness();
  afterEach(async () => {
    vi.useRealTimers();
    await harness.cleanup();
  });

  it('pages over several index slices in the one listing order, ties by id, with exact counts', async () => {
    const prefix = harness.prefix();
    const limits = { ...TEST_LIMITS, maxSessions: 2000 };
    const [a, b] = [
      await harness.replica(prefix, undefined, { listedSessions: 1 }, limits),
      await harness.replica(prefix, undefined, { listedSessions: 1 }, limits),
    ];
    // More sessions than three slices of the index, in groups of 10 that share one last-activity millisecond.
    const count = INDEX_SLICE * 3 + 17;
    const base = Date.now() - 60_000;
    for (let i = 0; i < count; i++) {
      const store = i % 2 === 0 ? a.store : b.store;
      store.record(callRecord({ sessionId: `s-${String(i).padStart(4, '0')}`, endedAt: base + Math.floor(i / 10) }));
    }
    await Promise.all([a.store.flush(), b.store.flush()]);
    for (const id of ['s-0003', 's-0500', 's-0700']) {
      a.store.endSession(id, 'ended', Date.now());
    }
    await a.store.flush();

    const listings: HfSessionKey[][] = [];
    for (const reader of [a.store, b.store]) {
      const keys: HfSessionKey[] = [];
      let after: HfSessionKey | undefined;
      do {
        const { value: page, partial } = await reader.readSessions({ limit: 97, after });
        expect(partial).toBe(false);
        expect(page).toMatchObject({ matchCount: count, sessionCount: count, activeSessionCount: count - 3 });
        for (const session of page.items) {
          const { active, sessionId } = session;
          keys.push({ active, lastActivityAt: Date.parse(session.lastActivityAt), sessionId });
        }
        // As the routes do: the cursor's text and back.
        after = page.next === undefined ? undefined : decodeSessionCursor(encodeSessionCursor(page.next), 128);
      } while (after !== undefined);
      listings.push(keys);
    }
    // Every session once, in the listing order (the times are Redis's, each replica's moved by its own clock offset
    // when written, so the order is checked on the times shown), equal from both replicas.
    const [keys] = listings;
    expect(new Set(keys.map((key) => key.sessionId)).size).toBe(count);
    expect(keys).toEqual(keys.toSorted(compareSessionKeys));
    expect(
      keys
        .slice(-3)
        .map((key) => key.sessionId)
        .toSorted(),
    ).toEqual(['s-0003', 's-0500', 's-0700']);
    // Ties were there to order by id.
    expect(keys.filter((key, i) => i > 0 && key.lastActivityAt === keys[i - 1].lastActivityAt).length).toBeGreaterThan(
      100,
    );
    expect(listings[1]).toEqual(keys);
    const prefixed = await b.store.readSessions({ limit: 5, idPrefix: 's-07', active: true });
    expect(prefixed.value.matchCount).toBe(66);
    const matching = keys.filter((key) => key.active && key.sessionId.startsWith('s-07'));
    expect(prefixed.value.items.map((session) => session.sessionId)).toEqual(
      matching.slice(0, 5).map((key) => key.sessionId),
    );
  });

  it("shows this replica's calls not yet written with the cluster's, and a session only buffered here", async () => {
    const prefix = harness.prefix();
    const [a, b] = [await harness.replica(prefix), await harness.replica(prefix)];
    a.store.record(callRecord({ sessionId: 'shared', endedAt: Date.now() }));
    await a.store.flush();
    b.store.record(callRecord({ sessionId: 'shared', endedAt: Date.now() }));
    b.store.record(callRecord({ sessionId: 'only-buffered', endedAt: Date.now() }));
    expect((await b.store.readSession('shared')).value?.callCount).toBe(2);
    expect((await a.store.readSession('shared')).value?.callCount).toBe(1);
    const page = (await b.store.readSessions({ limit: 10 })).value;
    expect(page.items.map((session) => [session.sessionId, session.callCount])).toEqual([
      ['only-buffered', 1],
      ['shared', 2],
    ]);
    expect(page.sessionCount).toBe(2);
  });

  it('a replica whose clock is 90 s ahead shows the times of its own clock, while Redis keeps its own', async () => {
    const prefix = harness.prefix();
    const admin = harness.admin();
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + 90_000);
    const { store } = await harness.replica(prefix);
    const at = Date.now();
    store.record(callRecord({ sessionId: 'skewed', endedAt: at }));
    await store.flush();
    const held = Number(await admin.hget(`${prefix}session:skewed`, 'lastActivityAt'));
    expect(Math.abs(held - (at - 90_000))).toBeLessThan(1_000);
    for (let read = 0; read < 3; read++) {
      const { value } = await store.readSession('skewed');
      expect(Math.abs(Date.parse(value?.lastActivityAt ?? '') - at)).toBeLessThan(1_000);
      const page = (await store.readSessions({ limit: 1 })).value;
      // The offset is refined as round trips get shorter: by a few milliseconds at most.
      expect(Math.abs(Date.parse(page.items[0].lastActivityAt) - at)).toBeLessThan(1_000);
    }
  });

  it('stops reading the hashes of a page once its sessions hold the byte budget', async () => {
    const server = await harness.ownServer();
    const prefix = harness.prefix(server.url);
    const admin = harness.admin(server.url);
    // No background flush during the count of script calls below (a loaded machine made one land there).
    const { store } = await harness.replica(prefix, server.url, { flushIntervalMs: 60_000 });
    // 150 sessions of 40 models each: some 14 KB of JSON each, over the 6 KB per session a page may hold.
    for (let i = 0; i < 150; i++) {
      for (let m = 0; m < 40; m++) {
        store.record(callRecord({ sessionId: `big-${i}`, model: `model-${m}`, endedAt: Date.now() }));
      }
    }
    await store.flush();
    const scriptCalls = async (): Promise<number> =>
      Number(/cmdstat_evalsha:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    const before = await scriptCalls();
    const { value: page } = await store.readSessions({ limit: 150 }, 150 * 6 * 1024);
    const calls = (await scriptCalls()) - before;
    // The index (one call), then one batch of 100 hashes, which holds more than the budget: not the other 50.
    expect(page.items).toHaveLength(100);
    expect(calls).toBe(101);
    expect(page.matchCount).toBe(150);
  });
});
