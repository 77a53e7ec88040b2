import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { resolveHfStatsStoreOptions, type HfRedisClient, type HfRedisStoreOptions } from './hf-stats-store.options.js';

// The public option type is the library's own description of a client; these keep it in step with ioredis.
describe('HfRedisClient', () => {
  const clients: Redis[] = [];
  afterEach(() => {
    clients.splice(0).forEach((client) => client.disconnect());
  });

  it("takes an ioredis Redis or Cluster as it is, and passes the app's client through unchanged", () => {
    // Checked by `npm run typecheck`: a member added to HfRedisClient that ioredis lacks fails here.
    expectTypeOf<Redis>().toExtend<HfRedisClient>();
    expectTypeOf<Cluster>().toExtend<HfRedisClient>();
    expectTypeOf<{ type: 'redis'; client: Redis }>().toExtend<HfRedisStoreOptions>();
    expectTypeOf<{ status: string }>().not.toExtend<HfRedisClient>();
    const client = new Redis({ lazyConnect: true });
    clients.push(client);
    const settings = resolveHfStatsStoreOptions({ type: 'redis', client });
    expect(settings.type === 'redis' && settings.client).toBe(client);
  });
});
