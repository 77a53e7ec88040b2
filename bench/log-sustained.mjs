// 11. The log under sustained load: RATE tracked calls per second for SECONDS seconds with the log as
// shipped (an `hf_call` line per call, to a real file), paced in ticks of 10 ms, each call in the
// next of 1,000 sessions. Lines written and dropped, heap sampled every second (the largest after
// the first 5 s minus the heap before), and whether the schedule was kept. Run as
// `node --expose-gc bench/log-sustained.mjs`.
import { REQUEST, countLogLines, removeDir, report, sessionId, settledHeap, startStats, tempDir } from './support.mjs';

const RATE = Number(process.env.BENCH_SUSTAINED_RATE ?? 50_000);
const SECONDS = Number(process.env.BENCH_SUSTAINED_S ?? 60);
const TICK_MS = 10;
const SESSIONS = 1_000;
const heap = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function main() {
  const dir = tempDir();
  try {
    const { app, stats, tracked } = await startStats({ log: { path: `${dir}/hf_api_stats.log`, maxSize: '2g' } });
    const ids = Array.from({ length: SESSIONS }, (_, i) => sessionId(i));
    const call = () => tracked.embed(REQUEST);
    const base = await settledHeap();
    const perTick = Math.round((RATE * TICK_MS) / 1000);
    const samples = [];
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    let calls = 0;
    let nextSample = started + 1000;
    for (let tick = 1; tick <= (SECONDS * 1000) / TICK_MS; tick += 1) {
      for (let k = 0; k < perTick; k += 1) {
        await stats.runInSession(ids[calls % SESSIONS], call);
        calls += 1;
      }
      const now = performance.now();
      if (now >= nextSample) {
        samples.push(heap() - base);
        nextSample += 1000;
      }
      await sleep(started + tick * TICK_MS - now);
    }
    const elapsedS = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    const { callCount } = stats.getGlobalStats();
    await app.close();
    const lines = await countLogLines(dir, '"hf_call"');
    const steady = samples.slice(5);
    report({
      rate: RATE,
      seconds: SECONDS,
      achievedRate: callCount / elapsedS,
      calls: callCount,
      cpuPct: (cpu.user + cpu.system) / 1e4 / elapsedS,
      linesWritten: lines,
      linesDropped: callCount - lines,
      heapGrowthMaxBytes: Math.max(...steady),
      heapGrowthLastBytes: steady.at(-1),
      heapSamplesMB: samples.map((bytes) => Math.round(bytes / 2 ** 20)),
    });
  } finally {
    removeDir(dir);
  }
}

await main();
