import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HfSessionPage, HfSessionStats, HfStatsSnapshot, HfTimeline } from 'nestjs-hf-stats';
import { OwnRedisCluster } from './fixtures/redis/own-redis-cluster.js';
import { startFixtureReplica, stopFixtureReplica, type FixtureReplica } from './fixtures/redis/spawn-fixture.js';
import { deleteKeys, redisTestsEnabled, SHARED_REDIS_URL, uniquePrefix } from './fixtures/redis/redis-support.js';

const enabled = await redisTestsEnabled('redis-cluster-views.e2e-spec');
const FIXTURE = new URL('./fixtures/redis/views-replica.app.ts', import.meta.url);

type Replica = FixtureReplica;

function startReplica(store: object): Promise<Replica> {
  return startFixtureReplica(FIXTURE, [JSON.stringify(store)]);
}

/** Every page of a listing, following `nextCursor`: the ids in order, and the counts of the first page. */
async function allPages(url: string, query: string): Promise<{ ids: string[]; first: HfSessionPage }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let first: HfSessionPage | undefined;
  // At most 1,000 ids, in case a cursor never ends.
  do {
    const path = `/hf-stats/sessions?${query}${cursor === null ? '' : `&cursor=${cursor}`}`;
    const page = (await request(url).get(path).expect(200)).body as HfSessionPage;
    first ??= page;
    ids.push(...page.sessions.map((session) => session.sessionId));
    cursor = page.nextCursor;
  } while (cursor !== null && ids.length < 1000);
  if (first === undefined) {
    throw new Error('no page');
  }
  return { ids, first };
}

const backends = [
  ['one Redis node', false],
  ['a Redis Cluster of three masters', true],
] as const;

describe.runIf(enabled).each(backends)('the whole cluster from every replica, on %s', (_name, onCluster) => {
  const prefix = uniquePrefix();
  const cluster = new OwnRedisCluster();
  let replicas: Replica[] = [];
  /** Calls sent, in total and per minute (epoch minutes; the replicas share this machine's clock). */
  let sent = 0;
  const sentByMinute = new Map<number, number>();
  /** Requests that ran across a minute boundary: their calls' minute is not known here. */
  let straddled = 0;

  async function work(replica: Replica, session: string | undefined, query: string): Promise<void> {
    const minute = Math.floor(Date.now() / 60_000);
    const call = request(replica.url).post(`/work?${query}`);
    const { body } = await (session === undefined ? call : call.set('x-session-id', session)).expect(201);
    const { recorded } = body as { recorded: number };
    sent += recorded;
    if (Math.floor(Date.now() / 60_000) === minute) {
      sentByMinute.set(minute, (sentByMinute.get(minute) ?? 0) + recorded);
    } else {
      straddled += 1;
    }
  }

  async function flushAll(): Promise<void> {
    for (const replica of replicas) {
      await request(replica.url).post('/flush').expect(201);
    }
  }

  beforeAll(async () => {
    // listedSessions: 2, so that what a flush reads back (the most recent two) cannot be what answers.
    const base = { keyPrefix: prefix, listedSessions: 2 };
    let store: object = { ...base, url: SHARED_REDIS_URL };
    if (onCluster) {
      await cluster.start();
      store = { ...base, cluster: cluster.urls };
    }
    replicas = await Promise.all([startReplica(store), startReplica(store), startReplica(store)]);
    const [a, b, c] = replicas;
    await work(a, 'only-a', 'n=3&ms=10&model=model-a');
    await work(a, 'only-a', 'n=2&ms=30&model=model-b');
    for (let i = 0; i < 24; i += 1) {
      await work(replicas[i % 3], `p-${String(i).padStart(2, '0')}`, `n=${1 + (i % 4)}&ms=${5 + i}`);
    }
    for (let i = 0; i < 5; i += 1) {
      await work(replicas[(i + 1) % 3], `q-${i}`, 'n=2&ms=7&model=model-q');
    }
    await work(b, undefined, 'n=4&ms=12');
    await flushAll();
    // Ended on a replica that never served them.
    await request(c.url).post('/end?session=p-00').expect(201);
    await request(a.url).post('/end?session=p-04').expect(201);
    await request(b.url).post('/end?session=q-1').expect(201);
    await flushAll();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => stopFixtureReplica(replica)));
    if (onCluster) {
      await cluster.stop();
    } else {
      await deleteKeys(SHARED_REDIS_URL, prefix);
    }
  }, 30_000);

  it('reads a session served only by one replica from every replica, with the same figures', async () => {
    const answers: HfSessionStats[] = [];
    for (const replica of replicas) {
      answers.push((await request(replica.url).get('/hf-stats/sessions/only-a').expect(200)).body as HfSessionStats);
    }
    expect(answers[0]).toMatchObject({ sessionId: 'only-a', callCount: 5, textCount: 10, active: true });
    expect(answers[0].byModel['model-a'].callCount).toBe(3);
    expect(answers[0].byModel['model-b'].callCount).toBe(2);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    await request(replicas[1].url).get('/hf-stats/sessions/never-seen').expect(404);
  });

  it('lists, pages and filters the same sessions from every replica, with the same counts', async () => {
    const queries = ['limit=7', 'limit=4&active=false', 'limit=2&prefix=q-', 'limit=3&active=true&prefix=p-1'];
    for (const query of queries) {
      const listings = [];
      for (const replica of replicas) {
        listings.push(await allPages(replica.url, query));
      }
      expect(listings[1]).toEqual(listings[0]);
      expect(listings[2]).toEqual(listings[0]);
    }
    const all = await allPages(replicas[2].url, 'limit=7');
    expect(all.ids).toHaveLength(30);
    expect(new Set(all.ids).size).toBe(30);
    expect(all.first).toMatchObject({ matchCount: 30, sessionCount: 30, activeSessionCount: 27 });
    // Active first, then ended ones.
    expect(all.ids.slice(27).toSorted()).toEqual(['p-00', 'p-04', 'q-1']);
    const ended = await allPages(replicas[0].url, 'limit=4&active=false');
    expect(ended.ids.toSorted()).toEqual(['p-00', 'p-04', 'q-1']);
    expect(ended.first.matchCount).toBe(3);
    const q = await allPages(replicas[1].url, 'limit=2&prefix=q-');
    expect(q.ids.toSorted()).toEqual(['q-0', 'q-1', 'q-2', 'q-3', 'q-4']);
    expect(q.first).toMatchObject({ matchCount: 5, sessionCount: 30, activeSessionCount: 27 });

    const snapshots: HfStatsSnapshot[] = [];
    for (const replica of replicas) {
      snapshots.push(
        (await request(replica.url).get('/hf-stats?limit=5&prefix=p-').expect(200)).body as HfStatsSnapshot,
      );
    }
    expect(snapshots[0].sessions.map((session) => session.sessionId)).toHaveLength(5);
    expect(snapshots[0]).toMatchObject({ matchCount: 24, partial: false });
    expect(snapshots[1].sessions).toEqual(snapshots[0].sessions);
    expect(snapshots[2].sessions).toEqual(snapshots[0].sessions);
  });

  it('answers the same timeline from every replica, whose calls add up to what was sent', async () => {
    const timelines: HfTimeline[] = [];
    for (const replica of replicas) {
      const timeline = (await request(replica.url).get('/hf-stats/timeline?minutes=10').expect(200)).body as HfTimeline;
      // `to` is the moment of the answer.
      timelines.push({ ...timeline, to: '' });
    }
    const calls = timelines[0].global.reduce((sum, point) => sum + point.callCount, 0);
    expect(calls).toBe(sent);
    // Exact per minute too, unless a request ran across a minute boundary (then its calls' minute is unknown).
    const perMinute = timelines[0].global.map((point) => point.callCount);
    const expected = timelines[0].global.map((point) =>
      straddled === 0 ? (sentByMinute.get(Date.parse(point.at) / 60_000) ?? 0) : point.callCount,
    );
    expect(perMinute).toEqual(expected);
    expect(timelines[0].byModel['model-q'].reduce((sum, point) => sum + point.callCount, 0)).toBe(10);
    expect(timelines[1]).toEqual(timelines[0]);
    expect(timelines[2]).toEqual(timelines[0]);
  });
});
