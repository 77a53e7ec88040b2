// One subject of the real-path benchmark (bench/real-path.mjs), alone in its process: the real
// `@huggingface/inference` client doing `chatCompletion` against the loopback server (another
// process), instrumented one way or not at all. Run as `node real-path-subject.mjs SUBJECT URL`.
// Sends { ready } after a warm-up; on { calls: n } makes n calls one after another (each in the next
// of 1,000 sessions where the subject has sessions) and answers the CPU time they took; on 'stop'
// answers what proves the instrumentation ran (spans, recorded calls, log lines), then exits.
// oxlint-disable-next-line import/no-unassigned-import
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { logLines, removeDir, sessionId, tempDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
const [subject, url] = process.argv.slice(2);
const SESSIONS = 1_000;
// Long enough for the JIT and the heap to settle: with 300, the first rounds ran 20 to 100 % above the rest.
const WARM_UP_CALLS = Number(process.env.BENCH_REAL_WARM_UP ?? 2_000);
const ids = Array.from({ length: SESSIONS }, (_, i) => sessionId(i));
const REQUEST = Object.freeze({
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  messages: Object.freeze([{ role: 'user', content: 'What is the capital of France? One word.' }]),
  max_tokens: 16,
});

/** The in-memory OpenTelemetry pipeline the two peers export to: nothing leaves the process. */
function memoryTracing() {
  const { NodeTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace-node');
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let spans = 0;
  // Counted, then let go, so the exporter's memory stays flat over a long run.
  const drain = () => {
    spans += exporter.getFinishedSpans().length;
    exporter.reset();
  };
  return { provider, spanCount: () => (drain(), spans), drain };
}

/**
 * The module as an app runs it: `log` on (as shipped) or off; `decorate` and `trackedFetch` off only for the
 * breakdown subjects, which show what each part adds.
 */
async function hfStats(log, { decorate = true, trackedFetch = true } = {}) {
  const { Injectable, Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { HfStatsModule, HfStatsService, TrackHFCall, createHfStatsFetch } = await import('nestjs-hf-stats');
  const { InferenceClient } = await import('@huggingface/inference');
  const dir = log ? tempDir() : undefined;
  class Chat {
    constructor() {
      this.client = new InferenceClient(
        'hf_bench',
        trackedFetch ? { endpointUrl: url, fetch: createHfStatsFetch() } : { endpointUrl: url },
      );
    }
    async chat(request) {
      return this.client.chatCompletion(request);
    }
  }
  if (decorate) {
    Object.defineProperty(
      Chat.prototype,
      'chat',
      Reflect.decorate(
        [TrackHFCall({ operation: 'chat-completion' })],
        Chat.prototype,
        'chat',
        Object.getOwnPropertyDescriptor(Chat.prototype, 'chat'),
      ),
    );
  }
  Reflect.decorate([Injectable()], Chat);
  class BenchModule {}
  // As shipped: the defaults, the log on (its path in a temporary directory); or `log: false`.
  const options = { controller: false, log: log ? { path: `${dir}/hf_api_stats.log` } : false };
  Reflect.decorate([Module({ imports: [HfStatsModule.forRoot(options)], providers: [Chat] })], BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  await app.init();
  const stats = app.get(HfStatsService);
  const chat = app.get(Chat);
  return {
    call: (i) => stats.runInSession(ids[i % SESSIONS], () => chat.chat(REQUEST)),
    async proof() {
      const calls = stats.getGlobalStats().callCount;
      const attempts = stats.getGlobalStats().attemptCount;
      await app.close();
      const lines = dir === undefined ? 0 : logLines(dir).filter((line) => line.includes('"hf_call"')).length;
      if (dir !== undefined) {
        removeDir(dir);
      }
      return { recordedCalls: calls, attempts, logLines: lines };
    },
  };
}

const SUBJECTS = {
  async baseline() {
    const { InferenceClient } = await import('@huggingface/inference');
    const client = new InferenceClient('hf_bench', { endpointUrl: url });
    return { call: () => client.chatCompletion(REQUEST), proof: async () => ({}) };
  },
  async prom() {
    const { Counter, Histogram, Registry } = await import('prom-client');
    const { InferenceClient } = await import('@huggingface/inference');
    const registry = new Registry();
    const labelNames = ['model'];
    const counter = new Counter({ name: 'hf_calls_total', help: 'calls', labelNames, registers: [registry] });
    const histogram = new Histogram({ name: 'hf_call_seconds', help: 'time', labelNames, registers: [registry] });
    const client = new InferenceClient('hf_bench', { endpointUrl: url });
    return {
      async call() {
        const started = performance.now();
        const result = await client.chatCompletion(REQUEST);
        counter.inc({ model: REQUEST.model });
        histogram.observe({ model: REQUEST.model }, (performance.now() - started) / 1000);
        return result;
      },
      proof: async () => ({ recordedCalls: (await counter.get()).values[0]?.value ?? 0 }),
    };
  },
  'log-off': () => hfStats(false),
  shipped: () => hfStats(true),
  // The breakdown (BENCH_REAL_SUBJECTS=...; not in the default run): the module running and each call in its
  // session, with neither the decorator nor the tracked fetch; with the decorator only; with the tracked fetch
  // only (its attempts then untracked); and a bare AsyncLocalStorage context per call, without the module.
  'context-only': () => hfStats(false, { decorate: false, trackedFetch: false }),
  'no-fetch': () => hfStats(false, { trackedFetch: false }),
  'fetch-only': () => hfStats(false, { decorate: false }),
  async als() {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    const { InferenceClient } = await import('@huggingface/inference');
    const storage = new AsyncLocalStorage();
    const client = new InferenceClient('hf_bench', { endpointUrl: url });
    return {
      call: (i) => storage.run({ sessionId: ids[i % SESSIONS] }, () => client.chatCompletion(REQUEST)),
      proof: async () => ({}),
    };
  },
  async langfuse() {
    const tracing = memoryTracing();
    tracing.provider.register();
    const { setLangfuseTracerProvider, startActiveObservation, propagateAttributes } =
      await import('@langfuse/tracing');
    setLangfuseTracerProvider(tracing.provider);
    const { InferenceClient } = await import('@huggingface/inference');
    const client = new InferenceClient('hf_bench', { endpointUrl: url });
    return {
      call: (i) =>
        propagateAttributes({ sessionId: ids[i % SESSIONS] }, () =>
          startActiveObservation(
            'chat-completion',
            async (generation) => {
              generation.update({ model: REQUEST.model, input: REQUEST.messages });
              const result = await client.chatCompletion(REQUEST);
              generation.update({
                output: result.choices[0]?.message,
                usageDetails: { input: result.usage.prompt_tokens, output: result.usage.completion_tokens },
              });
              return result;
            },
            { asType: 'generation' },
          ),
        ),
      proof: async () => ({ spans: tracing.spanCount() }),
      drain: tracing.drain,
    };
  },
  async openlit() {
    const tracing = memoryTracing();
    // OpenLIT adopts a registered SDK provider (one with addSpanProcessor, which the 2.x SDK no longer
    // has): our provider, so its spans go to memory rather than to an OTLP endpoint or the console.
    // `trace.getTracerProvider()` answers the API's proxy, so it is shown ours for the time of init().
    tracing.provider.addSpanProcessor = () => undefined;
    tracing.provider.register();
    const { trace } = require('@opentelemetry/api');
    trace.getTracerProvider = () => tracing.provider;
    // Its Hugging Face instrumentation patches the CommonJS build's task modules, found in require.cache.
    const hf = require('@huggingface/inference');
    const openlit = require('openlit').default;
    openlit.init({
      applicationName: 'bench',
      disableMetrics: true,
      disableEvents: true,
      pricingJson: {},
      instrumentations: { huggingface: hf },
    });
    delete trace.getTracerProvider;
    const client = new hf.InferenceClient('hf_bench', { endpointUrl: url });
    return {
      call: () => client.chatCompletion(REQUEST),
      proof: async () => ({ spans: tracing.spanCount() }),
      drain: tracing.drain,
    };
  },
};

// SUBJECT+cls: the same subject in a process that has loaded nestjs-cls, which enables its AsyncLocalStorage on
// import, as an app that uses it (or OpenTelemetry's context manager) has one on already.
const [name, withCls] = subject.endsWith('+cls') ? [subject.slice(0, -4), true] : [subject, false];
if (withCls) {
  await import('nestjs-cls');
}
const run = await SUBJECTS[name]();
for (let i = 0; i < WARM_UP_CALLS; i += 1) {
  await run.call(i);
}
run.drain?.();
let next = 0;
async function answer(message) {
  if (message === 'stop') {
    process.send({ proof: await run.proof() });
    setImmediate(() => process.exit(0));
    return;
  }
  const started = process.cpuUsage();
  const wallStarted = performance.now();
  for (let k = 0; k < message.calls; k += 1) {
    await run.call(next);
    next += 1;
  }
  const used = process.cpuUsage(started);
  const wallMs = performance.now() - wallStarted;
  run.drain?.();
  process.send({ cpuUs: used.user + used.system, wallMs });
}
process.on('message', (message) => {
  answer(message).catch((error) => {
    console.error(error);
    process.exit(1);
  });
});
process.send({ ready: true });
