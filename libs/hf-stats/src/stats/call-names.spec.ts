import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedName, boundedNameOf, MAX_NAME_LENGTH } from './call-names.js';

// oxlint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** With the u flag, a pair is one code point: only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Strings with what a client can send: lone surrogates, pairs, controls, and long runs. */
const hostile = fc.oneof(
  fc
    .array(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 5 }),
        fc.constantFrom('\ud800', '\udfff', '\ud83d\ude00', '\u0000', '\n', '\u001b', '\u0085', '\u007f'),
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('')),
  fc
    .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), fc.integer({ min: 180, max: 100_000 }))
    .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length)),
);

describe('boundedName', () => {
  it('keeps a short clean name as it is, prototype keys and emoji included', () => {
    for (const name of ['BAAI/bge-small-en-v1.5', '__proto__', 'constructor', '', 'modèle 😀', 'x'.repeat(200)]) {
      expect(boundedName(name)).toBe(name);
    }
    expect(boundedNameOf(undefined)).toBeUndefined();
  });

  it('cuts a long name to the bound and adds a hash of the whole name, so that names differing at the end stay apart', () => {
    const [a, b] = [boundedName(`${'m'.repeat(100_000)}a`), boundedName(`${'m'.repeat(100_000)}b`)];
    expect(a).toHaveLength(MAX_NAME_LENGTH);
    expect(a).toMatch(/^m{191}~[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(boundedName(`${'m'.repeat(100_000)}a`)).toBe(a);
  });

  it('makes lone surrogates and control characters U+FFFD and marks the name as changed, keeping names apart', () => {
    expect(boundedName('bad\udc00model')).toMatch(/^bad\ufffdmodel~[0-9a-f]{8}$/);
    expect(boundedName('a\nb')).toMatch(/^a\ufffdb~[0-9a-f]{8}$/);
    expect(boundedName('a\nb')).not.toBe(boundedName('a\tb'));
    expect(boundedName('\u001b[2J')).not.toContain('\u001b');
  });

  it('never cuts a surrogate pair in two', () => {
    const name = `${'x'.repeat(190)}${'😀'.repeat(20)}`;
    const bounded = boundedName(name);
    expect(LONE_SURROGATE.test(bounded)).toBe(false);
    expect(bounded).toMatch(/^x{190}~[0-9a-f]{8}$/);
  });

  it('always answers a bounded, well-formed name without control characters, the same when applied again (property)', () => {
    fc.assert(
      fc.property(hostile, (name) => {
        const bounded = boundedName(name);
        expect(bounded.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
        expect(LONE_SURROGATE.test(bounded)).toBe(false);
        expect(CONTROL.test(bounded)).toBe(false);
        expect(boundedName(bounded)).toBe(bounded);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps distinct names distinct (property)', () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        fc.pre(a !== b);
        expect(boundedName(a)).not.toBe(boundedName(b));
      }),
      { numRuns: 500 },
    );
  });
});
