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

/** Printable ASCII but `"` and `\`: JSON writes such a string as it is, between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A string as `JSON.stringify` writes it, with the characters JSON leaves raw escaped as well (they only
 * occur inside strings, so escaping each string is escaping the line, without a pass over the whole line).
 */
function jsonString(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text).replace(RAW_BREAKERS, escapeBreaker);
}

/** One field's last string and its JSON: a session's calls repeat their model, operation and provider. */
class LastString {
  private text = '';
  private json = '""';

  of(text: string): string {
    if (text !== this.text) {
      this.json = jsonString(text);
      this.text = text;
    }
    return this.json;
  }
}

const sessionIds = new LastString();
const models = new LastString();
const operations = new LastString();
const providers = new LastString();

/** A number as `JSON.stringify` writes it. */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** `000`–`999` without its trailing zeros (`5` for 500, `05` for 50, `005` for 5); `frac` in 1–999. */
function thousandthsText(frac: number): string {
  if (frac % 100 === 0) {
    return String(frac / 100);
  }
  if (frac % 10 === 0) {
    const hundredths = frac / 10;
    return hundredths < 10 ? `0${hundredths}` : String(hundredths);
  }
  return frac < 10 ? `00${frac}` : frac < 100 ? `0${frac}` : String(frac);
}

/**
 * A `roundMs` value as `JSON.stringify` writes it, without the general double-to-text conversion: a value
 * of whole thousandths below 2^31 thousandths reads as its integer part and at most 3 decimals, which is the
 * shortest text that reads back as it. Anything else takes the general path.
 */
function msJson(value: number): string {
  const thousandths = Math.round(value * 1000);
  if (!(thousandths >= 0 && thousandths < 2 ** 31) || thousandths / 1000 !== value) {
    return jsonNumber(value);
  }
  const whole = Math.floor(thousandths / 1000);
  const frac = thousandths - whole * 1000;
  return frac === 0 ? String(whole) : `${whole}.${thousandthsText(frac)}`;
}

/** One value as `JSON.stringify` writes it (breakers escaped); undefined when JSON leaves the key out. */
function json(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      return jsonNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default: {
      const text = JSON.stringify(value) as string | undefined;
      return text === undefined ? undefined : text.replace(RAW_BREAKERS, escapeBreaker);
    }
  }
}

/** `,"key":value`, or nothing when the value is undefined (JSON leaves such keys out). */
function field(key: string, value: unknown): string {
  const text = json(value);
  return text === undefined ? '' : `,"${key}":${text}`;
}

/** A string field that repeats from call to call, as `JSON.stringify` writes it; `null` for undefined. */
function repeated(cache: LastString, value: unknown): string {
  return typeof value === 'string' ? cache.of(value) : (json(value ?? null) as string);
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
    '{"event":"hf_call","time":"' +
    isoTime(call.endedAt) +
    '","sessionId":' +
    repeated(sessionIds, call.sessionId) +
    ',"model":' +
    repeated(models, call.model) +
    ',"operation":' +
    repeated(operations, call.operation) +
    field('texts', call.textCount) +
    ',"durationMs":' +
    msJson(roundMs(call.durationMs)) +
    (call.ok ? ',"ok":true' : `,"ok":false${field('errorType', call.errorType ?? 'Error')}`);
  if (call.provider !== undefined) {
    line += ',"provider":' + repeated(providers, call.provider);
  }
  line += field('characters', call.characterCount);
  line += field('inputTokens', call.inputTokens);
  line += field('outputTokens', call.outputTokens);
  if (call.computeTimeMs !== undefined) {
    line += `,"computeTimeMs":${msJson(roundMs(call.computeTimeMs))}`;
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
      line += `,"queueTimeMs":${msJson(roundMs(attempts.queueTimeMs))}`;
    }
    if (attempts.inferenceTimeMs !== undefined) {
      line += `,"inferenceTimeMs":${msJson(roundMs(attempts.inferenceTimeMs))}`;
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
  return `${line}}`;
}
