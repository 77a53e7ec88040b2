import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callAttempts, callRecord } from '../stats/call-record.fixture.js';
import type { HfCallAttempts, HfCallRecord } from '../stats/hf-call-record.js';
import { callLine } from './call-line.js';
import { callLogEntry, formatLogEntry } from './log-lines.js';

const text = fc.option(fc.string({ unit: 'binary', maxLength: 40 }), { nil: undefined });
const count = fc.option(fc.oneof(fc.nat(), fc.double()), { nil: undefined });
const attempts = fc.option(
  fc.record({
    count: fc.nat(10),
    rateLimitedCount: fc.nat(10),
    statusCodes: fc.array(fc.integer({ min: 100, max: 599 }), { maxLength: 4 }),
    requestId: text,
    computeCharacters: count,
    computeTokens: count,
    queueTimeMs: count,
    inferenceTimeMs: count,
    invalidHeaderCount: fc.nat(3),
    computeType: text,
  }),
  { nil: undefined },
);
const record = fc.record({
  sessionId: text,
  model: text,
  operation: text,
  textCount: fc.nat(),
  characterCount: count,
  durationMs: fc.double({ min: 0, max: 1e7, noNaN: true }),
  ok: fc.boolean(),
  errorType: text,
  endedAt: fc.integer({ min: 0, max: Date.parse('2100-01-01T00:00:00Z') }),
  inputTokens: count,
  outputTokens: count,
  computeTimeMs: count,
  attempts,
  costNanoUsd: fc.option(fc.oneof(fc.nat(), fc.double({ noNaN: true })), { nil: undefined }),
  provider: text,
  billTo: text,
  priceSource: fc.option(
    fc.constantFrom('userRule', 'routerTable', 'computeTime', 'noRule', 'unitUnmeasured' as const),
    {
      nil: undefined,
    },
  ),
});

/** Every field of a record set, none undefined: a field added to the record must be added here (it won't compile). */
type Full<T> = { [K in keyof T]-?: NonNullable<T[K]> };
const FULL_ATTEMPTS: Full<HfCallAttempts> = {
  count: 2,
  rateLimitedCount: 1,
  statusCodes: [429, 200],
  requestId: 'r-1',
  computeTimeMs: 1.5,
  computeCharacters: 40,
  computeTokens: 12,
  promptTokens: 10,
  generatedTokens: 2,
  queueTimeMs: 0.25,
  inferenceTimeMs: 1.25,
  provider: 'together',
  computeType: 'gpu',
  billTo: 'org',
  endpoint: true,
  invalidHeaderCount: 1,
};
const FULL_RECORD: Full<HfCallRecord> = {
  sessionId: 's-1',
  model: 'm',
  provider: 'together',
  billTo: 'org',
  operation: 'chat-completion',
  textCount: 2,
  characterCount: 40,
  durationMs: 12.3456,
  ok: false,
  errorType: '429',
  endedAt: 1_000,
  inputTokens: 10,
  outputTokens: 2,
  computeTimeMs: 1.5,
  attempts: FULL_ATTEMPTS,
  costNanoUsd: 1_234,
  priceSource: 'routerTable',
};

describe('callLine', () => {
  it('writes the hf_call line byte for byte as the entry through JSON.stringify does (property)', () => {
    fc.assert(
      fc.property(record, (fields) => {
        const call = callRecord({ ...fields, attempts: fields.attempts && callAttempts(fields.attempts) });
        expect(callLine(call, 'json')).toBe(formatLogEntry(callLogEntry(call), 'json'));
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes each line of a run of calls that repeat and change their names as the entry does (property)', () => {
    // Few names, so that consecutive calls share some and not others: the line reuses the last name's JSON.
    const name = fc.option(fc.constantFrom('', 'm', 'm"1', 'a\u2028b', '\ud800', 'x\u0085'), { nil: undefined });
    const names = fc.record({ sessionId: name, model: name, operation: name, provider: name });
    fc.assert(
      fc.property(fc.array(names, { minLength: 2, maxLength: 12 }), (runs) => {
        for (const fields of runs) {
          const call = callRecord(fields);
          expect(callLine(call, 'json')).toBe(formatLogEntry(callLogEntry(call), 'json'));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('writes millisecond figures of every size and precision as JSON.stringify does (property)', () => {
    const ms = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 31 + 1_000 }).map((thousandths) => thousandths / 1000),
      fc.double({ min: 0, max: 5_000, noNaN: true }),
      fc.constantFrom(0, -0, 0.0005, 0.001, 0.01, 0.1, 0.1 + 0.2, 1.005, 2_147_483.647, 2_147_483.648, 1e21),
    );
    fc.assert(
      fc.property(ms, ms, (durationMs, computeTimeMs) => {
        const call = callRecord({ durationMs, computeTimeMs, attempts: callAttempts({ queueTimeMs: computeTimeMs }) });
        expect(callLine(call, 'json')).toBe(formatLogEntry(callLogEntry(call), 'json'));
      }),
      { numRuns: 5_000 },
    );
  });

  it('writes every field of a record that has all of them as the entry does', () => {
    expect(callLine(FULL_RECORD, 'json')).toBe(formatLogEntry(callLogEntry(FULL_RECORD), 'json'));
  });

  it('escapes the characters JSON leaves raw, and a line of calls ending in the same millisecond keeps its time', () => {
    const first = callRecord({ sessionId: 'a\u2028b\u0085', endedAt: 1_000 });
    const second = callRecord({ sessionId: 'c', endedAt: 1_000 });
    expect(callLine(first, 'json')).toContain('"sessionId":"a\\u2028b\\u0085"');
    expect(callLine(second, 'json')).toBe(formatLogEntry(callLogEntry(second), 'json'));
    expect(callLine(second, 'json')).toContain('"time":"1970-01-01T00:00:01.000Z"');
  });

  it('takes the general path for the text format', () => {
    const call = callRecord({ sessionId: 's "1"', model: 'm', endedAt: 0, ok: false, errorType: '429' });
    expect(callLine(call, 'text')).toBe(formatLogEntry(callLogEntry(call), 'text'));
  });
});
