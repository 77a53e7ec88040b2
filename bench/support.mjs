// What every benchmark shares: a running Nest application context with HfStatsModule, the two
// services compared (the same async method, undecorated and decorated), and small measuring helpers.
// Decorators are applied as TypeScript emits them, so nothing here needs compiling.
// Reflect.decorate and Reflect.metadata must exist before the classes below are decorated.
// oxlint-disable-next-line import/no-unassigned-import
import 'reflect-metadata';
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HfStatsModule, HfStatsOptions, HfStatsService, TrackHFCall } from 'nestjs-hf-stats';

export { logLines, median, removeDir, sessionId, tempDir } from './helpers.mjs';

/** What each call sends: the shape `@huggingface/inference` takes, so the decorator's defaults read it. */
export const REQUEST = Object.freeze({
  model: 'BAAI/bge-small-en-v1.5',
  inputs: Object.freeze(['first text', 'second text']),
});

/** Whether the built library has the statistics log (the `log` option). */
export const LOG_AVAILABLE = 'log' in new HfStatsOptions();

const decorateMethod = (decorators, proto, key) =>
  Object.defineProperty(
    proto,
    key,
    Reflect.decorate(decorators, proto, key, Object.getOwnPropertyDescriptor(proto, key)),
  );

/** The method under test without the decorator: an async method that resolves at once. */
export class PlainEmbeddings {
  async embed(request) {
    return request.inputs.length;
  }
}

/** The same method with `@TrackHFCall`. */
export class TrackedEmbeddings {
  async embed(request) {
    return request.inputs.length;
  }
}
decorateMethod([TrackHFCall({ operation: 'feature-extraction' })], TrackedEmbeddings.prototype, 'embed');
Reflect.decorate([Injectable()], PlainEmbeddings);
Reflect.decorate([Injectable()], TrackedEmbeddings);

/**
 * Starts an application context with `HfStatsModule.forRoot(options)` and both services. `log` is
 * dropped when the built library has no such option, so the benchmarks without logging still run.
 */
export async function startStats(options = {}) {
  const { log, ...rest } = options;
  const moduleOptions = { controller: false, ...rest, ...(LOG_AVAILABLE ? { log: log ?? false } : {}) };
  class BenchModule {}
  Reflect.decorate(
    [
      Module({
        imports: [HfStatsModule.forRoot(moduleOptions)],
        providers: [PlainEmbeddings, TrackedEmbeddings],
      }),
    ],
    BenchModule,
  );
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  await app.init();
  return {
    app,
    stats: app.get(HfStatsService),
    plain: app.get(PlainEmbeddings),
    tracked: app.get(TrackedEmbeddings),
  };
}

/**
 * A class of the built library that is not exported (the summary job, the log service), loaded
 * from the same files as 'nestjs-hf-stats' so that Nest finds the provider; undefined if absent.
 */
export async function internalClass(file, name) {
  try {
    const module = await import(new URL(file, import.meta.resolve('nestjs-hf-stats')).href);
    return module[name];
  } catch {
    return undefined;
  }
}

/**
 * How many lines of the log files in `dir` contain `marker`, read as a stream: a sustained run
 * writes more than one string can hold.
 */
export async function countLogLines(dir, marker) {
  let count = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.log')) {
      continue;
    }
    let carry = '';
    for await (const chunk of createReadStream(join(dir, entry.name), { encoding: 'utf8' })) {
      const lines = (carry + chunk).split('\n');
      carry = lines.pop();
      for (const line of lines) {
        if (line.includes(marker)) {
          count += 1;
        }
      }
    }
    if (carry.includes(marker)) {
      count += 1;
    }
  }
  return count;
}

/** Lets the event loop turn once (I/O callbacks, then setImmediate callbacks such as the log flush). */
export const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Heap in use, typed-array buffers included, after full collections. Needs `node --expose-gc`. */
export async function settledHeap() {
  for (let i = 0; i < 4; i += 1) {
    await nextTurn();
    globalThis.gc();
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Sends the result to run.js, or prints it when the file runs on its own. */
export function report(result) {
  if (process.send) {
    process.send(result);
  } else {
    console.log(JSON.stringify(result, null, 2));
  }
}
