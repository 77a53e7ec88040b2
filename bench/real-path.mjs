// 9. The real path: the real `@huggingface/inference` client doing `chatCompletion` against a
// loopback server in another process (bench/hf-server.mjs, on CPU 0), each subject alone in its own
// process (bench/real-path-subject.mjs, on CPU 1) beside the uninstrumented baseline. Rounds are
// interleaved (baseline, subject 1, subject 2, ..., then again), CALLS awaited calls per subject per
// round; the figure is the CPU added per call, subject minus the baseline of the same round: the
// median of the rounds and the interval of the middle 95 % of them.
import { spawn } from 'node:child_process';
import { pin } from './http.mjs';
import { median } from './helpers.mjs';

// BENCH_REAL_SUBJECTS=a,b: other subjects, such as the breakdown of real-path-subject.mjs (context-only, no-fetch,
// fetch-only, als).
// A subject named NAME+cls runs in a process that has loaded nestjs-cls (its AsyncLocalStorage on, as in an app that
// already runs one); every subject's added CPU is also taken against `baseline+cls`, the bare client in such a process.
export const REAL_PATH_SUBJECTS = process.env.BENCH_REAL_SUBJECTS?.split(',') ?? [
  'prom',
  'log-off',
  'shipped',
  'langfuse',
  'openlit',
  'langfuse+cls',
  'openlit+cls',
];
// 30 rounds, as the issue's own measurement: the median of 20 moved by ±15 µs from one run to the next.
const ROUNDS = Number(process.env.BENCH_REAL_ROUNDS ?? 30);
const CALLS = Number(process.env.BENCH_REAL_CALLS ?? 1_000);
const here = (file) => new URL(file, import.meta.url).pathname;

// BENCH_REAL_PROFILE_DIR=dir: each subject writes a CPU profile (node --cpu-prof) to dir/SUBJECT, sampled every
// BENCH_REAL_PROFILE_INTERVAL µs (default 1,000; a real call takes about 400 µs).
const profileFlags = (args) =>
  process.env.BENCH_REAL_PROFILE_DIR && args.length > 0
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${process.env.BENCH_REAL_PROFILE_DIR}/${args[0]}`,
        `--cpu-prof-interval=${process.env.BENCH_REAL_PROFILE_INTERVAL ?? 1000}`,
      ]
    : [];

function start(file, args, cpu) {
  const child = spawn(process.execPath, [...profileFlags(args), here(file), ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  pin(cpu, child.pid);
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, message }));
    child.once('exit', (code) => reject(new Error(`${file} ${args.join(' ')} exited with ${code}`)));
  });
}

const ask = (child, message) =>
  new Promise((resolve) => {
    child.once('message', resolve);
    child.send(message);
  });

/** The value at quantile q (0..1) of sorted values, linearly interpolated. */
function quantile(sorted, q) {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

export async function runRealPath() {
  const server = await start('./hf-server.mjs', [], 0);
  const { url } = server.message;
  const names = ['baseline', 'baseline+cls', ...REAL_PATH_SUBJECTS];
  const procs = {};
  try {
    // Started one after another, so their warm-ups don't overlap.
    for (const name of names) {
      procs[name] = (await start('./real-path-subject.mjs', [name, url], 1)).child;
    }
    const perCallUs = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const name of names) {
        const { cpuUs } = await ask(procs[name], { calls: CALLS });
        perCallUs[name].push(cpuUs / CALLS);
      }
    }
    /** CPU added per call over a baseline of the same round: median and the middle 95 %. */
    const addedOver = (name, baseline) => {
      const added = perCallUs[name].map((us, round) => us - perCallUs[baseline][round]).toSorted((a, b) => a - b);
      return { addedUs: median(added), lowUs: quantile(added, 0.025), highUs: quantile(added, 0.975) };
    };
    const subjects = {};
    for (const name of REAL_PATH_SUBJECTS) {
      const { proof } = await ask(procs[name], 'stop');
      procs[name].stopped = true;
      subjects[name] = {
        ...addedOver(name, 'baseline'),
        overCls: addedOver(name, 'baseline+cls'),
        cpuPerCallUs: median(perCallUs[name]),
        proof,
      };
    }
    for (const baseline of ['baseline', 'baseline+cls']) {
      await ask(procs[baseline], 'stop');
      procs[baseline].stopped = true;
    }
    return {
      rounds: ROUNDS,
      callsPerRound: CALLS,
      sessions: 1_000,
      baselineCpuPerCallUs: median(perCallUs.baseline),
      clsBaselineCpuPerCallUs: median(perCallUs['baseline+cls']),
      clsBaseline: addedOver('baseline+cls', 'baseline'),
      subjects,
      raw: perCallUs,
    };
  } finally {
    for (const proc of Object.values(procs)) {
      // A subject that answered 'stop' exits by itself (writing its profile); kill only the others.
      if (proc.exitCode === null && !proc.stopped) {
        proc.kill();
      }
    }
    server.child.send('stop');
  }
}

if (process.argv[1] === here('./real-path.mjs')) {
  console.log(JSON.stringify(await runRealPath(), (key, value) => (key === 'raw' ? undefined : value), 2));
}
