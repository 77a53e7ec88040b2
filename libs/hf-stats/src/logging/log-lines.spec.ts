import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionStats, HfStats } from '../stats/hf-stats.interfaces.js';
import { callLogEntry, formatLogEntry, sessionEndLogEntry, summaryLogEntry } from './log-lines.js';
import { callAttempts, callRecord } from '../stats/call-record.fixture.js';
import { boundedName, MAX_NAME_LENGTH } from '../stats/call-names.js';

const ENDED_AT = Date.parse('2030-01-15T12:00:00.000Z');

function call(overrides: Partial<HfCallRecord> = {}): HfCallRecord {
  return callRecord({
    sessionId: 's-1',
    model: 'BAAI/bge-small-en-v1.5',
    operation: 'feature-extraction',
    textCount: 3,
    durationMs: 12.34567,
    endedAt: ENDED_AT,
    ...overrides,
  });
}

// Only the fields these tests read; the rest of HfSessionStats passes through untouched.
const SESSION = {
  sessionId: 's-1',
  active: false,
  startedAt: '2030-01-15T11:59:00.000Z',
  lastActivityAt: '2030-01-15T11:59:59.000Z',
  endedAt: '2030-01-15T12:00:00.000Z',
  callCount: 2,
  textCount: 4,
  errorCount: 1,
  totalTimeMs: 30,
  avgTimeMs: 15,
  minTimeMs: 10,
  maxTimeMs: 20,
  firstCallAt: '2030-01-15T11:59:30.000Z',
  lastCallAt: '2030-01-15T11:59:59.000Z',
  byModel: { 'BAAI/bge-small-en-v1.5': { callCount: 2 } },
} as unknown as HfSessionStats;

const GLOBAL = { callCount: 2, byModel: {} } as unknown as HfStats;

/** Characters that a log reader may take as the end of a line. */
// oxlint-disable-next-line no-control-regex
const LINE_BREAKERS = /[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/;

describe('log lines', () => {
  it('describes a call without its texts or error message', () => {
    expect(callLogEntry(call())).toEqual({
      event: 'hf_call',
      time: '2030-01-15T12:00:00.000Z',
      sessionId: 's-1',
      model: 'BAAI/bge-small-en-v1.5',
      operation: 'feature-extraction',
      texts: 3,
      durationMs: 12.346,
      ok: true,
    });
    expect(callLogEntry(call({ sessionId: undefined, model: undefined, operation: undefined }))).toMatchObject({
      sessionId: null,
      model: null,
      operation: null,
    });
    expect(callLogEntry(call({ ok: false, errorType: '429' }))).toMatchObject({ ok: false, errorType: '429' });
  });

  it('adds the usage and the cost of a call when they were measured', () => {
    const entry = callLogEntry(
      call({
        characterCount: 120,
        inputTokens: 30,
        outputTokens: 7,
        computeTimeMs: 4.56789,
        costNanoUsd: 1_500,
        attempts: callAttempts({
          count: 2,
          rateLimitedCount: 1,
          statusCodes: [429, 200],
          requestId: 'req-42',
          computeTimeMs: 4.56789,
          computeCharacters: 120,
          queueTimeMs: 2,
          invalidHeaderCount: 1,
        }),
      }),
    );
    expect(entry).toMatchObject({
      characters: 120,
      inputTokens: 30,
      outputTokens: 7,
      computeTimeMs: 4.568,
      attemptCount: 2,
      rateLimitedCount: 1,
      attemptStatuses: [429, 200],
      requestId: 'req-42',
      computeCharacters: 120,
      queueTimeMs: 2,
      invalidHeaderCount: 1,
      estimatedCostUsd: 0.0000015,
    });
    expect(entry).not.toHaveProperty('inferenceTimeMs');
    // statusCodes is a map of counts everywhere else (GET /hf-stats, hf_summary): the ordered list has a name of its own.
    expect(entry).not.toHaveProperty('statusCodes');
    expect(Object.keys(callLogEntry(call()))).not.toContain('inputTokens');
  });

  it('names the provider, the hardware, the organisation billed and the source of the price', () => {
    const entry = callLogEntry(
      call({
        provider: 'hf-inference',
        billTo: 'acme-org',
        attempts: callAttempts({ count: 1, statusCodes: [200], computeType: 'nvidia-a10g' }),
        costNanoUsd: 2400,
        priceSource: 'computeTime',
      }),
    );
    expect(entry).toMatchObject({
      provider: 'hf-inference',
      computeType: 'nvidia-a10g',
      billTo: 'acme-org',
      estimatedCostUsd: 0.0000024,
      priceSource: 'computeTime',
    });
    // Unknown: left out, as every field that was not measured.
    expect(Object.keys(callLogEntry(call()))).not.toContain('provider');
  });

  it('shows model and operation as the record holds them, bounded where it was made', () => {
    const [model, operation] = [boundedName('m'.repeat(10_000)), boundedName('o'.repeat(300))];
    const entry = callLogEntry(call({ model, operation }));
    expect(entry.model).toBe(model);
    expect(entry.operation).toBe(operation);
    expect(entry.model!.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
  });

  it('gives a session end its totals, as GET /hf-stats names them, and the reason', () => {
    const { active: _active, ...fields } = SESSION;
    expect(sessionEndLogEntry(SESSION, 'idle', 0)).toEqual({
      event: 'hf_session_end',
      time: SESSION.endedAt,
      reason: 'idle',
      ...fields,
    });
    expect(Object.keys(sessionEndLogEntry(SESSION, 'idle', 0)).slice(0, 4)).toEqual([
      'event',
      'time',
      'sessionId',
      'reason',
    ]);
  });

  it('counts the active sessions left out of a summary', () => {
    const entry = summaryLogEntry(GLOBAL, [SESSION], 3, 7, ENDED_AT);
    expect(entry).toMatchObject({
      event: 'hf_summary',
      time: '2030-01-15T12:00:00.000Z',
      activeSessionCount: 3,
      omittedSessionCount: 2,
      droppedLineCount: 7,
    });
    // Sessions leave out their per-model figures, so the line does not grow with sessions times models.
    expect(entry.sessions[0]).not.toHaveProperty('byModel');
    expect(entry.sessions[0]).toMatchObject({ sessionId: 's-1', callCount: 2 });
  });

  it('formats text lines as time, event, then key=value pairs', () => {
    expect(formatLogEntry(callLogEntry(call({ ok: false, errorType: 'timeout' })), 'text')).toBe(
      'time=2030-01-15T12:00:00.000Z event=hf_call sessionId="s-1" model="BAAI/bge-small-en-v1.5" ' +
        'operation="feature-extraction" texts=3 durationMs=12.346 ok=false errorType="timeout"',
    );
    const summary = formatLogEntry(summaryLogEntry(GLOBAL, [], 1, 0, ENDED_AT), 'text');
    expect(summary).toMatch(/^time=2030-01-15T12:00:00.000Z event=hf_summary activeSessionCount=1 /);
    expect(summary).toContain(' global={"callCount":2,"byModel":{}} ');
    expect(summary).toMatch(/ sessions=\[\]$/);
  });

  it('keeps every string on one line and intact, whatever it holds (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (sessionId, model) => {
        const entry = callLogEntry(call({ sessionId, model: model.slice(0, 256) }));
        const json = formatLogEntry(entry, 'json');
        expect(json).not.toMatch(LINE_BREAKERS);
        expect(JSON.parse(json)).toEqual(entry);
        const text = formatLogEntry(entry, 'text');
        expect(text).not.toMatch(LINE_BREAKERS);
        expect(text).toContain(
          ` sessionId=${formatLogEntry(entry, 'json').match(/"sessionId":("(?:[^"\\]|\\.)*")/)?.[1]} `,
        );
      }),
      { numRuns: 300 },
    );
  });
});
