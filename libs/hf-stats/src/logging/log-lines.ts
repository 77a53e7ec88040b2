import type { HfCallRecord, HfPriceSource } from '../stats/hf-call-record.js';
import type { HfSessionEndReason, HfSessionStats, HfStats } from '../stats/hf-stats.interfaces.js';
import type { HfDimensionKey } from '../stats/call-dimensions.js';
import { nanoUsdToUsd } from '../stats/pricing.js';
import { roundMs } from '../stats/round-ms.js';
import type { HfStatsLogFormat } from './hf-stats-log.options.js';

/** An `hf_call` line: one tracked call, written after it ends. */
export interface HfCallLogEntry {
  event: 'hf_call';
  /** ISO 8601 time the call ended. */
  time: string;
  sessionId: string | null;
  model: string | null;
  operation: string | null;
  /** Texts the call sent. */
  texts: number;
  durationMs: number;
  ok: boolean;
  /** Only when the call failed: HTTP status, `timeout`, or the error's class name. */
  errorType?: string;
  /** The following only when known, named as in `record()` and `GET /hf-stats`. */
  /** The provider that served the call, as `byProvider` counts it. */
  provider?: string;
  characters?: number;
  inputTokens?: number;
  outputTokens?: number;
  computeTimeMs?: number;
  /** HTTP attempts made through `createHfStatsFetch`, retries included. */
  attemptCount?: number;
  /** With `attemptCount`: attempts answered 429. */
  rateLimitedCount?: number;
  /**
   * With `attemptCount`: the status of every answered attempt, in order (`[429, 200]`: a retry). Not
   * `statusCodes`, which is a map of counts per status in `GET /hf-stats` and the other lines.
   */
  attemptStatuses?: number[];
  /** `x-request-id` of the last response that had one: the id to quote to Hugging Face support. */
  requestId?: string;
  /** Hugging Face's compute headers, when the server sent them. */
  computeCharacters?: number;
  computeTokens?: number;
  queueTimeMs?: number;
  inferenceTimeMs?: number;
  invalidHeaderCount?: number;
  /** `x-compute-type`, when the server sent it: the hardware a compute-billed call ran on. */
  computeType?: string;
  /** The organisation billed (`X-HF-Bill-To`), when the call named one. */
  billTo?: string;
  /** Only when a price rule priced the call. An estimate, not a bill. */
  estimatedCostUsd?: number;
  /** Where the cost came from, or why there is none (see `priceSources`); only when prices are configured. */
  priceSource?: HfPriceSource;
}

/** An `hf_summary` line: written every 10 seconds while at least one session is active. */
export interface HfSummaryLogEntry {
  event: 'hf_summary';
  time: string;
  /** Every active session, listed or not. */
  activeSessionCount: number;
  /** Active sessions left out of `sessions` by `log.maxSessionsPerSummary`. */
  omittedSessionCount: number;
  /**
   * Lines dropped since the app started, because the file fell behind or could not be written. A
   * running total: compare two summaries for the drops between them.
   */
  droppedLineCount: number;
  global: HfStats;
  /**
   * The most recently active sessions first, as `GET /hf-stats` lists them but without `byModel`,
   * `byProvider` and `byBillTo`, which would make the line grow with sessions times names (`hf_session_end`
   * has them).
   */
  sessions: Array<Omit<HfSessionStats, HfDimensionKey>>;
}

/** An `hf_session_end` line: a session's totals, written once when it ends. */
export interface HfSessionEndLogEntry extends Omit<HfSessionStats, 'active' | 'endedAt'> {
  event: 'hf_session_end';
  /** ISO 8601 time the session ended. */
  time: string;
  reason: HfSessionEndReason;
  endedAt: string;
}

/** Any line of the statistics log. */
export type HfStatsLogEntry = HfCallLogEntry | HfSummaryLogEntry | HfSessionEndLogEntry;

export function callLogEntry(call: HfCallRecord): HfCallLogEntry {
  const entry: HfCallLogEntry = {
    event: 'hf_call',
    time: new Date(call.endedAt).toISOString(),
    sessionId: call.sessionId ?? null,
    // Bounded where the record was made (boundedName), so the line shows what every reader shows.
    model: call.model ?? null,
    operation: call.operation ?? null,
    texts: call.textCount,
    durationMs: roundMs(call.durationMs),
    ok: call.ok,
  };
  if (!call.ok) {
    entry.errorType = call.errorType ?? 'Error';
  }
  if (call.provider !== undefined) {
    entry.provider = call.provider;
  }
  if (call.characterCount !== undefined) {
    entry.characters = call.characterCount;
  }
  if (call.inputTokens !== undefined) {
    entry.inputTokens = call.inputTokens;
  }
  if (call.outputTokens !== undefined) {
    entry.outputTokens = call.outputTokens;
  }
  if (call.computeTimeMs !== undefined) {
    entry.computeTimeMs = roundMs(call.computeTimeMs);
  }
  const attempts = call.attempts;
  if (attempts !== undefined) {
    entry.attemptCount = attempts.count;
    entry.rateLimitedCount = attempts.rateLimitedCount;
    entry.attemptStatuses = attempts.statusCodes;
    if (attempts.requestId !== undefined) {
      entry.requestId = attempts.requestId;
    }
    if (attempts.computeCharacters !== undefined) {
      entry.computeCharacters = attempts.computeCharacters;
    }
    if (attempts.computeTokens !== undefined) {
      entry.computeTokens = attempts.computeTokens;
    }
    if (attempts.queueTimeMs !== undefined) {
      entry.queueTimeMs = roundMs(attempts.queueTimeMs);
    }
    if (attempts.inferenceTimeMs !== undefined) {
      entry.inferenceTimeMs = roundMs(attempts.inferenceTimeMs);
    }
    if (attempts.invalidHeaderCount > 0) {
      entry.invalidHeaderCount = attempts.invalidHeaderCount;
    }
    if (attempts.computeType !== undefined) {
      entry.computeType = attempts.computeType;
    }
  }
  if (call.billTo !== undefined) {
    entry.billTo = call.billTo;
  }
  if (call.costNanoUsd !== undefined) {
    entry.estimatedCostUsd = nanoUsdToUsd(call.costNanoUsd);
  }
  if (call.priceSource !== undefined) {
    entry.priceSource = call.priceSource;
  }
  return entry;
}

export function sessionEndLogEntry(
  session: HfSessionStats,
  reason: HfSessionEndReason,
  now: number,
): HfSessionEndLogEntry {
  const { sessionId, active: _active, startedAt, endedAt, lastActivityAt, ...stats } = session;
  const time = endedAt ?? new Date(now).toISOString();
  return { event: 'hf_session_end', time, sessionId, reason, startedAt, endedAt: time, lastActivityAt, ...stats };
}

export function summaryLogEntry(
  global: HfStats,
  sessions: HfSessionStats[],
  activeSessionCount: number,
  droppedLineCount: number,
  now: number,
): HfSummaryLogEntry {
  return {
    event: 'hf_summary',
    time: new Date(now).toISOString(),
    activeSessionCount,
    omittedSessionCount: Math.max(0, activeSessionCount - sessions.length),
    droppedLineCount,
    global,
    sessions: sessions.map(withoutByModel),
  };
}

function withoutByModel(session: HfSessionStats): Omit<HfSessionStats, HfDimensionKey> {
  const { byModel: _byModel, byProvider: _byProvider, byBillTo: _byBillTo, ...rest } = session;
  return rest;
}

/**
 * Characters that JSON leaves raw but some readers take as a line break or a terminal control:
 * DEL, the C1 controls (NEL among them), and the Unicode line and paragraph separators.
 */
// oxlint-disable-next-line no-control-regex
const RAW_BREAKERS = /[\u007f-\u009f\u2028\u2029]/g;

function escapeBreaker(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * JSON with every control and line-breaking character escaped, so the text can't span or forge a
 * line. These characters only occur inside JSON strings, where a `\u` escape keeps the JSON valid.
 */
function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(RAW_BREAKERS, escapeBreaker);
}

function textValue(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return safeJson(value);
}

/**
 * One line, without its newline. `json`: the entry as one JSON object. `text`: `time=… event=…`
 * then `key=value` pairs, strings quoted and escaped as in JSON, objects as compact JSON.
 */
export function formatLogEntry(entry: HfStatsLogEntry, format: HfStatsLogFormat): string {
  if (format === 'json') {
    return safeJson(entry);
  }
  const { event, time, ...fields } = entry;
  let line = `time=${time} event=${event}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) {
      line += ` ${key}=${textValue(value)}`;
    }
  }
  return line;
}
