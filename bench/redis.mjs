// The Redis store (issue 5): 1. added cost per call of @TrackHFCall with `store: { type: 'redis' }`
// against the memory store, in one process (write-behind: a call only folds into an in-memory buffer);
// 2. Redis round trips per second while 10,000 calls per second are tracked, with the default 1 s flush
// interval (target: one per interval); 3. how long one `hf_summary` run blocks the event loop with 10,000
// active sessions on the Redis store (target: < 20 ms). Needs a Redis at REDIS_URL (default redis://127.0.0.1:6379); without
// one it reports `{ skipped }`. Run on its own with `node bench/redis.mjs` after `npm run build`.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Bench } from 'tinybench';
import { HfStatsStore } from 'nestjs-hf-stats';
import {
  LOG_AVAILABLE,
  REQUEST,
  internalClass,
  nextTurn,
  removeDir,
  sessionId,
  startStats,
  tempDir,
} from './support.mjs';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BATCH = 1_000;
const ROUNDS = 3;
const TIME_MS = Number(process.env.BENCH_TASK_MS ?? 350);
const RATE_SECONDS = Number(process.env.BENCH_REDIS_SECONDS ?? 5);
const CALLS_PER_SECOND = 10_000;
const TICK_MS = 10;

async function reachable() {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function deleteKeys(prefix) {
  const client = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) {
      await client.del(...keys);
    }
  } while (cursor !== '0');
  client.disconnect();
}

function batch(tracked) {
  return async () => {
    const calls = [];
    for (let i = 0; i < BATCH; i++) {
      calls.push(tracked.embed(REQUEST));
    }
    await Promise.all(calls);
  };
}

const median = (values) => values.toSorted((a, b) => a - b)[values.length >> 1];

/** Mean ns per call of each store, median of ROUNDS rounds that alternate the stores. */
async function perCallCost(prefix) {
  const memory = await startStats({});
  const redis = await startStats({ store: { type: 'redis', url: REDIS_URL, keyPrefix: prefix } });
  const rounds = { memory: [], redis: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TIME_MS, warmupTime: round === 0 ? 250 : 50, iterations: 32 });
    bench.add('memory', batch(memory.tracked));
    bench.add('redis', batch(redis.tracked));
    await bench.run();
    for (const task of bench.tasks) {
      rounds[task.name].push((task.result.latency.mean * 1e6) / BATCH);
    }
  }
  const trackedCalls = redis.stats.getGlobalStats().callCount;
  await redis.stats.flush();
  const flushed = redis.stats.getGlobalStats().callCount === trackedCalls;
  await memory.app.close();
  await redis.app.close();
  return {
    memoryNs: median(rounds.memory),
    redisNs: median(rounds.redis),
    roundsNs: rounds,
    everyCallInRedisAfterFlush: flushed,
  };
}

/** Round trips to Redis while CALLS_PER_SECOND calls are tracked for RATE_SECONDS. */
async function roundTripsAt10k(prefix) {
  const { app, stats, tracked } = await startStats({ store: { type: 'redis', url: REDIS_URL, keyPrefix: prefix } });
  const store = app.get(HfStatsStore);
  await stats.flush();
  const before = store.roundTripCount;
  const started = performance.now();
  let made = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      // On schedule whatever the timer's drift: the calls due by now, at CALLS_PER_SECOND.
      const due = Math.round(((performance.now() - started) * CALLS_PER_SECOND) / 1000);
      for (; made < due; made++) {
        void tracked.embed(REQUEST);
      }
      if (performance.now() - started >= RATE_SECONDS * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  const seconds = (performance.now() - started) / 1000;
  const roundTrips = store.roundTripCount - before;
  await stats.flush();
  const exact = stats.getGlobalStats().callCount === made;
  await app.close();
  return {
    callsPerSecond: Math.round(made / seconds),
    seconds: Number(seconds.toFixed(2)),
    roundTrips,
    roundTripsPerSecond: Number((roundTrips / seconds).toFixed(2)),
    exactTotalInRedis: exact,
  };
}

/** One `hf_summary` run with 10,000 active sessions read back from Redis, timed around the call, as summary.mjs does. */
async function summaryAt10k(prefix) {
  const SESSIONS = 10_000;
  const HfStatsScheduler = await internalClass('./hf-stats.scheduler.js', 'HfStatsScheduler');
  if (!LOG_AVAILABLE || HfStatsScheduler === undefined) {
    return { available: false };
  }
  const dir = tempDir();
  try {
    const { app, stats, tracked } = await startStats({
      log: { path: `${dir}/hf_api_stats.log`, perCall: false },
      maxSessions: SESSIONS,
      store: { type: 'redis', url: REDIS_URL, keyPrefix: prefix, flushIntervalMs: 60_000 },
    });
    const scheduler = app.get(HfStatsScheduler);
    for (let i = 0; i < SESSIONS; i += 1) {
      await stats.runInSession(sessionId(i), () => tracked.embed(REQUEST));
    }
    await stats.flush();
    const active = stats.listSessionsPage({ limit: 1 }).activeSessionCount;
    const syncMs = [];
    for (let run = 0; run < 11; run += 1) {
      const started = performance.now();
      scheduler.logSummary();
      await nextTurn();
      syncMs.push(performance.now() - started);
    }
    await app.close();
    return {
      available: true,
      sessions: SESSIONS,
      activeSessions: active,
      firstMs: syncMs[0],
      laterMedianMs: median(syncMs.slice(1)),
      laterMaxMs: Math.max(...syncMs.slice(1)),
    };
  } finally {
    removeDir(dir);
  }
}

const prefix = `hf-stats-bench:${randomUUID()}:`;
let result;
if (await reachable()) {
  try {
    result = {
      perCall: await perCallCost(`${prefix}a:`),
      rate: await roundTripsAt10k(`${prefix}b:`),
      summary: await summaryAt10k(`${prefix}c:`),
    };
  } finally {
    await deleteKeys(prefix);
  }
} else {
  result = { skipped: `no Redis at ${REDIS_URL}` };
}
if (process.send === undefined) {
  console.log(JSON.stringify(result, null, 2));
} else {
  process.send(result);
}
