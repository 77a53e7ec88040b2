// The app of the route-tax benchmark (bench/ping.mjs): one `GET /ping` that makes no Hugging Face
// call, on Express or Fastify, with `HfStatsModule.forRoot()` as shipped (its defaults: the log on,
// under the working directory run.js gives this process) or without the module. Run as
// `node ping-app.mjs express|fastify with|without`. Over IPC as bench/http-app.mjs: sends its URL;
// on 'start' and 'end' answers the CPU time (µs) used in between; on 'stop' closes and exits.
// oxlint-disable-next-line import/no-unassigned-import
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HfStatsModule } from 'nestjs-hf-stats';

const [adapter, shape] = process.argv.slice(2);

class PingController {
  ping() {
    return { ok: true };
  }
}
Object.defineProperty(
  PingController.prototype,
  'ping',
  Reflect.decorate(
    [Get('ping')],
    PingController.prototype,
    'ping',
    Object.getOwnPropertyDescriptor(PingController.prototype, 'ping'),
  ),
);
Reflect.decorate([Controller()], PingController);

class PingModule {}
const imports = shape === 'with' ? [HfStatsModule.forRoot()] : [];
Reflect.decorate([Module({ imports, controllers: [PingController] })], PingModule);

async function create() {
  if (adapter === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return NestFactory.create(PingModule, new FastifyAdapter(), { logger: ['error'] });
  }
  return NestFactory.create(PingModule, { logger: ['error'] });
}

const app = await create();
await app.listen(0, '127.0.0.1');
process.send({ url: (await app.getUrl()).replace('[::1]', '127.0.0.1') });
let cpuAtStart;
process.on('message', (message) => {
  if (message === 'start' || message === 'end') {
    cpuAtStart = message === 'start' ? process.cpuUsage() : cpuAtStart;
    const { user, system } = process.cpuUsage(cpuAtStart);
    process.send({ cpuUs: user + system });
    return;
  }
  app.close().then(
    () => process.disconnect(),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});
