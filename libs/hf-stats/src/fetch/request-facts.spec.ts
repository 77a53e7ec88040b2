import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH } from '../stats/call-names.js';
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
