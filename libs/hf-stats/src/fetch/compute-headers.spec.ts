import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedName, MAX_NAME_LENGTH } from '../stats/call-names.js';
import { readComputeHeaders } from './compute-headers.js';

describe('readComputeHeaders', () => {
  it('reads the serverless API and TGI compute time in seconds', () => {
    const headers = new Headers({
      'x-compute-time': '0.532',
      'x-compute-characters': '120',
      'x-prompt-tokens': '31',
      'x-generated-tokens': '12',
      'x-queue-time': '4',
      'x-inference-time': '520',
      'x-request-id': 'req-abc123',
    });
    expect(readComputeHeaders(headers)).toEqual({
      computeTimeMs: 532,
      computeCharacters: 120,
      computeTokens: undefined,
      promptTokens: 31,
      generatedTokens: 12,
      queueTimeMs: 4,
      inferenceTimeMs: 520,
      requestId: 'req-abc123',
      invalidHeaderCount: 0,
    });
  });

  it('reads the TEI compute time in milliseconds, told apart by its own headers', () => {
    const tei = readComputeHeaders(
      new Headers({ 'x-compute-time': '12', 'x-compute-tokens': '9', 'x-tokenization-time': '2' }),
    );
    expect(tei.computeTimeMs).toBe(12);
    expect(tei.computeTokens).toBe(9);
    // The same value without TEI's headers is seconds.
    expect(readComputeHeaders(new Headers({ 'x-compute-time': '12' })).computeTimeMs).toBe(12_000);
  });

  it('follows an explicit unit', () => {
    expect(readComputeHeaders(new Headers({ 'x-compute-time': '7' }), 'ms').computeTimeMs).toBe(7);
    expect(readComputeHeaders(new Headers({ 'x-compute-time': '7', 'x-compute-tokens': '1' }), 's').computeTimeMs).toBe(
      7000,
    );
  });

  it('ignores and counts values that are not numbers, and unsafe request ids', () => {
    const result = readComputeHeaders(
      new Headers({
        'x-compute-time': 'fast',
        'x-compute-characters': '-3',
        'x-prompt-tokens': '2.5',
        'x-queue-time': '',
        'x-request-id': 'a b <script>',
      }),
    );
    expect(result).toMatchObject({
      computeTimeMs: undefined,
      computeCharacters: undefined,
      promptTokens: undefined,
      queueTimeMs: undefined,
      requestId: undefined,
      invalidHeaderCount: 5,
    });
  });

  it('reports nothing for a response without those headers', () => {
    expect(readComputeHeaders(new Headers({ 'content-type': 'application/json' }))).toMatchObject({
      computeTimeMs: undefined,
      requestId: undefined,
      invalidHeaderCount: 0,
    });
  });
});

describe('readComputeHeaders: the provider and the hardware', () => {
  it('reads x-inference-provider and x-compute-type, trimmed', () => {
    const headers = new Headers({ 'x-inference-provider': ' together ', 'x-compute-type': 'nvidia-a10g' });
    expect(readComputeHeaders(headers)).toMatchObject({ provider: 'together', computeType: 'nvidia-a10g' });
    expect(readComputeHeaders(new Headers({ 'x-inference-provider': '  ' })).provider).toBeUndefined();
  });

  it('bounds any value a server sends, as every name of a call record (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.constantFrom('__proto__', 'constructor')),
        (value) => {
          const source = { get: (name: string) => (name === 'x-inference-provider' ? value : null), has: () => false };
          const { provider } = readComputeHeaders(source);
          const trimmed = value.trim();
          expect(provider).toBe(trimmed === '' ? undefined : boundedName(trimmed));
          expect(provider === undefined || provider.length <= MAX_NAME_LENGTH).toBe(true);
        },
      ),
    );
    const long = readComputeHeaders({ get: () => 'x'.repeat(100_000), has: () => false });
    expect(long.provider?.length).toBe(MAX_NAME_LENGTH);
  });
});
