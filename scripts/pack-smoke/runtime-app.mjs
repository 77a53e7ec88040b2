// The app pack-smoke.mjs runs from the packed library, in both module systems: two sessions and one call
// without a session over HTTP, then `GET /hf-stats` must show the exact figures and the dashboard must load. Decorators are applied as
// TypeScript emits them, so the app needs no compiler.

const ESM_HEADER = `import 'reflect-metadata';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as hfStats from 'nestjs-hf-stats';
import { readFileSync } from 'node:fs';
const MODE = 'esm';
`;

const COMMONJS_HEADER = `require('reflect-metadata');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const hfStats = require('nestjs-hf-stats');
const { readFileSync } = require('node:fs');
const MODE = 'commonjs';
`;

const APP = `const { Controller, Get, Injectable, Module } = common;
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
// The dashboard, from the files the package carries: the page with its limits filled in, the others as they are.
const assetDir = 'node_modules/nestjs-hf-stats/dist/dashboard/assets/';
const served = async (path) => {
  const response = await fetch(url + '/hf-stats/dashboard' + path);
  if (!response.ok) throw new Error('the dashboard' + path + ' answered ' + response.status);
  return response.text();
};
const page = await served('');
if (!page.startsWith('<!doctype html>') || !page.includes('data-timeline-minutes="60"') || page.includes('{{')) throw new Error('the dashboard page: ' + page.slice(0, 200));
for (const name of ['app.js', 'app.css']) {
  if ((await served('/' + name)) !== readFileSync(assetDir + name, 'utf8')) throw new Error('the dashboard/' + name + ' served is not the packed one');
}
const ok = stats.global.callCount === 6 && stats.global.textCount === 18 && byId.alpha?.callCount === 3 && byId.beta?.textCount === 6 && stats.sessions.length === 2;
await app.close();
if (!ok) { console.error(JSON.stringify(stats, null, 2)); process.exit(1); }
console.log(MODE + ': global ' + stats.global.callCount + ' calls, alpha ' + byId.alpha.callCount + ', beta ' + byId.beta.callCount + '; the dashboard from its files');
`;

/** The source of `main.mjs` (`'esm'`) or `main.cjs` (`'commonjs'`). */
export function runtimeAppSource(mode) {
  if (mode === 'esm') {
    return ESM_HEADER + APP;
  }
  return `${COMMONJS_HEADER}(async () => {
${APP.replace(/^/gm, '  ')}
})().catch((error) => { console.error(error); process.exit(1); });
`;
}
