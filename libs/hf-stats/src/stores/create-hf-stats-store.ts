import type { Cluster, Redis } from 'ioredis';
import type { HfStatsSettings } from '../hf-stats.options.js';
import { HfMemoryStore } from './hf-memory-store.js';
import { HfRedisStore, type HfRedisStoreLimits } from './hf-redis-store.js';
import type { HfStatsStore } from './hf-stats-store.js';
import { HfRedisStoreSettings } from './hf-stats-store.options.js';
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
    return new HfRedisStore(settings.client, onSlotOf(settings, settings.client.isCluster === true), limits, false);
  }
  const { Redis: RedisClass, Cluster: ClusterClass } = await importOptionalPeer<{
    Redis: typeof Redis;
    Cluster: typeof Cluster;
  }>('ioredis', 'store', "use store: { type: 'memory' }");
  // Fail fast while Redis is away: the buffer keeps the figures and the next flush retries.
  const redisOptions = { maxRetriesPerRequest: 1, connectionName: 'nestjs-hf-stats' };
  const client =
    settings.cluster === undefined
      ? new RedisClass(settings.url as string, { ...redisOptions, enableOfflineQueue: false })
      : new ClusterClass(settings.cluster, { redisOptions, enableOfflineQueue: false });
  // Connection errors are reported by the flushes that fail; without a listener ioredis would print each one.
  client.on('error', () => undefined);
  return new HfRedisStore(client, onSlotOf(settings, settings.cluster !== undefined), limits, true);
}

/**
 * On a Redis Cluster, every key of the store in one hash slot: the prefix becomes a hash tag (`{hf-stats:}`) unless
 * it holds one already, so that the flush script (which builds its keys from the prefix) touches one node. The
 * store then lives on one shard: a Cluster gives it availability and room for the app's other keys, not more
 * throughput than one Redis node.
 */
export function onSlotOf(settings: HfRedisStoreSettings, isCluster: boolean): HfRedisStoreSettings {
  // Redis hashes the text between the first '{' and the first '}' after it, when not empty.
  const open = settings.keyPrefix.indexOf('{');
  if (!isCluster || (open >= 0 && settings.keyPrefix.indexOf('}', open + 1) > open + 1)) {
    return settings;
  }
  return Object.assign(new HfRedisStoreSettings(), settings, { keyPrefix: `{${settings.keyPrefix}}` });
}
