import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSessionCursor, encodeSessionCursor, maxSessionCursorLength } from './session-cursor.js';
import { compareSessionKeys, pageSessions, type HfSessionKey, type HfSessionPageQuery } from './session-page.js';

const key = fc.record({
  active: fc.boolean(),
  lastActivityAt: fc.integer({ min: 0, max: 20 }),
  sessionId: fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('a', 'b', 'c', 'ab', 'ba') }),
});

/** Distinct ids, as in a registry. */
const keys = fc.uniqueArray(key, { selector: (k) => k.sessionId, maxLength: 80 });

const filters = fc.record({
  active: fc.option(fc.boolean(), { nil: undefined }),
  idPrefix: fc.option(fc.constantFrom('a', 'b', 'ab'), { nil: undefined }),
});

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Every page, following the next key, as a reader following nextCursor would. */
function walk(items: HfSessionKey[], query: Omit<HfSessionPageQuery, 'after'>): HfSessionKey[][] {
  const pages: HfSessionKey[][] = [];
  let after: HfSessionKey | undefined;
  do {
    const page = pageSessions(items, (item) => item, { ...query, after });
    pages.push(page.items);
    after = page.next;
  } while (after !== undefined && pages.length <= items.length + 1);
  return pages;
}

describe('pageSessions', () => {
  it('pages through every match once, in the listing order, as a full sort would', () => {
    fc.assert(
      fc.property(keys, filters, fc.integer({ min: 1, max: 12 }), (items, filter, limit) => {
        const expected = items
          .filter((k) => filter.active === undefined || k.active === filter.active)
          .filter((k) => filter.idPrefix === undefined || k.sessionId.startsWith(filter.idPrefix))
          .toSorted(compareSessionKeys);
        const pages = walk(items, { ...filter, limit });
        expect(pages.flat()).toEqual(expected);
        expect(pages.slice(0, -1).every((page) => page.length === limit)).toBe(true);
        const first = pageSessions(items, (item) => item, { ...filter, limit });
        expect(first.matchCount).toBe(expected.length);
        expect(first.sessionCount).toBe(items.length);
        expect(first.activeSessionCount).toBe(items.filter((k) => k.active).length);
        expect(pageSessions(items, (item) => item, { ...filter, limit: Number.POSITIVE_INFINITY }).items).toEqual(
          expected,
        );
      }),
    );
  });

  it('keeps a page stable when sessions ahead of the cursor are added or used', () => {
    fc.assert(
      fc.property(keys, keys, fc.integer({ min: 1, max: 10 }), (items, added, limit) => {
        const first = pageSessions(items, (item) => item, { limit });
        if (first.next === undefined) {
          return;
        }
        const ids = new Set(items.map((k) => k.sessionId));
        // New sessions, all more recent than any before: they sort ahead of the cursor.
        const newer = added
          .filter((k) => !ids.has(k.sessionId))
          .map((k) => ({ ...k, active: true, lastActivityAt: 100 + k.lastActivityAt }));
        const expected = pageSessions(items, (item) => item, { limit, after: first.next });
        const after = pageSessions([...newer, ...items], (item) => item, { limit, after: first.next });
        expect(after.items).toEqual(expected.items);
      }),
    );
  });
});

describe('session cursors', () => {
  it('decode to the key they were made of, whatever the id (lone surrogates, control characters, __proto__)', () => {
    const id = fc.oneof(
      fc.string({ minLength: 1, maxLength: 128, unit: 'binary' }),
      fc.constantFrom('__proto__', 'constructor', '\udc00', '\u0000\n', '"]'),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), id, (active, lastActivityAt, sessionId) => {
        const cursor = encodeSessionCursor({ active, lastActivityAt, sessionId });
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(cursor.length).toBeLessThanOrEqual(maxSessionCursorLength(128));
        expect(decodeSessionCursor(cursor, 128)).toEqual({ active, lastActivityAt, sessionId });
      }),
    );
  });

  it('refuse anything else without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.base64String(), fc.anything()), (raw) => {
        const decoded = decodeSessionCursor(raw, 128);
        // Only a cursor that encoding gives decodes.
        expect(decoded === undefined || encodeSessionCursor(decoded) === raw).toBe(true);
      }),
    );
    for (const raw of [
      '',
      'A'.repeat(5000),
      encode([1, 'x', 'y']),
      encode([2, 1, 'y']),
      encode([1, -1, 'y']),
      encode([1, 1.5, 'y']),
      encode([1, 1, '']),
      encode([1, 1, 'y'.repeat(129)]),
      encode([1, 1, 'y', 4]),
      encode({ __proto__: 1 }),
      `${encode([1, 1, 'y'])}=`,
    ]) {
      expect(decodeSessionCursor(raw, 128)).toBeUndefined();
    }
  });
});
