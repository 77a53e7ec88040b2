import { invalidOption } from '../hf-stats.messages.js';
import { mergeOntoDefaults, objectOption, positiveInteger } from '../utils/option-checks.js';

/**
 * The members of a Redis client that the Redis store uses, so that the public types don't need ioredis
 * installed. An ioredis `Redis` or `Cluster` (versions 5 and 6) has them all: pass one of your app's clients as it is.
 */
export interface HfRedisClient {
  /** `'ready'` once connected; the store waits for the `ready` event otherwise. */
  readonly status: string;
  /** True for an ioredis `Cluster`: the store then keeps every key under one hash tag (see `keyPrefix`). */
  readonly isCluster?: boolean;
  /** The store passes its script arguments as one array (never spread: a flush may have thousands). */
  evalsha(sha1: string, numkeys: number, args: string[]): Promise<unknown>;
  /** Runs the script where its key lives when that node lacks it (a restarted node, or another node of a Cluster). */
  eval(script: string, numkeys: number, args: string[]): Promise<unknown>;
  script(subcommand: 'LOAD', script: string): Promise<unknown>;
  once(event: 'ready', listener: () => void): unknown;
  /** The store listens for `close`, `end` and `error` to know at once that the connection is down. */
  on(event: 'close' | 'end' | 'error', listener: () => void): unknown;
  off(event: 'close' | 'end' | 'error', listener: () => void): unknown;
  /** Used only on a connection the store opened itself (`url`), never on yours. */
  quit(): Promise<unknown>;
  /** Used only on a connection the store opened itself (`url`), never on yours. */
  disconnect(): void;
}

/** Keep the figures in this process only (the default). */
export interface HfMemoryStoreOptions {
  type: 'memory';
}

/**
 * Share the figures of every replica through Redis (needs the optional peer dependency `ioredis`).
 * Give exactly one of `url`, `cluster` or `client`.
 */
export interface HfRedisStoreOptions {
  type: 'redis';
  /** `redis://[:password@]host:port[/db]`; the store opens and closes its own connection. */
  url?: string;
  /**
   * The nodes of a Redis Cluster (`redis://host:port`, a few are enough: the others are discovered); the store opens
   * and closes its own ioredis `Cluster`.
   */
  cluster?: string[];
  /** An ioredis client of the app (any {@link HfRedisClient}); the store neither closes it nor changes its options. */
  client?: HfRedisClient;
  /**
   * Prefix of every key, so that several apps can share one Redis. Default `'hf-stats:'`. On a Redis Cluster the
   * keys are `{<keyPrefix>}...` (unless the prefix holds a `{tag}` of its own): one hash slot, so that each script
   * call touches one node.
   */
  keyPrefix?: string;
  /** How often buffered figures are written (one round trip each). Default 1000 ms. */
  flushIntervalMs?: number;
  /** A session with no activity for this long is deleted from Redis. Default 86400000 (1 day). */
  sessionRetentionMs?: number;
  /** Longest wait for one round trip before it is retried (idempotently) at the next flush. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Most recently active sessions read back at each flush, for `listSessions` and `GET /hf-stats`. Default 100. */
  listedSessions?: number;
}

/** The `store` option. */
export type HfStatsStoreOptions = HfMemoryStoreOptions | HfRedisStoreOptions;

/** The memory store's settings (it has none of its own). */
export class HfMemoryStoreSettings {
  readonly type = 'memory';
}

/** The Redis store settings in force: user options merged once onto these defaults. */
export class HfRedisStoreSettings {
  readonly type = 'redis';
  url: string | undefined = undefined;
  cluster: string[] | undefined = undefined;
  client: HfRedisClient | undefined = undefined;
  keyPrefix = 'hf-stats:';
  flushIntervalMs = 1000;
  sessionRetentionMs = 86_400_000;
  commandTimeoutMs = 2000;
  listedSessions = 100;
}

export type HfStatsStoreSettings = HfMemoryStoreSettings | HfRedisStoreSettings;

/** Applies the defaults of the `store` option, or throws an error naming the invalid field. */
export function resolveHfStatsStoreOptions(options: HfStatsStoreOptions | undefined): HfStatsStoreSettings {
  if (options === undefined) {
    return new HfMemoryStoreSettings();
  }
  const fields = objectOption('store', options, "an object { type: 'memory' } or { type: 'redis', url | client, ... }");
  if (fields.type === 'memory') {
    return new HfMemoryStoreSettings();
  }
  if (fields.type !== 'redis') {
    throw invalidOption('store.type', fields.type, "'memory' or 'redis'");
  }
  const resolved = mergeOntoDefaults(new HfRedisStoreSettings(), fields, 'store.');
  const { url, cluster, client, keyPrefix } = resolved;
  if ([url, cluster, client].filter((given) => given !== undefined).length !== 1) {
    throw invalidOption(
      'store',
      options,
      'exactly one of store.url (a redis:// URL), store.cluster (redis:// URLs) or store.client (an ioredis client)',
    );
  }
  if (
    cluster !== undefined &&
    (!Array.isArray(cluster) ||
      cluster.length === 0 ||
      cluster.length > 100 ||
      !cluster.every((node) => typeof node === 'string' && /^rediss?:\/\//.test(node)))
  ) {
    throw invalidOption('store.cluster', cluster, 'a non-empty array of at most 100 redis:// or rediss:// URLs');
  }
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    throw invalidOption('store.url', url, 'a redis:// or rediss:// URL');
  }
  if (client !== undefined && (client === null || typeof client !== 'object' || typeof client.evalsha !== 'function')) {
    throw invalidOption('store.client', client, 'an ioredis client (new Redis(...))');
  }
  if (typeof keyPrefix !== 'string' || keyPrefix.length > 200) {
    throw invalidOption('store.keyPrefix', keyPrefix, 'a string of at most 200 characters');
  }
  for (const option of ['flushIntervalMs', 'sessionRetentionMs', 'commandTimeoutMs', 'listedSessions'] as const) {
    positiveInteger(`store.${option}`, resolved[option]);
  }
  return resolved;
}
