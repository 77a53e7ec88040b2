import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnRedisCluster } from './fixtures/redis/own-redis-cluster.js';
import { redisTestsEnabled, uniquePrefix } from './fixtures/redis/redis-support.js';
import { startFixtureReplica, stopFixtureReplica, type FixtureReplica } from './fixtures/redis/spawn-fixture.js';

const enabled = await redisTestsEnabled('redis-cluster-replicas.e2e-spec');
const FIXTURES = new URL('./fixtures/redis/', import.meta.url);
const REPLICAS = 3;

type Replica = FixtureReplica;

/** One replica of the fixture app in a process of its own, on the Cluster's nodes, flushing every 100 ms. */
function startReplica(nodes: string[], prefix: string): Promise<Replica> {
  return startFixtureReplica(new URL('replica.app.ts', FIXTURES), [nodes.join(','), prefix, '100']);
}

interface Totals {
  callCount: number;
  partial: boolean;
  lostCallCount: number;
}

describe.runIf(enabled)('replicas in separate processes on a real three-master Redis Cluster', () => {
  const cluster = new OwnRedisCluster();
  const prefix = uniquePrefix();
  const replicas: Replica[] = [];

  beforeAll(async () => {
    await cluster.start();
    replicas.push(...(await Promise.all(Array.from({ length: REPLICAS }, () => startReplica(cluster.urls, prefix)))));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => stopFixtureReplica(replica)));
    await cluster.stop();
  });

  it('the master of the slot killed and restarted while calls flow: exact totals afterwards from every replica', async () => {
    const master = await cluster.masterOf(`{${prefix}}global`);
    let sent = 0;
    let inSession = 0;
    let round = 0;
    /** One round of calls on every replica (5 each, every other round in the session "kept"). */
    const callRound = async (): Promise<void> => {
      const session = round % 2 === 0;
      round += 1;
      await Promise.all(
        replicas.map(async (replica) => {
          const call = request(replica.url).post('/work?n=5');
          await (session ? call.set('x-session-id', 'kept') : call).expect(201);
        }),
      );
      sent += 5 * replicas.length;
      inSession += session ? 5 * replicas.length : 0;
    };
    for (let i = 0; i < 10; i++) {
      await callRound();
    }
    // Flushes (every 100 ms) have written these to the slot's master; it now dies, and comes back empty.
    await Promise.all(replicas.map((replica) => request(replica.url).post('/flush').expect(201)));
    await cluster.stopNode(master);
    for (let i = 0; i < 10; i++) {
      await callRound();
    }
    await cluster.restartNode(master);
    for (let i = 0; i < 10; i++) {
      await callRound();
    }
    let totals: Totals[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      await Promise.all(replicas.map((replica) => request(replica.url).post('/flush').expect(201)));
      await Promise.all(replicas.map((replica) => request(replica.url).post('/flush').expect(201)));
      totals = await Promise.all(
        replicas.map(async (replica) => (await request(replica.url).get('/totals').expect(200)).body as Totals),
      );
      if (totals.every((total) => !total.partial && total.callCount === sent)) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sent).toBe(30 * 5 * REPLICAS);
    for (const total of totals) {
      expect(total).toEqual(expect.objectContaining({ callCount: sent, partial: false, lostCallCount: 0 }));
    }
    for (const replica of replicas) {
      const { body } = (await request(replica.url).get('/hf-stats/sessions/kept').expect(200)) as {
        body: { callCount: number };
      };
      expect(body.callCount).toBe(inSession);
    }
  }, 120_000);
});
