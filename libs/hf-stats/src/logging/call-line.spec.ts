import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callAttempts, callRecord } from '../stats/call-record.fixture.js';
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
});

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
