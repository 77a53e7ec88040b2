// The Redis store at scale (issue 15, "Scale, measured and on paper"), on a redis-server of the bench's own (a free
// loopback port, `slowlog-log-slower-than 0`, so that SLOWLOG holds every script call with its time in µs):
// 1. the longest script call per case: one 50-model session, 100 listed 50-model sessions read back, a flush of
//    10,000 sessions, a reset of 10,000 sessions, a restore of 10,000 sessions (target: about 2 ms);
// 2. a flush's Redis time and round trips as active sessions (100 / 1,000 / 10,000) and replicas (1 / 2 / 4
//    processes, each with a call in every session per flush) grow;
// 3. Redis memory per retained session (one model, 50 models).
// Needs redis-server on the PATH (else `{ skipped }`). `node bench/redis-scale.mjs` after `npm run build`;
// `node bench/redis-scale.mjs replica <url> <prefix>` is one simulated replica (driven over IPC).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { HfStatsStore } from 'nestjs-hf-stats';
import { freePort, startRedis } from './redis-server.mjs';
import { report, sessionId, startStats } from './support.mjs';

const MODELS = 50;
const BIG = Number(process.env.BENCH_SCALE_SESSIONS ?? 10_000);
const SCALE_SESSIONS = [100, 1_000, BIG];
const SCALE_REPLICAS = [1, 2, 4];

/**
 * SLOWLOG times a call by the wall clock, so a Redis that waits for a CPU looks slow: on a shared machine the
 * bench's own server runs at a raised priority when it may (root), to measure the script rather than the queue.
 */
function startScaleRedis(port) {
  return startRedis(port, {
    extra: ['--slowlog-log-slower-than', '0', '--slowlog-max-len', '1000000'],
    raise: process.getuid?.() === 0 && process.env.BENCH_SCALE_NICE !== '0',
  });
}

/** The calls of a session with `models` models: three per model, of different durations, one failed. */
function recordSession(stats, id, models, replica = 0) {
  for (let m = 0; m < models; m += 1) {
    const model = `org-${m}/model-${m}-${'x'.repeat(12)}`;
    for (const durationMs of [3, 40, 900]) {
      stats.record({ durationMs, texts: 2, characters: 80, model, inputTokens: 12, outputTokens: 4, sessionId: id });
    }
    const error = Object.assign(new Error('failed'), { name: `Http${400 + (m % 5)}Error` });
    stats.record({ durationMs: 5 + replica, texts: 1, model, error, sessionId: id });
  }
}

/** Script calls in SLOWLOG since the last reset: their durations in µs. */
async function scriptCalls(admin) {
  // Newest first: reversed, so that the calls are in the order they ran.
  const entries = (await admin.call('SLOWLOG', 'GET', '-1')).toReversed();
  const micros = [];
  for (const entry of entries) {
    const command = String(entry[3][0]).toLowerCase();
    if (command === 'evalsha' || command === 'eval') {
      micros.push(Number(entry[2]));
      if (process.env.BENCH_SCALE_DEBUG && Number(entry[2]) > 3000) {
        const a = entry[3];
        console.error(
          `slow ${entry[2]} µs: kind ${a[16]} listed ${a[9]} sweep ${a[19]} budget ${a[20]} args ${a[a.length - 1]}`,
        );
      }
    }
  }
  await admin.call('SLOWLOG', 'RESET');
  return micros;
}

const summaryOf = (micros) => ({
  calls: micros.length,
  maxMs: micros.length === 0 ? 0 : Math.max(...micros) / 1000,
  medianMs: micros.length === 0 ? 0 : micros.toSorted((x, y) => x - y)[micros.length >> 1] / 1000,
  totalMs: micros.reduce((sum, value) => sum + value, 0) / 1000,
});

/**
 * Redis's main thread time on a CPU, in µs (Linux schedstat): unlike SLOWLOG's wall clock, it holds no wait for a
 * CPU that other processes of a busy machine took. Undefined where /proc has no schedstat.
 */
function cpuClock(pid) {
  const file = `/proc/${pid}/task/${pid}/schedstat`;
  try {
    readFileSync(file);
  } catch {
    return undefined;
  }
  return () => Number(readFileSync(file, 'utf8').split(' ')[0]) / 1000;
}

/**
 * A client whose script calls are timed by Redis's CPU time, one call at a time (the store sends its chunks in
 * order, and nothing else uses this Redis meanwhile).
 */
function timedClient(url, clock, samples) {
  const client = new Redis(url);
  for (const name of ['evalsha', 'eval']) {
    const original = client[name].bind(client);
    client[name] = async (...args) => {
      const before = clock?.() ?? 0;
      try {
        return await original(...args);
      } finally {
        const spent = (clock?.() ?? 0) - before;
        samples.push(spent);
        if (process.env.BENCH_SCALE_DEBUG && spent > 2300) {
          const a = args[2];
          const tail = a.slice(19);
          console.error(
            `cpu ${spent.toFixed(0)} µs: kind ${a[13]} listed ${a[6]} sweep ${a[16]} budget ${a[17]} args ${a.length} scopes ${tail[0]}`,
          );
        }
      }
    };
  }
  return client;
}

/**
 * One case: the script calls' SLOWLOG times and CPU times since the last case. Each is an upper bound of the script's
 * own time: SLOWLOG's wall clock holds the waits for a CPU, the CPU time holds Redis's timer work (serverCron) that
 * ran while the call was under way. `scriptMaxMs` is the largest of the calls' smaller figure (one client sends
 * the calls one at a time, so the n-th SLOWLOG entry and the n-th CPU sample are the same call).
 */
async function caseOf(admin, cpuSamples) {
  const cpuMicros = cpuSamples.splice(0);
  const wallMicros = await scriptCalls(admin);
  const cpu = summaryOf(cpuMicros);
  const paired = cpuMicros.length === wallMicros.length;
  const script = paired ? summaryOf(wallMicros.map((wall, i) => Math.min(wall, cpuMicros[i]))) : undefined;
  return {
    ...summaryOf(wallMicros),
    cpuMaxMs: cpu.maxMs,
    cpuTotalMs: cpu.totalMs,
    scriptMaxMs: script?.maxMs,
    scriptMedianMs: script?.medianMs,
  };
}

async function storeApp(url, prefix, extra = {}) {
  const connection = extra.client === undefined ? { url } : {};
  const started = await startStats({
    maxSessions: 100_000,
    store: { type: 'redis', ...connection, keyPrefix: prefix, flushIntervalMs: 3_600_000, ...extra },
  });
  return { ...started, store: started.app.get(HfStatsStore) };
}

/** 1. The longest script call of each case. */
async function longestCalls(url, admin, clock) {
  const cases = {};
  const samples = [];
  const clientA = timedClient(url, clock, samples);
  const a = await storeApp(url, 'case:', { client: clientA });
  await a.stats.flush();
  await caseOf(admin, samples);
  recordSession(a.stats, 'one-big', MODELS);
  await a.stats.flush();
  cases.session50Models = await caseOf(admin, samples);
  for (let i = 0; i < 100; i += 1) {
    recordSession(a.stats, `listed-${i}`, MODELS);
  }
  await a.stats.flush();
  await caseOf(admin, samples);
  const clientB = timedClient(url, clock, samples);
  const b = await storeApp(url, 'case:', { client: clientB });
  await b.stats.flush();
  await caseOf(admin, samples);
  await b.stats.flush();
  cases.readBack100Listed50Models = await caseOf(admin, samples);
  await b.app.close();
  clientB.disconnect();
  for (let i = 0; i < BIG; i += 1) {
    a.stats.record({ durationMs: 12, texts: 1, model: 'org/model', sessionId: sessionId(i) });
  }
  await caseOf(admin, samples);
  await a.stats.flush();
  cases.flush10kSessions = { sessions: BIG, ...(await caseOf(admin, samples)) };
  await admin.call('FLUSHALL');
  await caseOf(admin, samples);
  await a.stats.flush();
  cases.restore10kSessions = { sessions: BIG, ...(await caseOf(admin, samples)) };
  await a.stats.reset({ cluster: true });
  cases.reset10kSessions = { sessions: BIG, ...(await caseOf(admin, samples)) };
  await a.app.close();
  clientA.disconnect();
  await admin.call('FLUSHALL');
  await scriptCalls(admin);
  return cases;
}

/**
 * Redis's counters: network bytes in and out, and commands run inside the scripts (commandstats, the flush script's
 * own calls and the admin's INFO, SLOWLOG and FLUSHALL left out).
 */
async function serverCounters(admin) {
  const stats = await admin.info('stats');
  const commands = await admin.info('commandstats');
  let inner = 0;
  for (const match of commands.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) {
    if (!['evalsha', 'eval', 'info', 'slowlog', 'flushall', 'script|load', 'script'].includes(match[1])) {
      inner += Number(match[2]);
    }
  }
  const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  return { netIn: field('total_net_input_bytes'), netOut: field('total_net_output_bytes'), commands: inner };
}

const countersSince = (before, after) => ({
  netInBytes: after.netIn - before.netIn,
  netOutBytes: after.netOut - before.netOut,
  commands: after.commands - before.commands,
});

/** A simulated replica: one process of its own, told over IPC to record one call per session and flush. */
function startReplica(url, prefix) {
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, 'replica', url, prefix], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = [];
  child.on('message', (message) => pending.shift()?.(message));
  const ask = (message) =>
    new Promise((resolve) => {
      pending.push(resolve);
      child.send(message);
    });
  return { child, ask };
}

async function replicaMain(url, prefix) {
  const { app, stats, store } = await storeApp(url, prefix);
  await stats.flush();
  const answer = async (message) => {
    if (message.type === 'round') {
      for (let i = message.from; i < message.to; i += 1) {
        stats.record({ durationMs: 12, texts: 1, model: 'org/model', sessionId: sessionId(i) });
      }
      const before = store.roundTripCount;
      await stats.flush();
      process.send({ roundTrips: store.roundTripCount - before, callCount: stats.getGlobalStats().callCount });
    } else {
      await app.close();
      process.send({ closed: true });
      process.disconnect();
    }
  };
  process.on('message', (message) => {
    answer(message).catch((error) => {
      console.error(error);
      process.exit(1);
    });
  });
  process.send({ ready: true });
}

/** 2. Per flush round (every replica flushes once, each with a call in every session): Redis time, round trips. */
async function scale(url, admin, clock) {
  const rows = [];
  for (const replicas of SCALE_REPLICAS) {
    for (const sessions of SCALE_SESSIONS) {
      const prefix = `scale:${replicas}:${sessions}:`;
      const children = [];
      for (let r = 0; r < replicas; r += 1) {
        const replica = startReplica(url, prefix);
        await new Promise((resolve) => replica.child.once('message', resolve));
        children.push(replica);
      }
      const rounds = [];
      // Round 1 creates the sessions; rounds 2 and 3 are the steady state (sessions cached, known to Redis).
      for (let round = 0; round < 3; round += 1) {
        await scriptCalls(admin);
        const countersBefore = await serverCounters(admin);
        const cpuBefore = clock?.() ?? 0;
        const started = performance.now();
        const answers = await Promise.all(children.map(({ ask }) => ask({ type: 'round', from: 0, to: sessions })));
        const wallMs = performance.now() - started;
        const cpuMs = ((clock?.() ?? 0) - cpuBefore) / 1000;
        const counters = countersSince(countersBefore, await serverCounters(admin));
        const micros = await scriptCalls(admin);
        rounds.push({
          wallMs,
          cpuMs,
          ...counters,
          roundTrips: answers.reduce((sum, answer) => sum + answer.roundTrips, 0),
          ...summaryOf(micros),
        });
      }
      const steady = rounds[2];
      rows.push({
        replicas,
        sessions,
        first: rounds[0],
        steady,
        redisMsPerReplicaFlush: steady.totalMs / replicas,
        redisCpuMsPerReplicaFlush: steady.cpuMs / replicas,
        roundTripsPerReplicaFlush: steady.roundTrips / replicas,
      });
      await Promise.all(children.map(({ ask }) => ask({ type: 'close' })));
      await admin.call('FLUSHALL');
    }
  }
  return rows;
}

/** 3. Redis memory per retained session: INFO used_memory before and after, and MEMORY USAGE of one hash. */
async function memoryPerSession(url, admin) {
  // SLOWLOG keeps every call's arguments: off here, or its entries would count as the sessions' memory.
  await admin.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
  await admin.call('SLOWLOG', 'RESET');
  const result = {};
  for (const models of [1, MODELS]) {
    const count = models === 1 ? 10_000 : 1_000;
    const prefix = `mem:${models}:`;
    const { app, stats } = await storeApp(url, prefix);
    await stats.flush();
    const before = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);
    for (let i = 0; i < count; i += 1) {
      recordSession(stats, sessionId(i), models);
    }
    await stats.flush();
    const after = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);
    const hash = Number(await admin.call('MEMORY', 'USAGE', `${prefix}session:${sessionId(0)}`, 'SAMPLES', '0'));
    const fields = await admin.hlen(`${prefix}session:${sessionId(0)}`);
    const indexBytes = Number(await admin.call('MEMORY', 'USAGE', `${prefix}sessions`, 'SAMPLES', '0')) / count;
    result[`${models}model`] = {
      sessions: count,
      bytesPerSession: (after - before) / count,
      hashBytes: hash,
      fields,
      indexBytesPerSession: indexBytes,
    };
    await app.close();
    await admin.call('FLUSHALL');
  }
  return result;
}

if (process.argv[2] === 'replica') {
  await replicaMain(process.argv[3], process.argv[4]);
} else {
  let redis;
  let result;
  try {
    redis = await startScaleRedis(await freePort());
    // Stopped however this process ends (Nest exits the process on a startup error, past any finally).
    process.on('exit', () => redis.kill('SIGKILL'));
  } catch (error) {
    result = { skipped: `no redis-server: ${error.message}` };
  }
  if (redis !== undefined) {
    const port = redis.spawnargs[redis.spawnargs.indexOf('--port') + 1];
    const url = `redis://127.0.0.1:${port}`;
    const admin = new Redis(url);
    const clock = cpuClock(redis.pid);
    try {
      const only = process.env.BENCH_SCALE_ONLY;
      result = {
        longest: only === undefined || only === 'longest' ? await longestCalls(url, admin, clock) : undefined,
        scale: only === undefined || only === 'scale' ? await scale(url, admin, clock) : undefined,
        memory: only === undefined || only === 'memory' ? await memoryPerSession(url, admin) : undefined,
      };
    } finally {
      admin.disconnect();
      redis.kill('SIGKILL');
    }
  }
  report(result);
}
