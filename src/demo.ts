import type { INestApplication } from '@nestjs/common';
import { HfStatsLogSettings, type HfStatsSnapshot } from 'nestjs-hf-stats';
import { resolve } from 'node:path';
import { baseUrlOf, createApp } from './app.bootstrap.js';
import { findMismatches, withoutSessionRow, type ChatUsage, type SentRequest } from './demo/demo-checks.js';
import { DEMO_SESSIONS, planDemoTraffic, type PlannedRequest } from './demo/demo-plan.js';
import { formatModelTable, formatPriceSources, formatStatsTable, type StatsRow } from './demo/stats-table.js';
import { HF_CLIENT, type HfClient } from './hf/hf-client.provider.js';

/**
 * `npm run demo`: runs the app on the local simulator, sends concurrent traffic from several
 * sessions over HTTP, prints `GET /hf-stats` as tables (per scope, and per model globally) and
 * checks every figure against what was sent and answered: counts, tokens, attempts and estimated
 * cost. Exits 1 when one is off. `--keep-open` leaves the app running for a look at it.
 */

const REQUESTS_PER_SESSION = 12;
const REQUEST_TIMEOUT_MS = 10_000;
/** The whole run is bounded, so that a hang fails the demo instead of blocking a terminal or CI. */
const DEMO_DEADLINE_MS = 25_000;

const keepOpen = process.argv.includes('--keep-open');

/** Ignored, so that the demo's figures, models and prices are always the ones it checks. */
const HF_ENV = ['HF_TOKEN', 'HF_ENDPOINT_URL', 'HF_EMBEDDING_MODEL', 'HF_CHAT_MODEL'] as const;

function isChatUsage(value: unknown): value is ChatUsage {
  const usage = value as Partial<ChatUsage> | null | undefined;
  return typeof usage?.promptTokens === 'number' && typeof usage.completionTokens === 'number';
}

async function send(baseUrl: string, planned: PlannedRequest): Promise<SentRequest> {
  const response = await fetch(`${baseUrl}${planned.path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(planned.sessionId === undefined ? {} : { 'x-session-id': planned.sessionId }),
    },
    body: JSON.stringify(planned.body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (planned.path === '/chat' && response.status === 200) {
    // The tokens the chat used, as the answer reports them: what the statistics must add up to.
    const { usage } = (await response.json()) as { usage?: unknown };
    return { planned, status: response.status, usage: isChatUsage(usage) ? usage : undefined };
  }
  // Read to the end, so that the connection is free for the next request.
  await response.arrayBuffer();
  return { planned, status: response.status, usage: undefined };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) {
    throw new Error(`GET ${url} answered ${response.status}`);
  }
  return (await response.json()) as T;
}

function tableRows(snapshot: HfStatsSnapshot, sent: readonly SentRequest[]): StatsRow[] {
  const sessions = snapshot.sessions.toSorted((a, b) => a.sessionId.localeCompare(b.sessionId));
  return [
    { scope: 'global', stats: snapshot.global },
    ...sessions.map((session) => ({ scope: `session ${session.sessionId}`, stats: session })),
    // The library keeps no scope for calls without a session: show what was sent and answered, without times.
    withoutSessionRow(sent),
  ];
}

async function runDemo(app: INestApplication, baseUrl: string): Promise<boolean> {
  const planned = planDemoTraffic(REQUESTS_PER_SESSION);
  const failed = planned.filter((request) => request.fails).length;
  console.log(
    `Sending traffic; the app logs the ${failed} injected failures as warnings (status and request id only):`,
  );
  const started = performance.now();
  const [sent, badBody] = await Promise.all([
    Promise.all(planned.map((request) => send(baseUrl, request))),
    // Not a Hugging Face call: validated and refused before any is made, so it is not counted.
    send(baseUrl, {
      sessionId: DEMO_SESSIONS[0],
      path: '/embeddings',
      body: { texts: 'not an array' },
      texts: 0,
      characters: 0,
      fails: false,
      upstreamStatus: 200,
      expectedStatus: 400,
    }),
  ]);
  const trafficMs = performance.now() - started;
  const snapshot = await getJson<HfStatsSnapshot>(`${baseUrl}/hf-stats`);
  const simulator = app.get<HfClient>(HF_CLIENT).simulator;

  console.log(
    `\nSent ${planned.length} requests concurrently in ${trafficMs.toFixed(0)} ms: ` +
      `${DEMO_SESSIONS.length} sessions x ${REQUESTS_PER_SESSION} and ${planned.length - DEMO_SESSIONS.length * REQUESTS_PER_SESSION} chats without a session, ` +
      `${failed} made to fail with [fail:503] / [fail:500], plus 1 bad body.\n` +
      "Costs are estimates at the example prices of src/hf/hf-pricing.ts, not Hugging Face's.\n",
  );
  console.log(formatStatsTable(tableRows(snapshot, sent)));
  console.log('\nGlobal, per model:\n');
  console.log(formatModelTable(snapshot.global.byModel));
  // The provider that served each call, as the router's x-inference-provider said: cost per provider.
  console.log('\nGlobal, per provider:\n');
  console.log(formatModelTable(snapshot.global.byProvider, 'provider'));
  console.log(`\nHow the calls were priced: ${formatPriceSources(snapshot.global.priceSources)}.`);
  console.log();

  const problems = findMismatches(sent, badBody.status, snapshot, simulator?.requestCount);
  if (problems.length > 0) {
    console.error(`FAILED: GET /hf-stats does not match the traffic sent:\n  - ${problems.join('\n  - ')}`);
    return false;
  }
  console.log(
    'OK: every figure matches the traffic sent and the answers got; sessions plus calls without a session sum to ' +
      'the global calls, tokens and estimated cost' +
      (simulator === undefined
        ? '.'
        : `; the simulator got exactly one request per call, each counted as an attempt (${simulator.requestCount}).`),
  );
  return true;
}

async function main(): Promise<void> {
  const started = performance.now();
  if (HF_ENV.some((name) => process.env[name] !== undefined)) {
    console.log(
      `The demo always runs on the local simulator with the default models: ${HF_ENV.join(', ')} are ignored.`,
    );
  }
  for (const name of HF_ENV) {
    delete process.env[name];
  }

  let app: INestApplication | undefined;
  let ok = false;
  try {
    app = await createApp(['error', 'warn']);
    await app.listen(0, '127.0.0.1');
    const baseUrl = baseUrlOf(app);
    const simulator = app.get<HfClient>(HF_CLIENT).simulator;
    console.log(`App at ${baseUrl}, on the local Hugging Face simulator at ${simulator?.url ?? '(none)'}`);
    console.log(`Dashboard while it runs: ${baseUrl}/hf-stats/dashboard`);
    const deadline = AbortSignal.timeout(DEMO_DEADLINE_MS);
    ok = await Promise.race([
      runDemo(app, baseUrl),
      new Promise<never>((_, reject) =>
        deadline.addEventListener('abort', () => reject(new Error(`the demo took over ${DEMO_DEADLINE_MS} ms`)), {
          once: true,
        }),
      ),
    ]);
    // The app keeps the library's default log (`log: true`): its path is the default one.
    console.log(
      `\nStatistics log, one JSON line per call: ${resolve(new HfStatsLogSettings().path)} (follow it with tail -F)`,
    );
    if (keepOpen) {
      console.log(
        `\n--keep-open: the app keeps running at ${baseUrl}\n` +
          `  dashboard:   ${baseUrl}/hf-stats/dashboard\n` +
          `  statistics:  ${baseUrl}/hf-stats\n` +
          `  a session:   ${baseUrl}/hf-stats/sessions/${DEMO_SESSIONS[0]}\n` +
          `  try:         curl -X POST ${baseUrl}/embeddings -H 'content-type: application/json' -H 'x-session-id: me' -d '{"texts":["hello"]}'\n` +
          'Press Ctrl+C to stop.',
      );
      process.exitCode = ok ? 0 : 1;
      return;
    }
  } catch (error) {
    console.error(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
  }
  await app?.close();
  console.log(`Demo ${ok ? 'passed' : 'failed'} in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  process.exitCode = ok ? 0 : 1;
  if (!ok) {
    // A failed run may have left requests hanging; they must not keep the process, or CI, waiting.
    setTimeout(() => process.exit(1), 2_000).unref();
  }
}

await main();
