import { describe, expect, it } from 'vitest';
import { cleanUsage, openAiUsageOf } from './usage.js';

describe('openAiUsageOf', () => {
  it('reads prompt and completion tokens', () => {
    expect(openAiUsageOf({ usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 } })).toEqual({
      inputTokens: 12,
      outputTokens: 30,
    });
    expect(openAiUsageOf({ usage: { prompt_tokens: 5 } })).toEqual({ inputTokens: 5, outputTokens: undefined });
  });

  it.each([
    [undefined],
    [null],
    ['text'],
    [{}],
    [{ usage: null }],
    [{ usage: { prompt_tokens: '12', completion_tokens: -1 } }],
    [{ usage: { prompt_tokens: 1.5, completion_tokens: Number.NaN } }],
  ])('is unmeasured for %j', (result) => {
    expect(openAiUsageOf(result)).toBeUndefined();
  });
});

describe('cleanUsage', () => {
  it('keeps valid counts and drops malformed ones', () => {
    expect(cleanUsage({ inputTokens: 3, outputTokens: 'x' })).toEqual({ inputTokens: 3, outputTokens: undefined });
    expect(cleanUsage({ inputTokens: -3 })).toBeUndefined();
    expect(cleanUsage(42)).toBeUndefined();
  });
});
