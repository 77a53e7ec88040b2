import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH, boundedName } from '../stats/call-names.js';
import { readRequestFacts, withStreamUsage } from './request-facts.js';

const CHAT = 'https://router.huggingface.co/v1/chat/completions';
const streamed = (extra: Record<string, unknown> = {}) =>
  ({ method: 'POST', body: JSON.stringify({ model: 'm', stream: true, messages: [], ...extra }) }) as RequestInit;
const bodyOf = (init: RequestInit | undefined): Record<string, unknown> =>
  JSON.parse(init?.body as string) as Record<string, unknown>;

describe('readRequestFacts', () => {
  it('reads X-HF-Bill-To from any header shape, bounded, and tells an Inference Endpoint by its host', () => {
    expect(readRequestFacts(CHAT, { headers: { 'X-HF-Bill-To': 'acme' } })).toEqual({
      billTo: 'acme',
      endpoint: false,
    });
    expect(readRequestFacts(CHAT, { headers: [['x-hf-bill-to', 'x'.repeat(100_000)]] }).billTo?.length).toBe(
      MAX_NAME_LENGTH,
    );
    expect(readRequestFacts(new Request(CHAT, { headers: { 'x-hf-bill-to': 'org' } }), undefined).billTo).toBe('org');
    expect(readRequestFacts('https://abc.us-east-1.aws.endpoints.huggingface.cloud/', undefined).endpoint).toBe(true);
    expect(readRequestFacts('not a url', undefined)).toEqual({ billTo: undefined, endpoint: false });
  });
});

/** What readRequestFacts read before its fast paths: `new URL` for the host, `new Headers` for X-HF-Bill-To. */
function throughUrlAndHeaders(
  url: string,
  headers: NonNullable<RequestInit['headers']>,
): { billTo: string | undefined; endpoint: boolean } {
  let endpoint = false;
  try {
    endpoint = /\.endpoints\.huggingface\.cloud$/i.test(new URL(url).hostname);
  } catch {
    // As before: a malformed URL is no endpoint.
  }
  const value = new Headers(headers).get('x-hf-bill-to')?.trim();
  return { billTo: value === undefined || value === '' ? undefined : boundedName(value), endpoint };
}

/** The facts, or the error's class when reading them throws. */
function outcome(read: () => unknown): unknown {
  try {
    return read();
  } catch (error) {
    return (error as Error).constructor.name;
  }
}

describe('readRequestFacts without new URL and new Headers on the common path', () => {
  const scheme = fc.constantFrom('https://', 'http://', 'HTTPS://', ' https://', 'ftp://', '');
  const hostPiece = fc.constantFrom(
    'abc.',
    'x.',
    'endpoints.huggingface.cloud',
    'ENDPOINTS.HuggingFace.Cloud',
    'endpoints%2Ehuggingface.cloud',
    'endpoi\tnts.hugging\nface.cloud',
    '\uff45ndpoints.huggingface.cloud',
    'endpoints\u3002huggingface.cloud',
    'router.huggingface.co',
    'user@',
    ':8080',
  );
  const tail = fc.constantFrom('', '/', '/v1/chat/completions', '?q=.endpoints.huggingface.cloud', '#x');
  const url = fc.oneof(
    fc.tuple(scheme, fc.array(hostPiece, { minLength: 1, maxLength: 3 }), tail).map(([a, b, c]) => a + b.join('') + c),
    fc.string(),
  );
  const name = fc.oneof(
    fc.constantFrom(
      'x-hf-bill-to',
      'X-HF-Bill-To',
      'X-Hf-BILL-to',
      'authorization',
      'content-type',
      '123',
      '__proto__',
    ),
    fc.string({ maxLength: 14 }),
  );
  const value = fc.oneof(
    fc.constantFrom('acme', ' acme\t', '', '  ', 'a, b', 'x'.repeat(300)),
    fc.string({ unit: 'binary', maxLength: 12 }),
  );
  const headers = fc.array(fc.tuple(name, value), { maxLength: 5 }).map((pairs) => {
    const record: Record<string, string> = {};
    for (const [key, text] of pairs) {
      Object.defineProperty(record, key, { value: text, enumerable: true, writable: true, configurable: true });
    }
    return record;
  });

  it('reads what new URL and new Headers read, or throws as they throw (property)', () => {
    fc.assert(
      fc.property(url, headers, (target, record) => {
        expect(outcome(() => readRequestFacts(target, { headers: record }))).toEqual(
          outcome(() => throughUrlAndHeaders(target, record)),
        );
      }),
      { numRuns: 3_000 },
    );
  });

  it('asks Headers for header shapes other than a plain record of strings', () => {
    expect(
      readRequestFacts(CHAT, { headers: { 'x-hf-bill-to': 7 } as unknown as NonNullable<RequestInit['headers']> })
        .billTo,
    ).toBe('7');
    const withSymbol = { 'x-hf-bill-to': 'acme', [Symbol('s')]: 'x' } as unknown as NonNullable<RequestInit['headers']>;
    expect(outcome(() => readRequestFacts(CHAT, { headers: withSymbol }))).toBe('TypeError');
    expect(
      readRequestFacts(CHAT, {
        headers: new Map([['x-hf-bill-to', 'acme']]) as unknown as NonNullable<RequestInit['headers']>,
      }).billTo,
    ).toBe('acme');
    expect(readRequestFacts(CHAT, { headers: { 'X-HF-Bill-To': 'a', 'x-hf-bill-to': ' b ' } }).billTo).toBe('a, b');
  });
});

describe('withStreamUsage', () => {
  it('adds include_usage to a streamed chat completion that lacks it, keeping its other stream options', () => {
    expect(bodyOf(withStreamUsage(CHAT, streamed())).stream_options).toEqual({ include_usage: true });
    expect(bodyOf(withStreamUsage(CHAT, streamed({ stream_options: { other: 1 } }))).stream_options).toEqual({
      other: 1,
      include_usage: true,
    });
  });

  it('leaves every other request as it is', () => {
    for (const [url, init] of [
      [CHAT, streamed({ stream_options: { include_usage: false } })],
      [CHAT, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) }],
      [CHAT, { method: 'POST', body: '{not json' }],
      [CHAT, undefined],
      ['https://router.huggingface.co/hf-inference/models/m', streamed()],
    ] as const) {
      expect(withStreamUsage(url, init)).toBe(init);
    }
  });
});
