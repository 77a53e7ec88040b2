// Checks the packed library the way a user and the ecosystem's tools meet it. Run after `npm run build`:
// `npm run test:pack`.
// 1. the tarball holds every built module, its types, README, LICENSE, the dashboard's index.html, app.css and
//    app.js (as in src), and nothing else (no specs, no sources);
// 2. publint and arethetypeswrong (node16 ESM, node16 CommonJS, bundler) accept it;
// 3. installed into a fresh app outside this repository, without the optional peers, it loads from ESM and
//    CommonJS, gives exact per-session figures over HTTP and serves the dashboard from its files;
// 4. a TypeScript consumer compiles against its types with `--strict` and `skipLibCheck: false`.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runtimeAppSource } from './pack-smoke/runtime-app.mjs';

const root = resolve(import.meta.dirname, '..');
/** The files `libs/hf-stats/src/dashboard/assets/` holds and the dashboard controller reads from `dist/`. */
const DASHBOARD_ASSETS = ['index.html', 'app.css', 'app.js'];
const lib = join(root, 'libs/hf-stats');
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const rootPackage = readJson(join(root, 'package.json'));
const libPackage = readJson(join(lib, 'package.json'));
const versionOf = (name) => rootPackage.dependencies[name] ?? rootPackage.devDependencies[name];
const optionalPeers = Object.keys(libPackage.peerDependencies).filter(
  (name) => libPackage.peerDependenciesMeta?.[name]?.optional === true,
);
const requiredPeers = Object.keys(libPackage.peerDependencies).filter((name) => !optionalPeers.includes(name));
const bin = (name) => join(root, 'node_modules/.bin', name);
const listFiles = (dir) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));

const work = mkdtempSync(join(tmpdir(), 'hf-stats-pack-'));
// Under `npm publish --dry-run` (prepublishOnly runs this) npm exports npm_config_dry_run, which would turn
// the pack and the app's install below into dry runs too.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name.toLowerCase() !== 'npm_config_dry_run'),
);
/** Runs a command and returns its output; on failure prints that output (tsc, publint and attw report there). */
const run = (command, args, cwd) => {
  try {
    return execFileSync(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  } catch (error) {
    process.stderr.write(error.stdout?.toString() ?? '');
    throw new Error(`${[command, ...args].join(' ')} failed (exit ${error.status})`, { cause: error });
  }
};
let passed = 0;
const pass = (line) => {
  passed += 1;
  console.log(`ok ${passed} ${line}`);
};

try {
  const tarballName = run('npm', ['pack', './libs/hf-stats', '--pack-destination', work, '--silent'], root)
    .trim()
    .split('\n')
    .pop();
  const tarball = join(work, tarballName);

  // 1. Contents, against what the build produced.
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  run('tar', ['-xzf', tarball, '-C', unpacked], root);
  const packageDir = join(unpacked, 'package');
  const files = listFiles(packageDir).toSorted();
  // Everything the build wrote (modules, types, any asset a module reads at runtime) but tests and build state.
  const built = listFiles(join(lib, 'dist'))
    .filter((path) => !/\.(spec|fixture)\.|\.map$|\.tsbuildinfo$/.test(path))
    .map((path) => `dist/${path}`);
  const expected = ['package.json', 'README.md', 'LICENSE', ...built];
  const missing = expected.filter((path) => !files.includes(path));
  const unexpected = files.filter((path) => !expected.includes(path));
  if (missing.length > 0 || unexpected.length > 0 || !files.includes('dist/index.d.ts')) {
    throw new Error(`tarball contents: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
  }
  // The dashboard's files are read at runtime, not imported: nothing else would notice them missing or stale.
  const dashboardAssets = DASHBOARD_ASSETS.map((name) => [
    `dist/dashboard/assets/${name}`,
    join(lib, 'src/dashboard/assets', name),
  ]);
  const missingAssets = dashboardAssets.filter(([path]) => !files.includes(path)).map(([path]) => path);
  if (missingAssets.length > 0) {
    throw new Error(
      `the tarball lacks the dashboard's ${missingAssets.join(', ')} (nest-cli.json copies them at build)`,
    );
  }
  for (const [inTarball, source] of [
    ['README.md', join(lib, 'README.md')],
    ['LICENSE', join(root, 'LICENSE')],
    ...dashboardAssets,
  ]) {
    if (readFileSync(join(packageDir, inTarball), 'utf8') !== readFileSync(source, 'utf8')) {
      throw new Error(`the tarball's ${inTarball} is not ${source.slice(root.length + 1)}`);
    }
  }
  // A declaration that imports an optional peer breaks `skipLibCheck: false` apps without it, reachable or not.
  const peerImport = new RegExp(`from '(${optionalPeers.join('|')})(/[^']*)?'|import\\('(${optionalPeers.join('|')})`);
  const leaking = files.filter(
    (path) => path.endsWith('.d.ts') && peerImport.test(readFileSync(join(packageDir, path), 'utf8')),
  );
  if (leaking.length > 0) {
    throw new Error(`declarations import an optional peer (${optionalPeers.join(', ')}): ${leaking.join(', ')}`);
  }
  pass(
    `${tarballName}: ${files.length} files, ${readFileSync(tarball).length} bytes, the expected ones; no optional peer in the types`,
  );

  // 2. The ecosystem's checks, on the tarball itself.
  run(bin('publint'), ['run', tarball, '--strict'], root);
  pass('publint --strict');
  // cjs-resolves-to-esm: the package is ESM only on purpose; Node 20.19+ (our `engines`) loads it with require().
  run(
    bin('attw'),
    [tarball, '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm', '--no-definitely-typed', '--no-color'],
    root,
  );
  pass('arethetypeswrong: node16 (ESM), node16 (CommonJS), bundler');

  // 3. A fresh app with the required peers only.
  const app = join(work, 'app');
  mkdirSync(app);
  const dependencies = { 'nestjs-hf-stats': `file:${tarball}` };
  for (const name of [...requiredPeers, '@nestjs/platform-express', '@types/node']) {
    dependencies[name] = versionOf(name);
  }
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'pack-smoke-app', private: true, dependencies }, null, 2),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
  const present = optionalPeers.filter((name) => existsSync(join(app, 'node_modules', name)));
  if (present.length > 0) {
    throw new Error(`the app was meant to lack the optional peers, but has ${present.join(', ')}`);
  }
  writeFileSync(join(app, 'main.mjs'), runtimeAppSource('esm'));
  writeFileSync(join(app, 'main.cjs'), runtimeAppSource('commonjs'));
  pass(run('node', ['main.mjs'], app).trim());
  pass(run('node', ['main.cjs'], app).trim());

  // 4. The strict TypeScript consumer, as ESM and as CommonJS (node16/nodenext), then as a bundler would resolve it.
  for (const extension of ['mts', 'cts']) {
    copyFileSync(join(import.meta.dirname, 'pack-smoke/strict-consumer.ts'), join(app, `consumer.${extension}`));
  }
  const compilerOptions = {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    target: 'ES2023',
    lib: ['ES2023'],
    types: ['node'],
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
  };
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const configs = [
    {
      name: 'tsconfig.node.json',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      files: ['consumer.mts', 'consumer.cts'],
    },
    { name: 'tsconfig.bundler.json', module: 'preserve', moduleResolution: 'bundler', files: ['consumer.mts'] },
  ];
  for (const { name, module, moduleResolution, files: sources } of configs) {
    const tsconfig = { compilerOptions: { ...compilerOptions, module, moduleResolution }, files: sources };
    writeFileSync(join(app, name), JSON.stringify(tsconfig));
    run('node', [tsc, '-p', name, '--strict'], app);
    pass(`tsc --strict, skipLibCheck false, ${moduleResolution}: ${sources.join(', ')}`);
  }
  console.log(`pack-smoke: ${passed} passed, 0 failed`);
} finally {
  if (!process.env.KEEP_PACK_APP) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
