// 1. Added cost per call of @TrackHFCall against the same method undecorated, in one process:
// without the module, inside and outside a session, per-call log line off and on (to a real file),
// and the prom-client and OpenTelemetry baselines. Each tinybench iteration makes BATCH calls, so
// that the timer and the iteration overhead are spread over them; figures are ns per call.
import { Counter, Histogram, Registry } from 'prom-client';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Bench } from 'tinybench';
import {
  LOG_AVAILABLE,
  PlainEmbeddings,
  REQUEST,
  TrackedEmbeddings,
  logLines,
  nextTurn,
  removeDir,
  report,
  startStats,
  tempDir,
} from './support.mjs';

const BATCH = 1_000;
const ROUNDS = 7;
const TIME_MS = Number(process.env.BENCH_TASK_MS ?? 150);
const SESSION = 'bench-session';

const ns = (ms) => (ms * 1e6) / BATCH;

function perCall(task) {
  const { latency } = task.result;
  if (latency === undefined) {
    throw new Error(`${task.name}: ${task.result.state} ${task.result.error?.message ?? ''}`);
  }
  return { meanNs: ns(latency.mean), p99Ns: ns(latency.p99), rmePct: latency.rme, samples: latency.samplesCount };
}

/**
 * Runs groups of tasks in ROUNDS short rounds, every group and task once per round, so that a change
 * of the machine's load, or of the process's state, falls on all of them. A group with a `session`
 * runs in it: every call of the round, awaited or not, is in its CLS context. Per task: the round
 * with the median mean (its p99 and margin), the lowest round mean (`bestNs`: other processes only
 * ever add time, so it is the least disturbed figure), and every round's mean.
 */
async function measure(groups, stats) {
  const rounds = new Map();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [group, { tasks, session }] of Object.entries(groups)) {
      const bench = new Bench({ name: group, time: TIME_MS, warmupTime: round === 0 ? 250 : 50, iterations: 32 });
      for (const [task, fn] of tasks) {
        bench.add(task, fn);
      }
      await (session === undefined ? bench.run() : stats.runInSession(session, () => bench.run()));
      for (const task of bench.tasks) {
        const key = `${group}\u0000${task.name}`;
        rounds.set(key, [...(rounds.get(key) ?? []), perCall(task)]);
      }
    }
  }
  const results = Object.fromEntries(Object.keys(groups).map((group) => [group, {}]));
  for (const [key, perRound] of rounds) {
    const [group, task] = key.split('\u0000');
    const sorted = perRound.toSorted((a, b) => a.meanNs - b.meanNs);
    results[group][task] = {
      ...sorted[sorted.length >> 1],
      bestNs: sorted[0].meanNs,
      roundsNs: perRound.map((r) => r.meanNs),
    };
  }
  return results;
}

// Each loop awaits every call, then lets the event loop turn once, as an app between two requests:
// that is where the log writer hands its lines to the file. The turn costs the same in every task.
function asyncLoops(plain, tracked) {
  return {
    plain: async () => {
      for (let i = 0; i < BATCH; i += 1) {
        await plain.embed(REQUEST);
      }
      await nextTurn();
    },
    tracked: async () => {
      for (let i = 0; i < BATCH; i += 1) {
        await tracked.embed(REQUEST);
      }
      await nextTurn();
    },
  };
}

const attributes = (request) => ({ 'hf.model': request.model, 'hf.operation': 'feature-extraction' });

function baselines() {
  const registry = new Registry();
  const counter = new Counter({ name: 'hf_calls_total', help: 'calls', labelNames: ['model'], registers: [registry] });
  const histogram = new Histogram({
    name: 'hf_call_duration_seconds',
    help: 'duration',
    labelNames: ['model'],
    registers: [registry],
  });
  const tracer = new BasicTracerProvider().getTracer('bench');
  return {
    // The bare instrumentation, without timing the call: the cheapest either library can be.
    promBare: () => {
      for (let i = 0; i < BATCH; i += 1) {
        counter.inc({ model: REQUEST.model });
        histogram.observe({ model: REQUEST.model }, 0.012);
      }
    },
    otelBare: () => {
      for (let i = 0; i < BATCH; i += 1) {
        tracer.startSpan('feature-extraction', { attributes: attributes(REQUEST) }).end();
      }
    },
    // The same instrumentation as a user would wrap it around the call (timed, awaited).
    wrappers: (plain) => ({
      prom: async (request) => {
        const started = performance.now();
        const result = await plain.embed(request);
        counter.inc({ model: request.model });
        histogram.observe({ model: request.model }, (performance.now() - started) / 1000);
        return result;
      },
      otel: async (request) => {
        const span = tracer.startSpan('feature-extraction', { attributes: attributes(request) });
        try {
          return await plain.embed(request);
        } finally {
          span.end();
        }
      },
    }),
  };
}

async function logOnRuns() {
  if (!LOG_AVAILABLE) {
    return undefined;
  }
  const dir = tempDir();
  try {
    const ctx = await startStats({ log: { path: `${dir}/hf_api_stats.log`, perCall: true } });
    const { plain, tracked } = asyncLoops(ctx.plain, ctx.tracked);
    const tasks = [
      ['undecorated', plain],
      ['tracked', tracked],
    ];
    const results = await measure({ outside: { tasks }, inside: { tasks, session: SESSION } }, ctx.stats);
    // Warm-up calls are tracked (and logged) too, so the count comes from the global figures.
    const trackedCalls = ctx.stats.getGlobalStats().callCount;
    await ctx.app.close();
    const written = logLines(dir).filter((line) => line.includes('hf_call')).length;
    return { ...results, trackedCalls, linesWritten: written, linesDropped: trackedCalls - written };
  } finally {
    removeDir(dir);
  }
}

async function main() {
  // Without a running module the decorated method falls through to the original.
  const idle = asyncLoops(new PlainEmbeddings(), new TrackedEmbeddings());
  const { noModule } = await measure({
    noModule: {
      tasks: [
        ['undecorated', idle.plain],
        ['tracked', idle.tracked],
      ],
    },
  });

  const ctx = await startStats({ log: false });
  // nestjs-cls enables AsyncLocalStorage on its first context, which makes every promise of the
  // process dearer; an app with the module has it on from its first request, so it is on here too.
  await ctx.stats.runInSession('warm-up', () => ctx.tracked.embed(REQUEST));
  const loops = asyncLoops(ctx.plain, ctx.tracked);
  const base = baselines();
  const wrapped = base.wrappers(ctx.plain);
  const batchOf = (call) => async () => {
    for (let i = 0; i < BATCH; i += 1) {
      await call(REQUEST);
    }
    await nextTurn();
  };
  const logOff = await measure(
    {
      outside: {
        tasks: [
          ['undecorated', loops.plain],
          ['tracked', loops.tracked],
          ['prom-client inc + observe', base.promBare],
          ['OpenTelemetry span start + end', base.otelBare],
          ['prom-client wrapper', batchOf(wrapped.prom)],
          ['OpenTelemetry wrapper', batchOf(wrapped.otel)],
        ],
      },
      inside: {
        tasks: [
          ['undecorated', loops.plain],
          ['tracked', loops.tracked],
        ],
        session: SESSION,
      },
    },
    ctx.stats,
  );
  const sessionCalls = ctx.stats.getSessionStats(SESSION)?.callCount ?? 0;
  await ctx.app.close();
  if (sessionCalls === 0) {
    throw new Error(`the tracked calls were not recorded in the session (${sessionCalls})`);
  }

  report({
    batch: BATCH,
    rounds: ROUNDS,
    taskMs: TIME_MS,
    noModule,
    logOff,
    logOn: await logOnRuns(),
    logAvailable: LOG_AVAILABLE,
  });
}

await main();
