import type { HfStatsSettings } from '../hf-stats.options.js';
import { HfMemoryStore } from './hf-memory-store.js';
import { createHfRedisStore } from './hf-redis-store.js';
import type { HfStatsStore } from './hf-stats-store.js';

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
  return new HfMemoryStore();
}
