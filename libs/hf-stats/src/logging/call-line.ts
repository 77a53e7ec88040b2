import type { HfCallRecord } from '../stats/hf-call-record.js';
import { nanoUsdToUsd } from '../stats/pricing.js';
import { roundMs } from '../stats/round-ms.js';
import type { HfStatsLogFormat } from './hf-stats-log.options.js';
import { RAW_BREAKERS, callLogEntry, escapeBreaker, formatLogEntry } from './log-lines.js';

/** The last call's end time and its ISO text: calls that end in the same millisecond share it. */
let lastEndedAt = Number.NaN;
let lastTime = '';

function isoTime(endedAt: number): string {
  if (endedAt !== lastEndedAt) {
    // Throws as callLogEntry does for a time no Date can hold.
    lastTime = new Date(endedAt).toISOString();
    lastEndedAt = endedAt;
  }
  return lastTime;
}

/** One value as `JSON.stringify` writes it; undefined when JSON leaves the key out. */
function json(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return JSON.stringify(value);
  }
}

/** `,"key":value`, or nothing when the value is undefined (JSON leaves such keys out). */
function field(key: string, value: unknown): string {
  const text = json(value);
  return text === undefined ? '' : `,"${key}":${text}`;
}

/**
 * The `hf_call` line of a call: byte for byte `formatLogEntry(callLogEntry(call), format)`, keys in
 * the same order, written directly rather than through an entry object and `JSON.stringify`,
 * because it runs for every call. The `text` format takes the general path. A field added to the
 * record must be added here too: `call-line.spec.ts` fails to compile until its full record has it.
 */
export function callLine(call: HfCallRecord, format: HfStatsLogFormat): string {
  if (format !== 'json') {
    return formatLogEntry(callLogEntry(call), format);
  }
  let line =
    `{"event":"hf_call","time":"${isoTime(call.endedAt)}"` +
    `,"sessionId":${json(call.sessionId ?? null)}` +
    `,"model":${json(call.model ?? null)}` +
    `,"operation":${json(call.operation ?? null)}` +
    field('texts', call.textCount) +
    field('durationMs', roundMs(call.durationMs)) +
    field('ok', call.ok);
  if (!call.ok) {
    line += field('errorType', call.errorType ?? 'Error');
  }
  line += field('provider', call.provider);
  line += field('characters', call.characterCount);
  line += field('inputTokens', call.inputTokens);
  line += field('outputTokens', call.outputTokens);
  if (call.computeTimeMs !== undefined) {
    line += field('computeTimeMs', roundMs(call.computeTimeMs));
  }
  const attempts = call.attempts;
  if (attempts !== undefined) {
    line += field('attemptCount', attempts.count);
    line += field('rateLimitedCount', attempts.rateLimitedCount);
    line += field('attemptStatuses', attempts.statusCodes);
    line += field('requestId', attempts.requestId);
    line += field('computeCharacters', attempts.computeCharacters);
    line += field('computeTokens', attempts.computeTokens);
    if (attempts.queueTimeMs !== undefined) {
      line += field('queueTimeMs', roundMs(attempts.queueTimeMs));
    }
    if (attempts.inferenceTimeMs !== undefined) {
      line += field('inferenceTimeMs', roundMs(attempts.inferenceTimeMs));
    }
    if (attempts.invalidHeaderCount > 0) {
      line += field('invalidHeaderCount', attempts.invalidHeaderCount);
    }
    line += field('computeType', attempts.computeType);
  }
  line += field('billTo', call.billTo);
  if (call.costNanoUsd !== undefined) {
    line += field('estimatedCostUsd', nanoUsdToUsd(call.costNanoUsd));
  }
  line += field('priceSource', call.priceSource);
  return `${line}}`.replace(RAW_BREAKERS, escapeBreaker);
}
