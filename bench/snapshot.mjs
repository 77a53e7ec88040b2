// A copy of the build that the benchmarks run against, taken when `npm run bench` starts: a rebuild
// during the run (in another terminal, by a watcher) then neither breaks it nor mixes two builds.
// The copy holds the built library and example app, the benchmark files and a node_modules of
// links to the real packages, except 'nestjs-hf-stats', which links to the copied library.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

export function snapshotBuild() {
  for (const built of ['libs/hf-stats/dist/index.js', 'dist/src/app.bootstrap.js']) {
    if (!existsSync(join(root, built))) {
      throw new Error(`${built} is missing: run \`npm run build\` first (npm run bench does).`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'hf-stats-bench-build-'));
  // package.json files first: they make the copied .js files ES modules.
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, 'libs/hf-stats/package.json'), join(dir, 'libs/hf-stats/package.json'));
  cpSync(join(root, 'libs/hf-stats/dist'), join(dir, 'libs/hf-stats/dist'), { recursive: true });
  cpSync(join(root, 'dist/src'), join(dir, 'dist/src'), { recursive: true });
  cpSync(join(root, 'bench'), join(dir, 'bench'), {
    recursive: true,
    filter: (source) => !source.endsWith('results.json'),
  });
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    const target = name === 'nestjs-hf-stats' ? join(dir, 'libs/hf-stats') : join(root, 'node_modules', name);
    symlinkSync(target, join(dir, 'node_modules', name));
  }
  return {
    dir,
    bench: join(dir, 'bench'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
