import type { Redis } from 'ioredis';
import type { HfStatsSettings } from '../hf-stats.options.js';
import { HfMemoryStore } from './hf-memory-store.js';
import { HfRedisStore, type HfRedisStoreLimits } from './hf-redis-store.js';
import type { HfStatsStore } from './hf-stats-store.js';
import type { HfRedisStoreSettings } from './hf-stats-store.options.js';
import { importOptionalPeer } from '../utils/optional-peer.js';

/** The store the `store` option asks for; ioredis is loaded only for `type: 'redis'`. */
export async function createHfStatsStore(options: HfStatsSettings): Promise<HfStatsStore> {
  const store = options.store;
  if (store.type === 'redis') {
    return createHfRedisStore(store, {
      maxModels: options.maxModels,
      maxSessions: options.maxSessions,
      sessionIdleTimeoutMs: options.sessionIdleTimeoutMs,
    });
  }
  return new HfMemoryStore({ maxModels: options.maxModels, maxSessions: options.maxSessions });
}

/** Creates the Redis store, loading ioredis only now, so that apps on the memory store never need it. */
export async function createHfRedisStore(
  settings: HfRedisStoreSettings,
  limits: HfRedisStoreLimits,
): Promise<HfRedisStore> {
  if (settings.client !== undefined) {
    return new HfRedisStore(settings.client, settings, limits, false);
  }
  const { Redis: RedisClass } = await importOptionalPeer<{ Redis: typeof Redis }>(
    'ioredis',
    'store',
    "use store: { type: 'memory' }",
  );
  const client = new RedisClass(settings.url as string, {
    // Fail fast while Redis is away: the buffer keeps the figures and the next flush retries.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: 'nestjs-hf-stats',
  });
  // Connection errors are reported by the flushes that fail; without a listener ioredis would print each one.
  client.on('error', () => undefined);
  return new HfRedisStore(client, settings, limits, true);
}
