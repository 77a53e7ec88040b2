import type { INestApplication } from '@nestjs/common';
import type { HfStatsSnapshot } from 'nestjs-hf-stats';
import { baseUrlOf, createApp } from './app.bootstrap.js';
import { DEMO_SESSIONS, expectedFigures, inSession, planDemoTraffic, type PlannedRequest } from './demo/demo-plan.js';
import { formatStatsTable, type StatsRow } from './demo/stats-table.js';
import { HF_CLIENT, type HfClient } from './hf/hf-client.provider.js';

/**
 * `npm run demo`: runs the app on the local simulator, sends concurrent traffic from several
 * sessions over HTTP, prints `GET /hf-stats` as a table and checks every figure against what was
 * sent. Exits 1 when one is off. `--keep-open` leaves the app running for a look at it.
 */

const REQUESTS_PER_SESSION = 12;
const REQUEST_TIMEOUT_MS = 10_000;
/** The whole run is bounded, so that a hang fails the demo instead of blocking a terminal or CI. */
const DEMO_DEADLINE_MS = 25_000;

const keepOpen = process.argv.includes('--keep-open');

interface SentRequest {
  planned: PlannedRequest;
  status: number;
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
  // Read to the end, so that the connection is free for the next request.
  await response.arrayBuffer();
  return { planned, status: response.status };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) {
    throw new Error(`GET ${url} answered ${response.status}`);
  }
  return (await response.json()) as T;
}

/** Every way the snapshot differs from what was sent; empty when it is exact. */
function findMismatches(
  planned: readonly PlannedRequest[],
  sent: readonly SentRequest[],
  badBodyStatus: number,
  snapshot: HfStatsSnapshot,
  simulatorRequests: number | undefined,
): string[] {
  const problems: string[] = [];
  const compare = (scope: string, actual: Record<string, unknown> | undefined, expected: Record<string, number>) => {
    if (actual === undefined) {
      problems.push(`${scope}: missing from GET /hf-stats`);
      return;
    }
    for (const [field, value] of Object.entries(expected)) {
      if (actual[field] !== value) {
        problems.push(`${scope}: ${field} is ${String(actual[field])}, expected ${value}`);
      }
    }
  };
  for (const { planned: request, status } of sent) {
    if (status !== request.expectedStatus) {
      const who = request.sessionId ?? 'no session';
      problems.push(`POST ${request.path} (${who}) answered ${status}, expected ${request.expectedStatus}`);
    }
  }
  if (badBodyStatus !== 400) {
    problems.push(`a bad body answered ${badBodyStatus}, expected 400`);
  }
  compare('global', { ...snapshot.global }, { ...expectedFigures(planned) });
  for (const sessionId of DEMO_SESSIONS) {
    const session = snapshot.sessions.find((candidate) => candidate.sessionId === sessionId);
    compare(`session ${sessionId}`, session === undefined ? undefined : { ...session }, {
      ...expectedFigures(inSession(planned, sessionId)),
    });
  }
  if (snapshot.sessions.length !== DEMO_SESSIONS.length) {
    problems.push(`${snapshot.sessions.length} sessions listed, expected ${DEMO_SESSIONS.length}`);
  }
  const inSessions = snapshot.sessions.reduce((sum, session) => sum + session.callCount, 0);
  const withoutSession = expectedFigures(inSession(planned, undefined)).callCount;
  if (inSessions + withoutSession !== snapshot.global.callCount) {
    problems.push(
      `sessions hold ${inSessions} calls and ${withoutSession} had no session, but the global count is ${snapshot.global.callCount}`,
    );
  }
  if (simulatorRequests !== undefined && simulatorRequests !== snapshot.global.callCount) {
    // One upstream request per call: a retried 503 would show here.
    problems.push(`the simulator got ${simulatorRequests} requests for ${snapshot.global.callCount} calls`);
  }
  if (snapshot.rejectedSessionIdCount !== 0 || snapshot.internalErrorCount !== 0) {
    problems.push(
      `rejectedSessionIdCount ${snapshot.rejectedSessionIdCount} and internalErrorCount ${snapshot.internalErrorCount}, expected 0`,
    );
  }
  return problems;
}

function tableRows(snapshot: HfStatsSnapshot, planned: readonly PlannedRequest[]): StatsRow[] {
  const sessions = snapshot.sessions.toSorted((a, b) => a.sessionId.localeCompare(b.sessionId));
  const withoutSession = expectedFigures(inSession(planned, undefined));
  return [
    { scope: 'global', stats: snapshot.global },
    ...sessions.map((session) => ({ scope: `session ${session.sessionId}`, stats: session })),
    // The library keeps no scope for calls without a session; show what was sent, without times.
    { scope: '(no session, sent)', stats: { ...withoutSession, avgTimeMs: null, minTimeMs: null, maxTimeMs: null } },
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
      fails: false,
      expectedStatus: 400,
    }),
  ]);
  const trafficMs = performance.now() - started;
  const snapshot = await getJson<HfStatsSnapshot>(`${baseUrl}/hf-stats`);
  const simulator = app.get<HfClient>(HF_CLIENT).simulator;

  console.log(
    `\nSent ${planned.length} requests concurrently in ${trafficMs.toFixed(0)} ms: ` +
      `${DEMO_SESSIONS.length} sessions x ${REQUESTS_PER_SESSION} and ${planned.length - DEMO_SESSIONS.length * REQUESTS_PER_SESSION} without a session, ` +
      `${failed} made to fail with [fail:503] / [fail:500], plus 1 bad body.\n`,
  );
  console.log(formatStatsTable(tableRows(snapshot, planned)));
  console.log();

  const problems = findMismatches(planned, sent, badBody.status, snapshot, simulator?.requestCount);
  if (problems.length > 0) {
    console.error(`FAILED: GET /hf-stats does not match the traffic sent:\n  - ${problems.join('\n  - ')}`);
    return false;
  }
  console.log(
    'OK: every figure matches the traffic sent; sessions plus calls without a session sum to the global count' +
      (simulator === undefined
        ? '.'
        : `, and the simulator got exactly one request per call (${simulator.requestCount}).`),
  );
  return true;
}

async function main(): Promise<void> {
  const started = performance.now();
  if (process.env.HF_TOKEN !== undefined || process.env.HF_ENDPOINT_URL !== undefined) {
    console.log('The demo always runs on the local simulator: HF_TOKEN and HF_ENDPOINT_URL are ignored.');
  }
  delete process.env.HF_TOKEN;
  delete process.env.HF_ENDPOINT_URL;

  let app: INestApplication | undefined;
  let ok = false;
  try {
    app = await createApp(['error', 'warn']);
    await app.listen(0, '127.0.0.1');
    const baseUrl = baseUrlOf(app);
    const simulator = app.get<HfClient>(HF_CLIENT).simulator;
    console.log(`App at ${baseUrl}, on the local Hugging Face simulator at ${simulator?.url ?? '(none)'}`);
    const deadline = AbortSignal.timeout(DEMO_DEADLINE_MS);
    ok = await Promise.race([
      runDemo(app, baseUrl),
      new Promise<never>((_, reject) =>
        deadline.addEventListener('abort', () => reject(new Error(`the demo took over ${DEMO_DEADLINE_MS} ms`)), {
          once: true,
        }),
      ),
    ]);
    if (keepOpen) {
      console.log(
        `\n--keep-open: the app keeps running at ${baseUrl}\n` +
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
