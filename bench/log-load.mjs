// 5. Per-call logging under load: 100,000 tracked calls in a session, as fast as possible, with an
// `hf_call` line each, to a real file. Peak heap growth over the run, lines written and dropped.
// Run as `node --expose-gc bench/log-load.mjs SHAPE`, one process per shape:
// - burst: the calls back to back, never leaving the microtask queue, as a loop over
//   already-resolved calls does: the writer cannot hand a line to the file until the loop ends;
// - yielding: the loop lets the event loop turn every 100 calls, as an app serving I/O does.
import {
  LOG_AVAILABLE,
  REQUEST,
  logLines,
  nextTurn,
  removeDir,
  report,
  settledHeap,
  startStats,
  tempDir,
} from './support.mjs';

const CALLS = 100_000;
const YIELD_EVERY = 100;
const SAMPLE_EVERY = 500;
const shape = process.argv[2] ?? 'burst';

/** Heap in use now, without a collection: cheap enough to sample during the run. */
function heap() {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

async function main() {
  if (!LOG_AVAILABLE) {
    report({ available: false, shape });
    return;
  }
  const dir = tempDir();
  try {
    const { app, stats, tracked } = await startStats({
      log: { path: `${dir}/hf_api_stats.log`, perCall: true, maxSize: '1g' },
    });
    const base = await settledHeap();
    let peak = base;
    const started = performance.now();
    await stats.runInSession('log-load', async () => {
      for (let i = 1; i <= CALLS; i += 1) {
        await tracked.embed(REQUEST);
        if (shape === 'yielding' && i % YIELD_EVERY === 0) {
          await nextTurn();
        }
        if (i % SAMPLE_EVERY === 0) {
          peak = Math.max(peak, heap());
        }
      }
    });
    const callsMs = performance.now() - started;
    // Until the last line is on disk the queue is still held: keep sampling while it drains.
    const { callCount } = stats.getGlobalStats();
    const sampler = setInterval(() => (peak = Math.max(peak, heap())), 5);
    const closeStarted = performance.now();
    await app.close();
    clearInterval(sampler);
    const drainMs = performance.now() - closeStarted;
    const lines = logLines(dir).filter((line) => line.includes('hf_call')).length;
    report({
      available: true,
      shape,
      calls: callCount,
      callsMs,
      drainMs,
      peakHeapGrowthBytes: peak - base,
      linesWritten: lines,
      linesDropped: callCount - lines,
    });
  } finally {
    removeDir(dir);
  }
}

await main();
