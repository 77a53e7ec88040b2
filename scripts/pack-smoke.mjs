// Installs the packed library into a fresh app outside this repository, as a user would, and checks
// that it loads from ESM and from CommonJS and gives exact per-session figures over HTTP.
// Run after `npm run build`: `npm run test:pack`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const versionOf = (name) => rootPackage.dependencies[name] ?? rootPackage.devDependencies[name];
// The same app in both module systems; decorators applied as TypeScript emits them.
const appSource = (load) => `${load}
const { Controller, Get, Injectable, Module } = common;
const { NestFactory } = core;
const { HfStatsModule, TrackHFCall } = hfStats;
// What TypeScript's __decorate does for a method: decorate its descriptor, then define it.
const decorateMethod = (decorators, proto, key) =>
  Object.defineProperty(proto, key, Reflect.decorate(decorators, proto, key, Object.getOwnPropertyDescriptor(proto, key)));

class Embeddings {
  async embed(request) { await new Promise((r) => setTimeout(r, 1)); return request.inputs.map(() => [0]); }
}
decorateMethod([TrackHFCall({ operation: 'feature-extraction' })], Embeddings.prototype, 'embed');
Reflect.decorate([Injectable()], Embeddings);

class EmbedController {
  constructor(embeddings) { this.embeddings = embeddings; }
  embed() { return this.embeddings.embed({ model: 'm', inputs: ['a', 'b', 'c'] }); }
}
decorateMethod([Get()], EmbedController.prototype, 'embed');
Reflect.decorate([Controller('embed'), Reflect.metadata('design:paramtypes', [Embeddings])], EmbedController);

class AppModule {}
Reflect.decorate([Module({ imports: [HfStatsModule.forRoot()], controllers: [EmbedController], providers: [Embeddings] })], AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const url = await app.getUrl();
for (const [session, times] of [['alpha', 3], ['beta', 2]]) {
  for (let i = 0; i < times; i += 1) {
    const response = await fetch(url + '/embed', { headers: { 'x-session-id': session } });
    if (!response.ok) throw new Error('embed answered ' + response.status);
  }
}
await fetch(url + '/embed');
const stats = await (await fetch(url + '/hf-stats')).json();
const byId = Object.fromEntries(stats.sessions.map((s) => [s.sessionId, s]));
const ok = stats.global.callCount === 6 && stats.global.textCount === 18 && byId.alpha?.callCount === 3 && byId.beta?.textCount === 6 && stats.sessions.length === 2;
await app.close();
if (!ok) { console.error(JSON.stringify(stats, null, 2)); process.exit(1); }
console.log(MODE + ': global ' + stats.global.callCount + ' calls, alpha ' + byId.alpha.callCount + ', beta ' + byId.beta.callCount);
`;

const work = mkdtempSync(join(tmpdir(), 'hf-stats-pack-'));
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

try {
  const tarball = run('npm', ['pack', './libs/hf-stats', '--pack-destination', work, '--silent'], root)
    .trim()
    .split('\n')
    .pop();
  const files = JSON.parse(
    run('npm', ['pack', './libs/hf-stats', '--dry-run', '--json', '--silent'], root),
  )[0].files.map((f) => f.path);
  const unexpected = files.filter((path) => path.includes('.spec.') || path.startsWith('src/'));
  if (unexpected.length > 0 || !files.includes('dist/index.js') || !files.includes('README.md')) {
    throw new Error(`unexpected tarball contents: ${files.join(', ')}`);
  }
  console.log(`packed ${tarball}: ${files.length} files`);

  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  const dependencies = { 'nestjs-hf-stats': `file:${join(work, tarball)}` };
  for (const name of [
    '@nestjs/common',
    '@nestjs/core',
    '@nestjs/platform-express',
    '@nestjs/schedule',
    'nestjs-cls',
    'reflect-metadata',
    'rxjs',
  ]) {
    dependencies[name] = versionOf(name);
  }
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'pack-smoke-app', private: true, dependencies }, null, 2),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);

  writeFileSync(
    join(app, 'main.mjs'),
    appSource(`import 'reflect-metadata';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as hfStats from 'nestjs-hf-stats';
const MODE = 'esm';`),
  );
  writeFileSync(
    join(app, 'main.cjs'),
    `require('reflect-metadata');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const hfStats = require('nestjs-hf-stats');
const MODE = 'commonjs';
(async () => {
${appSource('').replace(/^/gm, '  ')}
})().catch((error) => { console.error(error); process.exit(1); });
`,
  );
  process.stdout.write(run('node', ['main.mjs'], app));
  process.stdout.write(run('node', ['main.cjs'], app));
  console.log('pack-smoke: 2 passed, 0 failed');
} finally {
  if (!process.env.KEEP_PACK_APP) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
