import { invalidArgument } from '../hf-stats.messages.js';
import { boundedName, boundedNameOf } from '../stats/call-names.js';
import { errorTypeOf, type HfCallRecord } from '../stats/hf-call-record.js';
import type { HfCallInput } from '../stats/hf-stats.interfaces.js';

/** How `record()` checks a session id: the `sessionIdMaxLength` and `sessionIdPattern` options. */
export interface SessionIdRules {
  isAllowedSessionId(value: unknown): value is string;
  /** What is allowed, for the error message (never the value itself). */
  readonly sessionIdDescription: string;
}

/**
 * The call record of a `record()` argument, checked field by field; `currentSessionId` is asked only when
 * the input names no session (`null` records outside any).
 * @throws TypeError naming the field when `call` is malformed.
 */
export function callRecordOfInput(
  call: HfCallInput,
  rules: SessionIdRules,
  currentSessionId: () => string | undefined,
): HfCallRecord {
  if (call === null || typeof call !== 'object') {
    throw invalidArgument(
      'record',
      'call',
      call,
      'an object { durationMs, texts?, model?, operation?, ok?, error?, sessionId?, ... }',
    );
  }
  const {
    durationMs,
    texts = 0,
    characters,
    model,
    operation,
    error,
    sessionId,
    inputTokens,
    outputTokens,
    computeTimeMs,
    provider,
    billTo,
  } = call;
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
    throw invalidArgument('record', 'durationMs', durationMs, 'a finite number >= 0');
  }
  if (!Number.isSafeInteger(texts) || texts < 0) {
    throw invalidArgument('record', 'texts', texts, 'an integer >= 0');
  }
  for (const [field, value] of [
    ['characters', characters],
    ['inputTokens', inputTokens],
    ['outputTokens', outputTokens],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw invalidArgument('record', field, value, 'an integer >= 0, or undefined when not measured');
    }
  }
  if (
    computeTimeMs !== undefined &&
    (typeof computeTimeMs !== 'number' || !Number.isFinite(computeTimeMs) || computeTimeMs < 0)
  ) {
    throw invalidArgument(
      'record',
      'computeTimeMs',
      computeTimeMs,
      'a finite number >= 0, or undefined when not measured',
    );
  }
  if (model !== undefined && typeof model !== 'string') {
    throw invalidArgument('record', 'model', model, 'a string');
  }
  for (const [field, value] of [
    ['operation', operation],
    ['provider', provider],
    ['billTo', billTo],
  ] as const) {
    if (value !== undefined && typeof value !== 'string') {
      throw invalidArgument('record', field, value, 'a string');
    }
  }
  if (call.ok !== undefined && typeof call.ok !== 'boolean') {
    throw invalidArgument('record', 'ok', call.ok, 'true or false');
  }
  if (sessionId !== undefined && sessionId !== null && !rules.isAllowedSessionId(sessionId)) {
    throw invalidArgument('record', 'sessionId', sessionId, rules.sessionIdDescription);
  }
  const ok = call.ok ?? error === undefined;
  return {
    sessionId: sessionId === null ? undefined : (sessionId ?? currentSessionId()),
    model: boundedNameOf(model),
    provider: boundedNameOf(provider),
    billTo: boundedNameOf(billTo),
    operation: boundedNameOf(operation),
    textCount: texts,
    characterCount: characters,
    durationMs,
    ok,
    errorType: ok ? undefined : boundedName(errorTypeOf(error)),
    endedAt: Date.now(),
    inputTokens,
    outputTokens,
    computeTimeMs,
    attempts: undefined,
    costNanoUsd: undefined,
  };
}
