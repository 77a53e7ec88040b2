import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { onSlotOf } from './create-hf-stats-store.js';
import {
  resolveHfStatsStoreOptions,
  type HfRedisClient,
  type HfRedisStoreOptions,
  type HfRedisStoreSettings,
} from './hf-stats-store.options.js';

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

function withPrefix(keyPrefix: string): HfRedisStoreSettings {
  return resolveHfStatsStoreOptions({ type: 'redis', cluster: ['redis://a:1'], keyPrefix }) as HfRedisStoreSettings;
}

describe('store.cluster', () => {
  it('takes redis:// node URLs, exactly one of url, cluster or client, and keys them under one hash tag', () => {
    const settings = resolveHfStatsStoreOptions({ type: 'redis', cluster: ['redis://127.0.0.1:7000'] });
    expect(settings.type === 'redis' && settings.cluster).toEqual(['redis://127.0.0.1:7000']);
    for (const cluster of [[], ['127.0.0.1:7000'], 'redis://127.0.0.1:7000', [1]]) {
      expect(() => resolveHfStatsStoreOptions({ type: 'redis', cluster } as HfRedisStoreOptions)).toThrow(
        /store\.cluster/,
      );
    }
    expect(() => resolveHfStatsStoreOptions({ type: 'redis', url: 'redis://a:1', cluster: ['redis://a:1'] })).toThrow(
      /exactly one/,
    );
    const resolved = settings as HfRedisStoreSettings;
    expect(onSlotOf(resolved, true).keyPrefix).toBe('{hf-stats:}');
    expect(onSlotOf(resolved, false).keyPrefix).toBe('hf-stats:');
    expect(onSlotOf(withPrefix('app:{stats}:'), true).keyPrefix).toBe('app:{stats}:');
    // An empty tag hashes the whole key (each session elsewhere): wrapped like no tag at all.
    expect(onSlotOf(withPrefix('a{}b:'), true).keyPrefix).toBe('{a{}b:}');
  });
});
