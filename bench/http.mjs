// 6. Requests per second of the example app's `POST /embeddings` against the simulator at zero
// latency, with and without the module, measured by autocannon. Every shape runs in a process of
// its own (pinned to CPU 1; autocannon runs here, on CPU 0); they are measured in turn, several
// rounds (A B C A B C ...), so that a change of the machine's load falls on all of them.
// Besides requests per second, the app's own CPU time per request (user + system, from
// process.cpuUsage over the measured seconds), which other processes on the machine disturb less.
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import autocannon from 'autocannon';
import { median, removeDir, tempDir } from './support.mjs';

export const HTTP_SHAPES = ['without', 'with', 'with-log-off'];
const APP = new URL('./http-app.mjs', import.meta.url).pathname;
const BODY = JSON.stringify({ texts: ['The quick brown fox jumps over the lazy dog.'] });

/**
 * Pins a process to one CPU (where taskset exists) and raises its priority (where allowed: root),
 * so that other processes on the machine disturb the figures less. True when pinned.
 */
export function pin(cpu, pid) {
  try {
    os.setPriority(pid, -10);
  } catch {
    // Not allowed: measure at normal priority.
  }
  try {
    execFileSync('taskset', ['-cp', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts the app in `shape` in a process of its own (`flags` for node, e.g. --cpu-prof). */
export function startApp(shape, cwd, { flags = [], env = process.env } = {}) {
  const child = spawn(process.execPath, [...flags, APP, shape], {
    cwd,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  pin(1, child.pid);
  return new Promise((resolve, reject) => {
    child.once('message', ({ url }) => resolve({ url, child }));
    child.once('exit', (code) => reject(new Error(`http-app ${shape} exited with ${code}`)));
  });
}

/** Sends 'start' or 'end' to the app; resolves with the CPU time (µs) it used since 'start'. */
export function mark(child, message) {
  return new Promise((resolve) => {
    child.once('message', ({ cpuUs }) => resolve(cpuUs));
    child.send(message);
  });
}

export function stopApp(child) {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', resolve);
    child.send('stop');
  });
}

export function load(url, seconds, connections = 50) {
  return autocannon({
    url: `${url}/embeddings`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-session-id': 'http-bench' },
    body: BODY,
    connections,
    duration: seconds,
  });
}

/** One measured load of a running app: requests per second and the app's CPU time per request. */
async function measureOnce(shape, { url, child }, { seconds, connections }) {
  await mark(child, 'start');
  const result = await load(url, seconds, connections);
  const cpuUs = await mark(child, 'end');
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${shape}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return {
    requestsPerSecond: result.requests.total / result.duration,
    cpuUsPerRequest: cpuUs / result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
  };
}

/**
 * Starts every shape at once (each waits idle while another is measured), warms each up twice,
 * then measures them in turn, `rounds` times. Per shape: every run, and the medians of requests per
 * second and of CPU time per request.
 */
export async function runHttp({ seconds = 2.5, warmUpSeconds = 3, rounds = 6, connections = 50 } = {}) {
  const pinned = pin(0, process.pid);
  const dirs = HTTP_SHAPES.map(() => tempDir('hf-stats-bench-http-'));
  const apps = [];
  try {
    for (const [i, shape] of HTTP_SHAPES.entries()) {
      apps.push(await startApp(shape, dirs[i]));
    }
    // Two warm-up passes, in turn: an app keeps getting faster for many seconds (compilation, and
    // the young generation growing to its allocation rate), and the turns spread the drift.
    for (let pass = 0; pass < 2; pass += 1) {
      for (const app of apps) {
        await load(app.url, warmUpSeconds, connections);
      }
    }
    const runs = HTTP_SHAPES.map(() => []);
    for (let round = 0; round < rounds; round += 1) {
      for (const [i, shape] of HTTP_SHAPES.entries()) {
        runs[i].push(await measureOnce(shape, apps[i], { seconds, connections }));
      }
    }
    const shapes = {};
    for (const [i, shape] of HTTP_SHAPES.entries()) {
      shapes[shape] = {
        requestsPerSecond: median(runs[i].map((r) => r.requestsPerSecond)),
        cpuUsPerRequest: median(runs[i].map((r) => r.cpuUsPerRequest)),
        runs: runs[i],
      };
    }
    return { seconds, warmUpSeconds, rounds, connections, pinned, shapes };
  } finally {
    for (const app of apps) {
      await stopApp(app.child);
    }
    for (const dir of dirs) {
      removeDir(dir);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runHttp(), null, 2));
}
