import type { HfModelStats, HfStats, HfStatsSnapshot } from 'nestjs-hf-stats';
import { EXAMPLE_CHAT_PRICE, EXAMPLE_EMBEDDING_PRICE } from '../hf/hf-pricing.js';
import { DEFAULT_CHAT_MODEL, DEFAULT_EMBEDDING_MODEL } from '../hf/hf.config.js';
import {
  DEMO_SESSIONS,
  expectedCounters,
  expectedFigures,
  type ExpectedFigures,
  type PlannedRequest,
} from './demo-plan.js';
import type { StatsRow } from './stats-table.js';

/** How the demo checks `GET /hf-stats` against the traffic it sent and the answers it got. */

/** The tokens a chat answer reports, as `POST /chat` answers them. */
export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

/** A request as sent, with what came back. */
export interface SentRequest {
  planned: PlannedRequest;
  status: number;
  /** The `usage` of a chat answered 200; undefined otherwise. */
  usage: ChatUsage | undefined;
}

/** What the answers of one scope tell: their tokens, and what their chats cost at the example prices. */
export interface AnsweredFigures {
  inputTokens: number;
  outputTokens: number;
  /** Nano-dollars; undefined when no chat was answered, so none was priced. */
  chatCostNanoUsd: number | undefined;
}

const NANO_PER_USD = 1e9;
/** Costs are compared to the nano-dollar, the unit the library adds them in. */
const COST_TOLERANCE_USD = 1e-9;

/** One priced part of one call, rounded to the nano-dollar as the library rounds it. */
function nanoUsd(units: number, priceUsd: number): number {
  return Math.round(units * priceUsd * NANO_PER_USD);
}

/** Tokens and chat cost of the answers to `sent`. */
export function answeredFigures(sent: readonly SentRequest[]): AnsweredFigures {
  let inputTokens = 0;
  let outputTokens = 0;
  let chatCostNanoUsd: number | undefined;
  for (const { usage } of sent) {
    if (usage !== undefined) {
      inputTokens += usage.promptTokens;
      outputTokens += usage.completionTokens;
      chatCostNanoUsd =
        (chatCostNanoUsd ?? 0) +
        nanoUsd(usage.promptTokens, EXAMPLE_CHAT_PRICE.perInputToken) +
        nanoUsd(usage.completionTokens, EXAMPLE_CHAT_PRICE.perOutputToken);
    }
  }
  return { inputTokens, outputTokens, chatCostNanoUsd };
}

function usdOf(nano: number | undefined): number | null {
  return nano === undefined ? null : nano / NANO_PER_USD;
}

function sameCost(actual: number | null, expected: number | null, toleranceUsd = COST_TOLERANCE_USD): boolean {
  return actual === null || expected === null ? actual === expected : Math.abs(actual - expected) <= toleranceUsd;
}

function sameCounts(actual: Readonly<Record<string, number>>, expected: Readonly<Record<string, number>>): boolean {
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  return [...keys].every((key) => actual[key] === expected[key]);
}

function sentIn(sent: readonly SentRequest[], sessionId: string | undefined): SentRequest[] {
  return sent.filter((request) => request.planned.sessionId === sessionId);
}

/** The calls without a session as sent and answered: the library keeps no scope for them. */
export function withoutSessionRow(sent: readonly SentRequest[]): StatsRow {
  const requests = sentIn(sent, undefined);
  const figures = expectedFigures(requests.map((request) => request.planned));
  const answered = answeredFigures(requests);
  return {
    scope: '(no session, sent)',
    stats: {
      ...figures,
      avgTimeMs: null,
      minTimeMs: null,
      maxTimeMs: null,
      p95TimeMs: null,
      inputTokens: answered.inputTokens,
      outputTokens: answered.outputTokens,
      estimatedCostUsd: usdOf(answered.chatCostNanoUsd),
    },
  };
}

/** Every way one scope differs from its requests and their answers. */
function scopeMismatches(scope: string, stats: HfStats | undefined, sent: readonly SentRequest[]): string[] {
  if (stats === undefined) {
    return [`${scope}: missing from GET /hf-stats`];
  }
  const problems: string[] = [];
  const planned = sent.map((request) => request.planned);
  const answered = answeredFigures(sent);
  const expected: ExpectedFigures & { inputTokens: number; outputTokens: number } = {
    ...expectedFigures(planned),
    inputTokens: answered.inputTokens,
    outputTokens: answered.outputTokens,
  };
  for (const [field, value] of Object.entries(expected)) {
    const actual = (stats as unknown as Record<string, unknown>)[field];
    if (actual !== value) {
      problems.push(`${scope}: ${field} is ${String(actual)}, expected ${value}`);
    }
  }
  const counters = expectedCounters(planned);
  for (const field of ['statusCodes', 'errors'] as const) {
    if (!sameCounts(stats[field], counters[field])) {
      problems.push(
        `${scope}: ${field} is ${JSON.stringify(stats[field])}, expected ${JSON.stringify(counters[field])}`,
      );
    }
  }

  const chatCost = stats.byModel[DEFAULT_CHAT_MODEL]?.estimatedCostUsd ?? null;
  const expectedChatCost = usdOf(answered.chatCostNanoUsd);
  if (!sameCost(chatCost, expectedChatCost)) {
    problems.push(
      `${scope}: the chats cost ${String(chatCost)} $, expected ${String(expectedChatCost)} $ from the answers' usage`,
    );
  }
  const embeddings: HfModelStats | undefined = stats.byModel[DEFAULT_EMBEDDING_MODEL];
  if (embeddings !== undefined) {
    // Priced per second of compute, which only the library saw: check the price against the compute time it shows.
    const expectedUsd =
      nanoUsd(embeddings.computeTimeMs / 1000, EXAMPLE_EMBEDDING_PRICE.perComputeSecond) / NANO_PER_USD;
    // Each call is rounded to the nano-dollar on its own: at most half a nano-dollar off per call.
    const tolerance = COST_TOLERANCE_USD * (1 + embeddings.callCount / 2);
    if (embeddings.computeTimeMs <= 0 || !sameCost(embeddings.estimatedCostUsd, expectedUsd, tolerance)) {
      problems.push(
        `${scope}: the embeddings cost ${String(embeddings.estimatedCostUsd)} $ for ${embeddings.computeTimeMs} ms ` +
          `of compute, expected ${expectedUsd} $`,
      );
    }
  }
  return problems;
}

/** Every way the snapshot differs from what was sent and answered; empty when it is exact. */
export function findMismatches(
  sent: readonly SentRequest[],
  badBodyStatus: number,
  snapshot: HfStatsSnapshot,
  simulatorRequests: number | undefined,
): string[] {
  const problems: string[] = [];
  for (const { planned: request, status } of sent) {
    if (status !== request.expectedStatus) {
      const who = request.sessionId ?? 'no session';
      problems.push(`POST ${request.path} (${who}) answered ${status}, expected ${request.expectedStatus}`);
    }
  }
  if (badBodyStatus !== 400) {
    problems.push(`a bad body answered ${badBodyStatus}, expected 400`);
  }

  const { global } = snapshot;
  problems.push(...scopeMismatches('global', global, sent));
  for (const sessionId of DEMO_SESSIONS) {
    const session = snapshot.sessions.find((candidate) => candidate.sessionId === sessionId);
    problems.push(...scopeMismatches(`session ${sessionId}`, session, sentIn(sent, sessionId)));
  }
  if (snapshot.sessions.length !== DEMO_SESSIONS.length) {
    problems.push(`${snapshot.sessions.length} sessions listed, expected ${DEMO_SESSIONS.length}`);
  }

  // The sessions and the calls without a session add up to the global figures.
  const withoutSession = sentIn(sent, undefined);
  const noSession = answeredFigures(withoutSession);
  const total = (pick: (stats: HfStats) => number | null) =>
    snapshot.sessions.reduce((sum, session) => sum + (pick(session) ?? 0), 0);
  const sums = [
    ['calls', total((stats) => stats.callCount), withoutSession.length, global.callCount],
    ['input tokens', total((stats) => stats.inputTokens), noSession.inputTokens, global.inputTokens],
    ['output tokens', total((stats) => stats.outputTokens), noSession.outputTokens, global.outputTokens],
  ] as const;
  for (const [what, inSessions, outside, inGlobal] of sums) {
    if (inSessions + outside !== inGlobal) {
      problems.push(
        `sessions hold ${inSessions} ${what} and ${outside} had no session, but the global figure is ${inGlobal}`,
      );
    }
  }
  const sessionsCost = total((stats) => stats.estimatedCostUsd);
  const outsideCost = usdOf(noSession.chatCostNanoUsd) ?? 0;
  if (global.estimatedCostUsd === null || !sameCost(global.estimatedCostUsd, sessionsCost + outsideCost)) {
    problems.push(
      `the sessions cost ${sessionsCost} $ and the calls without a session ${outsideCost} $, ` +
        `but the global estimate is ${String(global.estimatedCostUsd)} $`,
    );
  }

  if (simulatorRequests !== undefined) {
    // One upstream request per call: a retried 503 would show here.
    if (simulatorRequests !== global.callCount) {
      problems.push(`the simulator got ${simulatorRequests} requests for ${global.callCount} calls`);
    }
    // Every request the simulator got was made by a tracked call, and seen by the tracked fetch.
    if (simulatorRequests !== global.attemptCount) {
      problems.push(
        `the simulator got ${simulatorRequests} requests, but ${global.attemptCount} attempts were counted`,
      );
    }
  }
  if (snapshot.untrackedAttemptCount !== 0) {
    problems.push(`untrackedAttemptCount is ${snapshot.untrackedAttemptCount}, expected 0`);
  }
  if (snapshot.rejectedSessionIdCount !== 0 || snapshot.internalErrorCount !== 0) {
    problems.push(
      `rejectedSessionIdCount ${snapshot.rejectedSessionIdCount} and internalErrorCount ${snapshot.internalErrorCount}, expected 0`,
    );
  }
  return problems;
}
