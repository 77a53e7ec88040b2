import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeField, encodeField } from './field-encoding.js';

/** Strings a client can send: any code unit (lone surrogates included), and the names that break naive code. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'a|b', 'm:x', '%', '%zz', '\ud800', 'x\udc00y', ''),
);

describe('field encoding', () => {
  it('round-trips every string, never throws, and leaves no separator of the hash fields in the result', () => {
    fc.assert(
      fc.property(hostile, (name) => {
        const encoded = encodeField(name);
        expect(encoded).toMatch(/^[A-Za-z0-9._~/%-]*$/);
        expect(encoded).not.toMatch(/[|:#\s]/);
        // Every code unit survives as ASCII, so UTF-8 on the way to Redis can't replace a lone surrogate.
        expect(Buffer.from(encoded, 'utf8').toString('utf8')).toBe(encoded);
        expect(decodeField(encoded)).toBe(name);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes what it did not encode without throwing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (raw) => {
        expect(typeof decodeField(raw)).toBe('string');
      }),
    );
  });

  it('encodes a 100,000-character name in linear time', () => {
    const name = '\ud800é|'.repeat(33_334);
    const started = performance.now();
    expect(decodeField(encodeField(name))).toBe(name);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
