import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HfPricing, nanoUsdOf, type HfPricingCall } from '../pricing.js';
import type { HfPriceRule } from './price-rules.js';
import { MAX_TABLE_PRICES, RouterPriceTable } from './router-price-table.js';

const NOW = Date.UTC(2026, 11, 1);

function call(overrides: Partial<HfPricingCall> = {}): HfPricingCall {
  return {
    model: 'org/model',
    textCount: 1,
    characterCount: undefined,
    inputTokens: 1000,
    outputTokens: 100,
    computeTimeMs: undefined,
    durationMs: 250,
    endedAt: NOW,
    ...overrides,
  };
}

const table = RouterPriceTable.parse({
  object: 'list',
  data: [
    {
      id: 'org/model',
      providers: [
        { provider: 'together', pricing: { input: 0.9, output: 1.8 } },
        { provider: 'novita', pricing: { input: 0.4, output: 0.4 } },
        { provider: 'groq' },
        { provider: 'bad', pricing: { input: -1, output: 1 } },
      ],
    },
    { id: 42, providers: [] },
    null,
  ],
});

describe('provider-aware price rules', () => {
  it('matches a rule without provider for any provider, and one with an exact provider only for it (property)', () => {
    const exact = fc.string({ minLength: 1, maxLength: 20 }).filter((name) => !/[*?]/.test(name));
    fc.assert(
      fc.property(exact, fc.oneof(fc.string({ maxLength: 20 }), exact), fc.boolean(), (named, served, same) => {
        const provider = same ? named : served;
        const pricing = new HfPricing([
          { model: '*', provider: named, perCall: 0.002 },
          { model: '*', perCall: 0.001 },
        ]);
        expect(pricing.priceCall(call({ provider }))).toEqual({
          costNanoUsd: nanoUsdOf(1, provider === named ? 0.002 : 0.001),
          priced: true,
          source: 'userRule',
        });
      }),
    );
  });

  it('takes the first rule in force that matches model and provider; globs match providers as they match models', () => {
    const rules: HfPriceRule[] = [
      { model: 'org/*', provider: 'fal-*', perCall: 3 },
      { model: 'org/*', provider: 'together', perCall: 2 },
      { model: 'org/*', perCall: 1 },
    ];
    const pricing = new HfPricing(rules);
    const cost = (provider: string | undefined): unknown => {
      const price = pricing.priceCall(call({ provider }));
      return price.priced ? price.costNanoUsd : price.source;
    };
    expect(cost('fal-ai')).toBe(nanoUsdOf(1, 3));
    expect(cost('together')).toBe(nanoUsdOf(1, 2));
    expect(cost('novita')).toBe(nanoUsdOf(1, 1));
    // Not known: matched as `unknown`.
    expect(new HfPricing([{ model: '*', provider: 'unknown', perCall: 5 }]).priceCall(call()).priced).toBe(true);
  });

  it('prices compute seconds by hardware, and a call without x-compute-type only by a rule for any hardware', () => {
    const pricing = new HfPricing([
      { model: '*', computeType: 'cpu', perComputeSecond: 0.0001 },
      { model: '*', computeType: 'nvidia-*', perComputeSecond: 0.001 },
    ]);
    expect(pricing.priceCall(call({ computeType: 'cpu', computeTimeMs: 2000 }))).toEqual({
      costNanoUsd: nanoUsdOf(2, 0.0001),
      priced: true,
      source: 'computeTime',
    });
    expect(pricing.priceCall(call({ computeType: 'nvidia-l4', computeTimeMs: 2000 }))).toMatchObject({
      costNanoUsd: nanoUsdOf(2, 0.001),
    });
    expect(pricing.priceCall(call({ computeTimeMs: 2000 }))).toEqual({ priced: false, source: 'noRule' });
    expect(pricing.priceCall(call({ computeType: 'cpu' }))).toEqual({ priced: false, source: 'unitUnmeasured' });
  });

  it('refuses a provider or computeType that is not a non-empty string, naming it', () => {
    expect(() => new HfPricing([{ model: '*', provider: '', perCall: 1 }])).toThrow(/"provider" must be a non-empty/);
    expect(() => new HfPricing([{ model: '*', computeType: 3 as unknown as string, perCall: 1 }])).toThrow(
      /"computeType" must be a non-empty/,
    );
  });
});

describe("Hugging Face's price table", () => {
  it('reads the router shape, keeping only valid prices (a provider without one stays unpriced, never $0)', () => {
    expect(table?.modelCount).toBe(1);
    expect(table?.priceCount).toBe(2);
    expect(table?.priceOf('org/model', 'groq')).toBeUndefined();
    expect(table?.priceOf('org/model', 'bad')).toBeUndefined();
    expect(RouterPriceTable.parse({ models: [] })).toBeUndefined();
    expect(RouterPriceTable.parse(null)).toBeUndefined();
  });

  it('prices per (model, provider) in dollars per million tokens; user rules win; each source named', () => {
    const pricing = new HfPricing([{ model: 'org/model', provider: 'novita', perCall: 0.5 }], table);
    expect(pricing.priceCall(call({ provider: 'together' }))).toEqual({
      costNanoUsd: nanoUsdOf(1000, 0.9 / 1e6) + nanoUsdOf(100, 1.8 / 1e6),
      priced: true,
      source: 'routerTable',
    });
    expect(pricing.priceCall(call({ provider: 'novita' }))).toMatchObject({ source: 'userRule' });
    expect(pricing.priceCall(call({ provider: 'groq' }))).toEqual({ priced: false, source: 'noRule' });
    expect(pricing.priceCall(call({ provider: 'together', outputTokens: undefined }))).toEqual({
      priced: false,
      source: 'unitUnmeasured',
    });
    expect(pricing.priceCall(call({ model: undefined, provider: 'together' }))).toEqual({
      priced: false,
      source: 'noRule',
    });
  });

  it('never throws and stays bounded whatever the answer holds (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const parsed = RouterPriceTable.parse({ data: [body, { id: 'x', providers: [body] }] });
        expect(parsed?.priceCount ?? 0).toBeLessThanOrEqual(MAX_TABLE_PRICES);
      }),
    );
    const huge = {
      data: Array.from({ length: 1100 }, (_, i) => ({
        id: `m${i}`,
        providers: Array.from({ length: 100 }, (_unused, j) => ({
          provider: `p${j}`,
          pricing: { input: 1, output: 1 },
        })),
      })),
    };
    expect(RouterPriceTable.parse(huge)?.priceCount).toBe(MAX_TABLE_PRICES);
    // `__proto__` is a model like any other.
    const proto = RouterPriceTable.parse(
      JSON.parse(
        '{"data":[{"id":"__proto__","providers":[{"provider":"__proto__","pricing":{"input":1,"output":2}}]}]}',
      ),
    );
    expect(proto?.priceOf('__proto__', '__proto__')).toEqual({ input: 1, output: 2 });
  });
});
