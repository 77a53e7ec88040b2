// 2. Tracked calls per second on one core (run.js pins this process to one CPU), log off, with
// 1, 100 and 10,000 sessions, in two shapes:
// - per-call: one loop, each call entered in the next session round-robin by runInSession;
// - workers: one loop per session, started once by runInSession, all running together.
// With 10,000 sessions the same loops also run the undecorated method, for reference: what the
// loop and runInSession cost without the statistics.
import { REQUEST, report, sessionId, startStats } from './support.mjs';

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
  report({ runMs: RUN_MS, callsPerSecond: results, undecoratedAt10000: undecorated });
}

await main();
