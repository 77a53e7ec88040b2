import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HfStatsSnapshot } from 'nestjs-hf-stats';
import { startFixtureReplica, stopFixtureReplica, type FixtureReplica } from './fixtures/redis/spawn-fixture.js';
import { deleteKeys, redisTestsEnabled, SHARED_REDIS_URL, uniquePrefix } from './fixtures/redis/redis-support.js';

const enabled = await redisTestsEnabled('redis-replicas.e2e-spec');
const FIXTURES = new URL('./fixtures/redis/', import.meta.url);

type Replica = FixtureReplica;

/** Starts one replica of the fixture app in a Node process of its own, on the source compiled by swc. */
function startReplica(prefix: string): Promise<Replica> {
  return startFixtureReplica(new URL('replica.app.ts', FIXTURES), [SHARED_REDIS_URL, prefix]);
}

describe.runIf(enabled)('two app instances in separate processes sharing one Redis', () => {
  const prefix = uniquePrefix();
  let a: Replica | undefined;
  let b: Replica | undefined;

  beforeAll(async () => {
    [a, b] = await Promise.all([startReplica(prefix), startReplica(prefix)]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([stopFixtureReplica(a), stopFixtureReplica(b)]);
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  it('answers the exact cluster totals from either instance, sessions split across both included', async () => {
    const replicas = [a as Replica, b as Replica];
    // 40 requests spread over both instances, concurrently: 10 calls each of model-a (10 ms) or model-b (30 ms),
    // half of them in the session "split", which so lands on both instances.
    const requests = Array.from({ length: 40 }, (_, i) => {
      const target = replicas[i % 2].url;
      const call = request(target).post(
        `/work?n=10&ms=${i % 4 < 2 ? 10 : 30}&model=${i % 4 < 2 ? 'model-a' : 'model-b'}`,
      );
      return i % 3 === 0 ? call.set('x-session-id', 'split') : call;
    });
    const answers = await Promise.all(requests);
    expect(answers.every((answer) => answer.status === 201)).toBe(true);

    // Each flush writes that instance's figures; the last one also reads back the other's.
    await request(replicas[0].url).post('/flush').expect(201);
    await request(replicas[1].url).post('/flush').expect(201);
    await request(replicas[0].url).post('/flush').expect(201);

    const sessionRequests = requests.filter((_, i) => i % 3 === 0).length;
    for (const replica of replicas) {
      const { body } = (await request(replica.url).get('/hf-stats').expect(200)) as {
        body: HfStatsSnapshot & { partial: boolean };
      };
      expect(body.partial).toBe(false);
      expect(body.global).toMatchObject({
        callCount: 400,
        textCount: 800,
        inputTokens: 1200,
        outputTokens: 400,
        totalTimeMs: 200 * 10 + 200 * 30,
        minTimeMs: 10,
        maxTimeMs: 30,
      });
      expect(body.global.byModel['model-a'].callCount).toBe(200);
      expect(body.global.byModel['model-b'].callCount).toBe(200);
      // Half the calls took 10 ms: the median is their bucket's estimate, within the histogram's 2 %.
      expect(Math.abs((body.global.p50TimeMs ?? 0) - 10) / 10).toBeLessThan(0.02);
      const split = body.sessions.find((session) => session.sessionId === 'split');
      expect(split?.callCount).toBe(sessionRequests * 10);
    }
  });

  it('an instance killed between flushes loses only what it buffered since its last flush', async () => {
    const [survivor, victim] = [a as Replica, b as Replica];
    await request(survivor.url).post('/flush').expect(201);
    const before = ((await request(survivor.url).get('/hf-stats').expect(200)).body as HfStatsSnapshot).global
      .callCount;
    await request(victim.url).post('/work?n=5').expect(201);
    await request(victim.url).post('/flush').expect(201);
    await request(victim.url).post('/work?n=7').expect(201);
    await new Promise<void>((resolve) => {
      victim.child.once('exit', () => resolve());
      victim.child.kill('SIGKILL');
    });
    await request(survivor.url).post('/flush').expect(201);
    const after = ((await request(survivor.url).get('/hf-stats').expect(200)).body as HfStatsSnapshot).global.callCount;
    expect(after - before).toBe(5);
  });
});
