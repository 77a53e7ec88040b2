// 3. Heap bytes per retained session: N sessions, each with one tracked call, measured with full
// collections before and after. Run as `node --expose-gc bench/memory.mjs N`, one process per N.
// The session ids are created inside the measurement, so their strings count too.
import { REQUEST, report, sessionId, settledHeap, startStats } from './support.mjs';

const count = Number(process.argv[2] ?? 10_000);

async function main() {
  const { app, stats, tracked } = await startStats({ log: false, maxSessions: count });
  const call = () => tracked.embed(REQUEST);
  // Warm the path up on a session that is then forgotten, so that compiled code and lazily
  // created structures are in the baseline.
  for (let i = 0; i < 1_000; i += 1) {
    await stats.runInSession('warm-up', call);
  }
  stats.reset();
  const before = await settledHeap();
  for (let i = 0; i < count; i += 1) {
    await stats.runInSession(sessionId(i), call);
  }
  const after = await settledHeap();
  const retained = stats.listSessions().length;
  const calls = stats.getGlobalStats().callCount;
  await app.close();
  if (retained !== count || calls !== count) {
    throw new Error(`expected ${count} sessions and calls, got ${retained} sessions and ${calls} calls`);
  }
  report({ sessions: count, heapBytes: after - before, bytesPerSession: (after - before) / count });
}

await main();
