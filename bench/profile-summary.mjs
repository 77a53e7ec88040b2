// Prints where the time goes in `.cpuprofile` files written by `node --cpu-prof`: self time per
// function, and per package (nestjs-hf-stats, nestjs-cls, async_hooks, winston...).
//   node bench/profile-summary.mjs PROFILE_OR_DIR [TOP]
// Shares are of the sampled time, idle and garbage collection included. When the directory holds a
// `window.json` ({ startUs, endUs, operations? } on the clock of process.hrtime, which the profiles
// use too), only the samples inside it count, and with `operations` each row also reads in µs per
// operation (per call, per request).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The package or part of Node a function belongs to, from its script URL. */
function groupOf(url, functionName) {
  if (url === '') {
    return functionName.startsWith('(') ? functionName : '(native)';
  }
  if (url.includes('/libs/hf-stats/')) {
    return 'nestjs-hf-stats';
  }
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg !== null) {
    return pkg[1];
  }
  if (url.includes('async_hooks')) {
    return 'node: async_hooks (AsyncLocalStorage, promise hooks)';
  }
  if (url.startsWith('node:') || !url.includes('/')) {
    return 'node: other';
  }
  if (url.includes('/dist/src/simulator/')) {
    return 'example app: simulator';
  }
  if (url.includes('/dist/src/')) {
    return 'example app';
  }
  if (url.includes('/bench/')) {
    return 'benchmark loop';
  }
  return url;
}

function addTo(map, key, us) {
  map.set(key, (map.get(key) ?? 0) + us);
}

function sorted(map) {
  return [...map].map(([name, us]) => ({ name, us })).toSorted((a, b) => b.us - a.us);
}

/** Self time per function (name and file:line) and per group, in µs, with the total sampled time. */
export function selfTimes(profile, window = {}) {
  const { startUs = -Infinity, endUs = Infinity } = window;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const ticks = new Map();
  const { samples, timeDeltas } = profile;
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i += 1) {
    at += timeDeltas[i] ?? 0;
    if (at >= startUs && at <= endUs) {
      addTo(ticks, samples[i], timeDeltas[i] ?? 0);
    }
  }
  const functions = new Map();
  const groups = new Map();
  let totalUs = 0;
  for (const [id, us] of ticks) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url === '' ? '' : ` ${basename(url)}:${lineNumber + 1}`;
    addTo(functions, `${functionName || '(anonymous)'}${where}`, us);
    addTo(groups, groupOf(url, functionName), us);
    totalUs += us;
  }
  return { totalUs, functions: sorted(functions), groups: sorted(groups) };
}

export function summarise(path, top = 25) {
  const isDir = statSync(path).isDirectory();
  const windowFile = join(isDir ? path : dirname(path), 'window.json');
  const window = existsSync(windowFile) ? JSON.parse(readFileSync(windowFile, 'utf8')) : undefined;
  const files = isDir
    ? readdirSync(path)
        .filter((name) => name.endsWith('.cpuprofile'))
        .map((name) => join(path, name))
    : [path];
  const lines = [];
  const operations = window?.operations;
  const format = (row, totalUs) =>
    `  ${((row.us / totalUs) * 100).toFixed(1).padStart(5)} %  ${(row.us / 1000).toFixed(1).padStart(8)} ms` +
    (operations ? `  ${(row.us / operations).toFixed(3).padStart(8)} µs/op` : '') +
    `  ${row.name}`;
  for (const file of files) {
    const { totalUs, functions, groups } = selfTimes(JSON.parse(readFileSync(file, 'utf8')), window);
    lines.push(
      `${basename(file)}: ${(totalUs / 1000).toFixed(0)} ms sampled` +
        (window ? ' in the measured window' : '') +
        (operations ? `, ${operations} operations` : ''),
    );
    lines.push(' by package:');
    for (const row of groups.slice(0, 12)) {
      lines.push(format(row, totalUs));
    }
    lines.push(' by function (self time):');
    for (const row of functions.slice(0, top)) {
      lines.push(format(row, totalUs));
    }
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, top] = process.argv.slice(2);
  if (path === undefined) {
    console.error('usage: node bench/profile-summary.mjs PROFILE_OR_DIR [TOP]');
    process.exit(2);
  }
  console.log(summarise(path, top === undefined ? 25 : Number(top)));
}
