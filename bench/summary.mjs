// 4. How long one `hf_summary` run blocks the event loop with 10,000 active sessions, and the size
// of the line it writes. The job is called directly, as its timer would, and timed around the call;
// then the turn of the loop that hands the line to the file is timed too.
import {
  LOG_AVAILABLE,
  REQUEST,
  internalClass,
  logLines,
  median,
  nextTurn,
  removeDir,
  report,
  sessionId,
  startStats,
  tempDir,
} from './support.mjs';

const SESSIONS = 10_000;
const RUNS = 11;

async function main() {
  const HfStatsScheduler = await internalClass('./hf-stats.scheduler.js', 'HfStatsScheduler');
  const HfStatsLogService = await internalClass('./logging/hf-stats-log.service.js', 'HfStatsLogService');
  if (!LOG_AVAILABLE || HfStatsScheduler === undefined || HfStatsLogService === undefined) {
    report({ available: false });
    return;
  }
  const dir = tempDir();
  try {
    const { app, stats, tracked } = await startStats({
      log: { path: `${dir}/hf_api_stats.log`, perCall: false },
      maxSessions: SESSIONS,
    });
    const scheduler = app.get(HfStatsScheduler);
    const logService = app.get(HfStatsLogService);
    for (let i = 0; i < SESSIONS; i += 1) {
      await stats.runInSession(sessionId(i), () => tracked.embed(REQUEST));
    }
    const active = stats.activeSessionCount?.() ?? stats.listSessions({ active: true }).length;
    if (active !== SESSIONS) {
      throw new Error(`expected ${SESSIONS} active sessions, got ${active}`);
    }

    const syncMs = [];
    const withFlushMs = [];
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      scheduler.logSummary();
      const returned = performance.now();
      // The line reaches the file on the next setImmediate: that turn blocks the loop too.
      await nextTurn();
      withFlushMs.push(performance.now() - started);
      syncMs.push(returned - started);
      await logService.flush();
    }

    // The idle sweep walks the active sessions every second (none is idle here): also a loop blocker.
    const sweepMs = [];
    if (typeof stats.endIdleSessions === 'function') {
      for (let run = 0; run < RUNS; run += 1) {
        const started = performance.now();
        stats.endIdleSessions();
        sweepMs.push(performance.now() - started);
      }
    }
    await app.close();
    const summaries = logLines(dir).filter(
      (line) => line.includes('"hf_summary"') || line.includes('event=hf_summary'),
    );
    const line = summaries.at(-1) ?? '';
    const payload = line.startsWith('{') ? JSON.parse(line) : undefined;
    report({
      available: true,
      sessions: SESSIONS,
      runs: RUNS,
      // The first run is cold (compilation, the first write through the file's stream): apart.
      syncMs,
      withFlushMs,
      first: { syncMs: syncMs[0], withFlushMs: withFlushMs[0] },
      later: {
        syncMedianMs: median(syncMs.slice(1)),
        syncMaxMs: Math.max(...syncMs.slice(1)),
        withFlushMedianMs: median(withFlushMs.slice(1)),
        withFlushMaxMs: Math.max(...withFlushMs.slice(1)),
      },
      lineBytes: Buffer.byteLength(line) + 1,
      linesWritten: summaries.length,
      sessionsListed: payload?.sessions?.length,
      sweepMedianMs: sweepMs.length > 0 ? median(sweepMs) : undefined,
    });
  } finally {
    removeDir(dir);
  }
}

await main();
