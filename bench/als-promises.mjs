// What an enabled AsyncLocalStorage costs every promise on this Node (the hidden cost of section 9): 2,000 times
// 200 awaited promises (600 promises each) inside `run()` of N storages, CPU per 600 promises, median of 15 rounds.
//   node bench/als-promises.mjs        # N = 0, 1, 2, 3, each in its own process (enabling is for the process)
//   node bench/als-promises.mjs N
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { median } from './helpers.mjs';

const count = process.argv[2];

async function leaf(i) {
  // oxlint-disable-next-line unicorn/no-unnecessary-await, typescript/await-thenable -- an await of a plain value: the promises measured
  await null;
  return i;
}

if (count === undefined) {
  for (const n of [0, 1, 2, 3]) {
    process.stdout.write(execFileSync(process.execPath, [new URL(import.meta.url).pathname, String(n)]));
  }
} else {
  const stores = Array.from({ length: Number(count) }, () => new AsyncLocalStorage());
  const work = async () => {
    let sum = 0;
    for (let i = 0; i < 200; i += 1) {
      sum += await leaf(i);
    }
    return sum;
  };
  const inStores = (k, fn) => (k === stores.length ? fn() : stores[k].run({ k }, () => inStores(k + 1, fn)));
  const round = async () => {
    const started = process.cpuUsage();
    for (let c = 0; c < 2_000; c += 1) {
      await inStores(0, work);
    }
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 2_000;
  };
  for (let w = 0; w < 5; w += 1) {
    await round();
  }
  const rounds = [];
  for (let r = 0; r < 15; r += 1) {
    rounds.push(await round());
  }
  console.log(`${count} storage(s) enabled: ${median(rounds).toFixed(1)} µs per 600 promises (median of 15 rounds)`);
}
