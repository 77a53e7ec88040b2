// Profiles the tracked-call path and the example app with `node --cpu-prof` and prints where the time goes (self time per
// function). Not part of `npm run bench`; run it after `npm run build`:
//   node bench/profile.mjs [SCENARIO...]     (default: every scenario)
// Each scenario runs for a few seconds in a process of its own; profiles stay in a temporary
// directory whose path is printed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, mark, startApp, stopApp } from './http.mjs';
import { summarise } from './profile-summary.mjs';
import { REQUEST, removeDir, sessionId, startStats, tempDir } from './support.mjs';

const RUN_MS = 3_000;

/** Awaits `call` in batches until `until`, letting the loop turn after each batch when `turn`; returns the count. */
async function repeat(call, until, { batch = 1_000, turn = false } = {}) {
  let calls = 0;
  while (performance.now() < until) {
    for (let i = 0; i < batch; i += 1) {
      await call(calls);
      calls += 1;
    }
    if (turn) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return calls;
}

/** Each scenario: tracked calls until `until`, log off unless its name says otherwise; returns the calls made. */
const SCENARIOS = {
  // Calls outside any session.
  outside: ({ tracked }, until) => repeat(() => tracked.embed(REQUEST), until),
  // Calls inside one session (one runInSession around the whole loop).
  'in-session': ({ stats, tracked }, until) =>
    stats.runInSession('profiled', () => repeat(() => tracked.embed(REQUEST), until)),
  // Each call entered in the next of 10,000 sessions by runInSession, as bench/throughput.mjs does.
  'sessions-10k': ({ stats, tracked }, until) => {
    const ids = Array.from({ length: 10_000 }, (_, i) => sessionId(i));
    const call = () => tracked.embed(REQUEST);
    return repeat((n) => stats.runInSession(ids[n % ids.length], call), until);
  },
  // One loop per session, 10,000 sessions running together.
  'workers-10k': async ({ stats, tracked }, until) => {
    let calls = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        await tracked.embed(REQUEST);
        if (++calls % 1_024 === 0 && performance.now() >= until) {
          stop = true;
        }
      }
    };
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => stats.runInSession(sessionId(i), worker)));
    return calls;
  },
  // Calls in a session with an `hf_call` line each, letting the loop turn every 100 calls so the lines get written.
  'log-on': ({ stats, tracked }, until) =>
    stats.runInSession('profiled', () => repeat(() => tracked.embed(REQUEST), until, { batch: 100, turn: true })),
  // As the throughput benchmark's as-shipped loop: 10,000 sessions round-robin, the log on, a loop turn every 1,000 calls.
  'shipped-10k': ({ stats, tracked }, until) => {
    const ids = Array.from({ length: 10_000 }, (_, i) => sessionId(i));
    const call = () => tracked.embed(REQUEST);
    return repeat((n) => stats.runInSession(ids[n % ids.length], call), until, { turn: true });
  },
};

/** The example app under load, profiled in its own process over the measured seconds only. */
async function profileHttp(shape, dir) {
  const cwd = tempDir('hf-stats-profile-http-');
  const { url, child } = await startApp(shape, cwd, {
    flags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    env: { ...process.env, BENCH_WINDOW_FILE: join(dir, 'window.json') },
  });
  await load(url, 2);
  await mark(child, 'start');
  const result = await load(url, RUN_MS / 1000 + 2);
  await mark(child, 'end');
  await stopApp(child);
  removeDir(cwd);
  const windowFile = join(dir, 'window.json');
  const window = JSON.parse(readFileSync(windowFile, 'utf8'));
  writeFileSync(windowFile, JSON.stringify({ ...window, operations: result.requests.total }));
}

async function target(name, windowFile) {
  const dir = tempDir();
  const ctx = await startStats({
    maxSessions: 10_000,
    log: name === 'log-on' || name === 'shipped-10k' ? { path: join(dir, 'hf_api_stats.log'), perCall: true } : false,
  });
  const startUs = Number(process.hrtime.bigint() / 1000n);
  const operations = await SCENARIOS[name](ctx, performance.now() + RUN_MS);
  const endUs = Number(process.hrtime.bigint() / 1000n);
  writeFileSync(windowFile, JSON.stringify({ startUs, endUs, operations }));
  await ctx.app.close();
  removeDir(dir);
}

/** The command that runs on CPU 1 alone when taskset exists, as the throughput benchmark does. */
function pinned(args) {
  return spawnSync('taskset', ['-V']).status === 0
    ? ['taskset', ['-c', '1', process.execPath, ...args]]
    : [process.execPath, args];
}

const HTTP_SCENARIOS = ['http-without', 'http-with-log-off', 'http-with'];

const [mode, name, windowFile] = process.argv.slice(2);
if (mode === '--target') {
  await target(name, windowFile);
} else {
  const names = new Set(
    process.argv.length > 2 ? process.argv.slice(2) : [...Object.keys(SCENARIOS), ...HTTP_SCENARIOS],
  );
  const root = tempDir('hf-stats-profile-');
  for (const scenario of names) {
    const dir = join(root, scenario);
    mkdirSync(dir);
    if (HTTP_SCENARIOS.includes(scenario)) {
      await profileHttp(scenario.slice('http-'.length), dir);
    } else if (scenario in SCENARIOS) {
      const [command, args] = pinned([
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        import.meta.filename,
        '--target',
        scenario,
        join(dir, 'window.json'),
      ]);
      const { status } = spawnSync(command, args, { stdio: 'inherit' });
      if (status !== 0) {
        throw new Error(`${scenario} exited with ${status}`);
      }
    } else {
      const known = [...Object.keys(SCENARIOS), ...HTTP_SCENARIOS].join(', ');
      throw new Error(`unknown scenario ${scenario}; known: ${known}`);
    }
    console.log(`== ${scenario}`);
    console.log(summarise(dir, 20));
  }
  console.log(`profiles in ${root}`);
}
