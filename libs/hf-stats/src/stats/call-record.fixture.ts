import { noAttempts, type HfCallAttempts, type HfCallRecord } from './hf-call-record.js';

/** A finished call for specs: one text, 10 ms, ok, nothing else measured, plus `overrides`. */
export function callRecord(overrides: Partial<HfCallRecord> = {}): HfCallRecord {
  return {
    sessionId: undefined,
    model: undefined,
    operation: undefined,
    textCount: 1,
    characterCount: undefined,
    durationMs: 10,
    ok: true,
    errorType: undefined,
    endedAt: 0,
    inputTokens: undefined,
    outputTokens: undefined,
    computeTimeMs: undefined,
    attempts: undefined,
    costNanoUsd: undefined,
    ...overrides,
  };
}

/** Attempts for specs: none measured, plus `overrides`. */
export function callAttempts(overrides: Partial<HfCallAttempts> = {}): HfCallAttempts {
  return { ...noAttempts(), ...overrides };
}
