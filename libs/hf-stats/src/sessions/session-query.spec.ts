import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSessionCursor } from './session-cursor.js';
import { isSessionQueryProblem, sessionQueryOf } from './session-query.js';

/** What a client can put in a query string, and what the adapters' parsers make of it. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('__proto__', 'constructor', '\udc00', '\u0000', 'x'.repeat(100_000), '1e3', '0x10', ' 10'),
  fc.array(fc.string({ maxLength: 5 }), { minLength: 2, maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
);

describe('sessionQueryOf (the HTTP parameters of a listing)', () => {
  it('never throws, and a refusal never repeats the value', () => {
    fc.assert(
      fc.property(
        fc.record({ limit: hostile, active: hostile, prefix: hostile, cursor: hostile }, { requiredKeys: [] }),
        (query) => {
          const resolved = sessionQueryOf(query, 128);
          if (!isSessionQueryProblem(resolved)) {
            return;
          }
          for (const value of Object.values(query)) {
            const text = typeof value === 'string' ? value : JSON.stringify(value);
            // Only values long enough to be recognised: "1" could be part of "from 1 to 1000".
            expect(text.length < 6 || !resolved.problem.includes(text)).toBe(true);
          }
          expect(resolved.problem.length).toBeLessThan(100);
        },
      ),
    );
  });

  it('reads the parameters a page needs, and refuses each bad one by name', () => {
    const cursor = encodeSessionCursor({ active: true, lastActivityAt: 5, sessionId: 'a' });
    expect(sessionQueryOf({ limit: '10', active: 'false', prefix: 'ab', cursor }, 128)).toEqual({
      limit: 10,
      active: false,
      idPrefix: 'ab',
      after: { active: true, lastActivityAt: 5, sessionId: 'a' },
    });
    expect(sessionQueryOf({}, 128)).toEqual({ limit: 100, active: undefined, idPrefix: undefined, after: undefined });
    expect(sessionQueryOf({ cursor: '', prefix: '' }, 128)).toMatchObject({ after: undefined, idPrefix: undefined });
    for (const [query, name] of [
      [{ limit: ['1', '2'] }, 'limit'],
      [{ limit: '1e3' }, 'limit'],
      [{ active: 'TRUE' }, 'active'],
      [{ prefix: ['a', 'b'] }, 'prefix'],
      [{ cursor: { a: '1' } }, 'cursor'],
      [{ cursor: `${cursor}x` }, 'cursor'],
    ] as const) {
      const resolved = sessionQueryOf(query, 128);
      expect(isSessionQueryProblem(resolved) && resolved.problem.startsWith(`${name} `)).toBe(true);
    }
  });
});
