import type { HfSessionKey } from './session-page.js';

/**
 * The opaque cursor of a session page: the key of the last session listed, as base64url of a JSON
 * triple `[active, lastActivityAt, sessionId]`. JSON escapes every lone surrogate and control character,
 * so encoding never throws and the cursor is plain ASCII; decoding accepts only what encoding produces.
 */
export function encodeSessionCursor(key: HfSessionKey): string {
  return Buffer.from(JSON.stringify([key.active ? 1 : 0, key.lastActivityAt, key.sessionId]), 'utf8').toString(
    'base64url',
  );
}

/** Longest cursor for ids of at most `maxIdLength` characters: 6 JSON characters each at worst, then base64. */
export function maxSessionCursorLength(maxIdLength: number): number {
  return Math.ceil(((maxIdLength * 6 + 40) * 4) / 3);
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The key in a cursor from {@link encodeSessionCursor}; undefined for anything else. Never throws. */
export function decodeSessionCursor(cursor: unknown, maxIdLength: number): HfSessionKey | undefined {
  if (typeof cursor !== 'string' || cursor.length > maxSessionCursorLength(maxIdLength) || !BASE64URL.test(cursor)) {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) {
    return undefined;
  }
  const [active, lastActivityAt, sessionId] = parsed as unknown[];
  if (
    (active !== 0 && active !== 1) ||
    !Number.isSafeInteger(lastActivityAt) ||
    (lastActivityAt as number) < 0 ||
    typeof sessionId !== 'string' ||
    sessionId.length === 0 ||
    sessionId.length > maxIdLength
  ) {
    return undefined;
  }
  const key: HfSessionKey = { active: active === 1, lastActivityAt: lastActivityAt as number, sessionId };
  // Only the one spelling encoding gives: no second cursor for the same place.
  return encodeSessionCursor(key) === cursor ? key : undefined;
}
