// 2. Tracked calls per second on one core (run.js pins this process to one CPU), log off, with
// 1, 100 and 10,000 sessions, in two shapes:
// - per-call: one loop, each call entered in the next session round-robin by runInSession;
// - workers: one loop per session, started once by runInSession, all running together.
// With 10,000 sessions the same loops also run the undecorated method, for reference: what the
// loop and runInSession cost without the statistics.
import { REQUEST, logLines, nextTurn, removeDir, report, sessionId, startStats, tempDir } from './support.mjs';

const COUNTS = [1, 100, 10_000];
const RUN_MS = Number(process.env.BENCH_THROUGHPUT_MS ?? 1_500);
const WARM_UP_MS = 300;
const CHECK_EVERY = 1_024;

async function perCallLoop(stats, service, ids, ms) {
  const call = () => service.embed(REQUEST);
  const deadline = performance.now() + ms;
  const started = performance.now();
  let calls = 0;
  for (;;) {
    for (let k = 0; k < CHECK_EVERY; k += 1) {
      await stats.runInSession(ids[calls % ids.length], call);
      calls += 1;
    }
    if (performance.now() >= deadline) {
      return (calls * 1000) / (performance.now() - started);
    }
  }
}

/**
 * As shipped (an `hf_call` line per call, to a real file), 10,000 sessions round-robin: the loop
 * lets the event loop turn every 1,000 calls, as an app serving I/O does, so that the writer can
 * hand its lines to the file; the turns are in the time. Every line must reach the file.
 */
async function shippedLoop(ms) {
  const dir = tempDir();
  try {
    const { app, stats, tracked } = await startStats({
      log: { path: `${dir}/hf_api_stats.log`, maxSize: '2g' },
      maxSessions: 10_000,
    });
    const ids = Array.from({ length: 10_000 }, (_, i) => sessionId(i));
    const call = () => tracked.embed(REQUEST);
    const run = async (runMs) => {
      const deadline = performance.now() + runMs;
      const started = performance.now();
      let calls = 0;
      while (performance.now() < deadline) {
        for (let k = 0; k < 1_000; k += 1) {
          await stats.runInSession(ids[calls % ids.length], call);
          calls += 1;
        }
        await nextTurn();
      }
      return (calls * 1000) / (performance.now() - started);
    };
    await run(WARM_UP_MS);
    const callsPerSecond = await run(ms);
    const calls = stats.getGlobalStats().callCount;
    await app.close();
    const lines = logLines(dir).filter((line) => line.includes('"hf_call"')).length;
    return { callsPerSecond: Math.round(callsPerSecond), calls, linesDropped: calls - lines };
  } finally {
    removeDir(dir);
  }
}

async function workerLoops(stats, service, ids, ms) {
  const deadline = performance.now() + ms;
  const started = performance.now();
  let calls = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      await service.embed(REQUEST);
      calls += 1;
      if (calls % CHECK_EVERY === 0 && performance.now() >= deadline) {
        stop = true;
      }
    }
  };
  await Promise.all(ids.map((id) => stats.runInSession(id, worker)));
  return (calls * 1000) / (performance.now() - started);
}

async function main() {
  const { app, stats, tracked, plain } = await startStats({ log: false, maxSessions: Math.max(...COUNTS) });
  const loops = Object.entries({ perCall: perCallLoop, workers: workerLoops });
  const results = {};
  for (const count of COUNTS) {
    const ids = Array.from({ length: count }, (_, i) => sessionId(i));
    const row = {};
    for (const [shape, loop] of loops) {
      stats.reset();
      await loop(stats, tracked, ids, WARM_UP_MS);
      stats.reset();
      const callsPerSecond = await loop(stats, tracked, ids, RUN_MS);
      const sessions = stats.listSessions().length;
      if (sessions !== count) {
        throw new Error(`${shape} with ${count} sessions recorded into ${sessions} sessions`);
      }
      row[shape] = Math.round(callsPerSecond);
    }
    results[count] = row;
  }
  const ids = Array.from({ length: Math.max(...COUNTS) }, (_, i) => sessionId(i));
  const undecorated = {};
  for (const [shape, loop] of loops) {
    stats.reset();
    await loop(stats, plain, ids, WARM_UP_MS);
    undecorated[shape] = Math.round(await loop(stats, plain, ids, RUN_MS));
  }
  await app.close();
  report({
    runMs: RUN_MS,
    callsPerSecond: results,
    undecoratedAt10000: undecorated,
    shippedAt10000: await shippedLoop(RUN_MS),
  });
}

await main();
