// The built example app, serving on a loopback port for bench/http.mjs, in one of three shapes:
// - without: the example app's feature modules (embeddings, chat) and no HfStatsModule;
// - with: the example app as it ships (createApp: HfStatsModule.forRoot() with its defaults, so an
//   `hf_call` line per call, written under the working directory that run.js gives this process);
// - with-log-off: the same with `log: false`.
// Each calls a Hugging Face simulator started here with zero latency. Over IPC: sends its URL;
// on 'start' and 'end' (around the measured load) answers the CPU time it used in between, and
// notes the window in BENCH_WINDOW_FILE for bench/profile.mjs; on 'stop' closes and exits.
// Reflect.decorate and Reflect.metadata must exist before the classes below are decorated.
// oxlint-disable-next-line import/no-unassigned-import
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HfStatsModule } from 'nestjs-hf-stats';
import { createApp } from '../dist/src/app.bootstrap.js';
import { ChatModule } from '../dist/src/chat/chat.module.js';
import { EmbeddingsModule } from '../dist/src/embeddings/embeddings.module.js';
import { startHfSimulator } from '../dist/src/simulator/hf-simulator.js';

const shape = process.argv[2];

async function start() {
  if (shape === 'with') {
    return createApp(['error']);
  }
  const imports = [EmbeddingsModule, ChatModule];
  if (shape === 'with-log-off') {
    imports.unshift(HfStatsModule.forRoot({ log: false }));
  } else if (shape !== 'without') {
    throw new Error(`unknown shape ${shape}: expected without, with or with-log-off`);
  }
  class BenchAppModule {}
  Reflect.decorate([Module({ imports })], BenchAppModule);
  return NestFactory.create(BenchAppModule, { logger: ['error'] });
}

const simulator = await startHfSimulator({ latencyMs: 0 });
process.env.HF_ENDPOINT_URL = simulator.url;
delete process.env.HF_TOKEN;
const app = await start();
await app.listen(0, '127.0.0.1');
process.send({ url: await app.getUrl() });
const window = {};
let cpuAtStart;

async function stop() {
  if (process.env.BENCH_WINDOW_FILE) {
    writeFileSync(process.env.BENCH_WINDOW_FILE, JSON.stringify(window));
  }
  await app.close();
  await simulator.close();
  process.disconnect();
}

process.on('message', (message) => {
  if (message === 'start' || message === 'end') {
    window[`${message}Us`] = Number(process.hrtime.bigint() / 1000n);
    cpuAtStart = message === 'start' ? process.cpuUsage() : cpuAtStart;
    const { user, system } = process.cpuUsage(cpuAtStart);
    process.send({ cpuUs: user + system });
    return;
  }
  stop().catch((error) => {
    console.error(error);
    process.exit(1);
  });
});
