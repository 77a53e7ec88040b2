// Soak (issue 11): two replicas of test/fixtures/redis/replica.app.ts, each in a process of its own, on a
// redis-server of their own, under mixed hostile traffic (lone surrogates, `__proto__`, junk model names by the
// thousand, long names, junk error types, thousands of sessions, refused session ids) for SOAK_SECONDS (default
// 130). Redis is killed and started again empty twice and flushed (FLUSHALL) once on the way. Reports heap, RSS
// and Redis memory over time, the largest event-loop stall of the replicas, and the totals against what was sent.
// `npm run bench:soak` alone, or section 8 of `npm run bench` (`BENCH_SOAK=0` skips it there); never part of
// `npm test`. Needs redis-server on the PATH.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, startRedis } from './redis-server.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 130);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 6);
const SAMPLE_MS = 5_000;
const FIXTURES = new URL('../test/fixtures/redis/', import.meta.url);
const REAL_MODELS = ['org/embed-a', 'org/embed-b', 'org/chat-c', 'org/rerank-d', 'org/vision-e'];

function stop(child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

function startReplica(redisUrl, prefix) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'reflect-metadata',
      '--import',
      fileURLToPath(new URL('swc-register.mjs', FIXTURES)),
      fileURLToPath(new URL('replica.app.ts', FIXTURES)),
      redisUrl,
      prefix,
      '1000',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const warnings = [];
  child.stderr.on('data', (chunk) => warnings.push(chunk.toString()));
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
      const match = /\{"port":(\d+)\}/.exec(output);
      if (match !== null) {
        resolve({ child, url: `http://127.0.0.1:${match[1]}`, warnings });
      }
    });
    child.on('exit', (code) => reject(new Error(`replica exited with ${code}: ${warnings.join('')}`)));
  });
}

const random = (n) => Math.floor(Math.random() * n);

/** A model name as a hostile or careless client sends it. */
function modelName() {
  const roll = random(100);
  if (roll < 45) return REAL_MODELS[random(REAL_MODELS.length)];
  if (roll < 70) return `junk-${random(1_000_000)}`;
  if (roll < 82) return `bad\udc00model-${random(1000)}`;
  if (roll < 90) return ['__proto__', 'constructor', 'a|b:c', '%41', '\ud800', ''][random(6)];
  if (roll < 91) return `long-${random(100)}-${'x'.repeat(2_000)}`;
  return undefined;
}

function errorName() {
  const roll = random(100);
  if (roll < 85) return undefined;
  if (roll < 92) return ['TimeoutError', 'HttpError', 'AbortError'][random(3)];
  return `Err\udc00-${random(100_000)}`;
}

function sessionHeader() {
  const roll = random(100);
  if (roll < 70) return { 'x-session-id': `s-${random(3_000)}` };
  if (roll < 80) return { 'x-session-id': ['bad id', 'x'.repeat(300), '__proto__'][random(3)] };
  return {};
}

async function worker(replicas, until, counters) {
  while (Date.now() < until) {
    const calls = Array.from({ length: 1 + random(5) }, () => ({
      model: modelName(),
      error: errorName(),
      ms: random(400),
    }));
    const target = replicas[random(replicas.length)];
    try {
      const response = await fetch(`${target.url}/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...sessionHeader() },
        body: JSON.stringify({ calls }),
      });
      if (response.status === 201) {
        counters.sent += (await response.json()).recorded;
      } else {
        counters.failedRequests += 1;
        await response.body?.cancel();
      }
    } catch {
      counters.failedRequests += 1;
    }
  }
}

async function redisMemory(url) {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 500,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = await client.info('memory');
    return { usedMemoryBytes: Number(/used_memory:(\d+)/.exec(info)?.[1]), keys: await client.dbsize() };
  } catch {
    return { down: true };
  } finally {
    client.disconnect();
  }
}

const json = async (url, init) => (await fetch(url, init)).json();

async function main() {
  const port = await freePort();
  const redisUrl = `redis://127.0.0.1:${port}`;
  let redis = await startRedis(port);
  const prefix = `hf-stats-soak:${randomUUID()}:`;
  const replicas = await Promise.all([startReplica(redisUrl, prefix), startReplica(redisUrl, prefix)]);
  const counters = { sent: 0, failedRequests: 0 };
  const samples = [];
  const events = [];
  const started = Date.now();
  const until = started + SECONDS * 1000;
  const at = (fraction) => started + fraction * SECONDS * 1000;
  const schedule = [
    [
      at(0.25),
      'redis killed and started again, empty',
      async () => {
        await stop(redis);
        redis = await startRedis(port);
      },
    ],
    [
      at(0.5),
      'FLUSHALL',
      async () => {
        const client = new Redis(redisUrl);
        await client.flushall();
        client.disconnect();
      },
    ],
    [
      at(0.75),
      'redis killed and started again, empty',
      async () => {
        await stop(redis);
        redis = await startRedis(port);
      },
    ],
  ];
  try {
    const traffic = Array.from({ length: WORKERS }, () => worker(replicas, until, counters));
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      while (schedule.length > 0 && Date.now() >= schedule[0][0]) {
        const [, name, action] = schedule.shift();
        await action();
        events.push({ atS: Math.round((Date.now() - started) / 1000), event: name });
      }
      const health = await Promise.all(replicas.map((replica) => json(`${replica.url}/health`)));
      samples.push({
        atS: Math.round((Date.now() - started) / 1000),
        sent: counters.sent,
        replicas: health.map(({ heapUsedBytes, rssBytes, maxStallMs }) => ({
          heapMB: Number((heapUsedBytes / 1e6).toFixed(1)),
          rssMB: Number((rssBytes / 1e6).toFixed(1)),
          maxStallMs: Number(maxStallMs.toFixed(1)),
        })),
        redis: await redisMemory(redisUrl),
      });
    }
    await Promise.all(traffic);
    // Settle: flush both until neither is partial, then once more so that each reads the other's last figures.
    let totals = [];
    for (let attempt = 0; attempt < 30; attempt++) {
      for (const replica of replicas) {
        await fetch(`${replica.url}/flush`, { method: 'POST' });
      }
      totals = await Promise.all(replicas.map((replica) => json(`${replica.url}/totals`)));
      if (totals.every((total) => !total.partial && total.callCount === totals[0].callCount)) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const largestStallMs = Math.max(...samples.flatMap((sample) => sample.replicas.map((r) => r.maxStallMs)));
    const report = {
      seconds: SECONDS,
      workers: WORKERS,
      sentCalls: counters.sent,
      failedRequests: counters.failedRequests,
      events,
      totals,
      exact: totals.every((total) => total.callCount === counters.sent && total.lostCallCount === 0),
      largestStallMs,
      samples,
      warnings: replicas.map((replica) => replica.warnings.join('').split('\n').filter(Boolean).slice(0, 10)),
    };
    if (process.send === undefined) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      process.send(report);
    }
  } finally {
    await Promise.all(replicas.map((replica) => stop(replica.child, 'SIGTERM')));
    await stop(redis);
  }
}

await main();
