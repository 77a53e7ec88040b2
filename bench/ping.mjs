// 10. The tax on a route that never calls Hugging Face: `GET /ping` on the same app with
// `HfStatsModule.forRoot()` as shipped and without it, on Express and Fastify, each app in a process
// of its own (bench/ping-app.mjs, CPU 1), autocannon here (CPU 0). Interleaved rounds (without, with,
// without, with ...) of REQUESTS requests each; the figure is the app's CPU per request (user +
// system), the median of the rounds, and the tax: with minus without, over without.
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { mark, pin } from './http.mjs';
import { median, removeDir, tempDir } from './support.mjs';

// 20 rounds: a round of Fastify's 4,000 requests is 0.1 s of app CPU, and single rounds spread from −28 to +42 %.
const ROUNDS = Number(process.env.BENCH_PING_ROUNDS ?? 20);
const REQUESTS = Number(process.env.BENCH_PING_REQUESTS ?? 4_000);
const APP = new URL('./ping-app.mjs', import.meta.url).pathname;

function startPingApp(adapter, shape, cwd) {
  const child = spawn(process.execPath, [APP, adapter, shape], { cwd, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  pin(1, child.pid);
  return new Promise((resolve, reject) => {
    child.once('message', ({ url }) => resolve({ url, child }));
    child.once('exit', (code) => reject(new Error(`ping-app ${adapter} ${shape} exited with ${code}`)));
  });
}

const load = (url, amount) =>
  autocannon({ url: `${url}/ping`, connections: 10, amount, pipelining: 1 }).then((result) => {
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`GET /ping: ${result.non2xx} non-2xx, ${result.errors} errors`);
    }
    return result;
  });

async function measureAdapter(adapter) {
  const dir = tempDir();
  const apps = {};
  try {
    for (const shape of ['without', 'with']) {
      apps[shape] = await startPingApp(adapter, shape, dir);
      await load(apps[shape].url, REQUESTS);
    }
    const cpu = { without: [], with: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const shape of ['without', 'with']) {
        const { url, child } = apps[shape];
        await mark(child, 'start');
        await load(url, REQUESTS);
        cpu[shape].push((await mark(child, 'end')) / REQUESTS);
      }
    }
    const taxes = cpu.with.map((us, round) => ((us - cpu.without[round]) / cpu.without[round]) * 100);
    return {
      withoutUs: median(cpu.without),
      withUs: median(cpu.with),
      taxPct: median(taxes),
      roundsTaxPct: taxes,
    };
  } finally {
    for (const { child } of Object.values(apps)) {
      child.send('stop');
    }
    removeDir(dir);
  }
}

export async function runPing() {
  return {
    rounds: ROUNDS,
    requestsPerRound: REQUESTS,
    express: await measureAdapter('express'),
    fastify: await measureAdapter('fastify'),
  };
}

if (process.argv[1] === APP.replace('ping-app.mjs', 'ping.mjs')) {
  console.log(JSON.stringify(await runPing(), null, 2));
}
