import { describe, expect, it } from 'vitest';
import type { HfPricingCall } from './pricing.js';
import { HfPricing, nanoUsdToUsd } from './pricing.js';
import { validateHfPriceRules, type HfPriceRule } from './pricing/price-rules.js';

const JUNE = Date.UTC(2026, 5, 15);

function call(overrides: Partial<HfPricingCall> = {}): HfPricingCall {
  return {
    model: 'org/model',
    textCount: 1,
    characterCount: undefined,
    inputTokens: undefined,
    outputTokens: undefined,
    computeTimeMs: undefined,
    durationMs: 250,
    endedAt: JUNE,
    ...overrides,
  };
}

function costOf(rules: HfPriceRule[], overrides: Partial<HfPricingCall> = {}): number | 'unpriced' {
  const price = new HfPricing(rules).priceCall(call(overrides));
  return price.priced ? price.costNanoUsd : 'unpriced';
}

function matches(glob: string, model: string | undefined): boolean {
  return new HfPricing([{ model: glob, perCall: 1 }]).ruleFor(model, JUNE) !== undefined;
}

/** Minutes after 2026-07-01T00:00Z at which a rule with this validFrom starts to apply. */
function switchMinute(validFrom: string): number {
  const pricing = new HfPricing([{ model: '*', perCall: 0.000001, validFrom }]);
  const july = Date.UTC(2026, 6, 1);
  for (let minute = -180; minute <= 180; minute++) {
    if (pricing.priceCall(call({ endedAt: july + minute * 60_000 })).priced) {
      return minute;
    }
  }
  return Number.NaN;
}

describe('nanoUsdToUsd', () => {
  it.each([
    [0, 0],
    [1, 0.000000001],
    [1_000_000_000, 1],
    [1_000_000_001, 1.000000001],
    [123_456_789, 0.123456789],
    [987_654_321_012, 987.654321012],
    [1.6, 0.000000002],
  ])('%s nano-dollars are $%s', (nano, usd) => {
    expect(nanoUsdToUsd(nano)).toBe(usd);
  });
});

describe('HfPricing', () => {
  describe('model globs', () => {
    it.each([
      ['*', 'anything/at-all', true],
      ['*', undefined, true],
      ['sentence-transformers/*', 'sentence-transformers/all-MiniLM-L6-v2', true],
      ['sentence-transformers/*', 'sentence-transformers/a/b', true],
      ['sentence-transformers/*', 'sentence-transformers/', true],
      ['sentence-transformers/*', 'sentence-transformers', false],
      ['sentence-transformers/*', 'x/sentence-transformers/y', false],
      ['sentence-transformers/*', undefined, false],
      ['*/bge-*', 'BAAI/bge-small-en-v1.5', true],
      ['BAAI/bge-small-en-v1.5', 'BAAI/bge-small-en-v1.5', true],
      ['BAAI/bge-small-en-v1.5', 'BAAI/bge-small-en-v1x5', false],
      ['BAAI/bge-small-en-v1.?', 'BAAI/bge-small-en-v1x5', false],
      ['BAAI/bge-small-en-v?.5', 'BAAI/bge-small-en-v1.5', true],
      ['BAAI/bge-small-en-v1.*', 'BAAI/bge-small-en-v1x5', false],
      ['baai/bge-small-en-v1.5', 'BAAI/bge-small-en-v1.5', false],
      ['org/model+v2', 'org/model+v2', true],
      ['org/model+v2', 'org/modelv2', false],
      ['org/model+v2', 'org/modellv2', false],
      ['org/model-v?', 'org/model-v1', true],
      ['org/model-v?', 'org/model-v', false],
      ['org/model-v?', 'org/model-v10', false],
      ['org/(x)[y]{2}^$|\\', 'org/(x)[y]{2}^$|\\', true],
      ['org/(x)[y]{2}^$|\\', 'org/x[y]yy|\\', false],
      ['org/*-instruct', 'org/llama/3.1-8b-instruct', true],
      ['org/*-instruct', 'org/llama-3.1-8b-instruct-v2', false],
    ])('%s matches %s: %s', (glob, model, expected) => {
      expect(matches(glob, model)).toBe(expected);
    });
  });

  describe('choosing the rule', () => {
    const rules: HfPriceRule[] = [
      { model: 'org/special', perCall: 0.000003 },
      { model: 'org/*', perCall: 0.000002 },
      { model: '*', perCall: 0.000001 },
      { model: 'org/special', perCall: 0.000009 },
    ];

    it('takes the first matching rule', () => {
      expect(costOf(rules, { model: 'org/special' })).toBe(3000);
      expect(costOf(rules, { model: 'org/other' })).toBe(2000);
      expect(costOf(rules, { model: 'elsewhere/model' })).toBe(1000);
      expect(costOf(rules, { model: undefined })).toBe(1000);
    });

    it('leaves calls that no rule matches unpriced', () => {
      expect(costOf([{ model: 'org/*', perCall: 1 }], { model: 'other/model' })).toBe('unpriced');
      expect(costOf([{ model: 'org/*', perCall: 1 }], { model: undefined })).toBe('unpriced');
      expect(costOf([], { model: 'org/model' })).toBe('unpriced');
    });

    it('switches price at validFrom, newer rule listed first', () => {
      const pricing = new HfPricing([
        { model: 'org/model', perCall: 0.000002, validFrom: '2026-07-01' },
        { model: 'org/model', perCall: 0.000001 },
      ]);
      const at = (endedAt: number): unknown => pricing.priceCall(call({ endedAt }));
      expect(at(Date.UTC(2026, 5, 30, 23, 59, 59, 999))).toEqual({
        costNanoUsd: 1000,
        priced: true,
        source: 'userRule',
      });
      expect(at(Date.UTC(2026, 6, 1))).toEqual({ costNanoUsd: 2000, priced: true, source: 'userRule' });
      expect(at(Date.UTC(2027, 0, 1))).toEqual({ costNanoUsd: 2000, priced: true, source: 'userRule' });
    });

    it('reads validFrom offsets, and date-times without one as UTC', () => {
      expect(switchMinute('2026-07-01')).toBe(0);
      expect(switchMinute('2026-07-01T00:00')).toBe(0);
      expect(switchMinute('2026-07-01T00:00:00.000Z')).toBe(0);
      expect(switchMinute('2026-07-01T02:00:00+02:00')).toBe(0);
      expect(switchMinute('2026-06-30T22:30:00-0130')).toBe(0);
      expect(switchMinute('2026-07-01T01:00:00+01')).toBe(0);
      expect(switchMinute('2026-07-01T00:30:00Z')).toBe(30);
      expect(switchMinute('2026-06-30T23:59:30.5Z')).toBe(0);
    });

    it('leaves calls before the first validFrom unpriced', () => {
      expect(costOf([{ model: '*', perCall: 1, validFrom: '2027-01-01' }])).toBe('unpriced');
    });

    it('keeps a bounded cache of model names and still prices past it', () => {
      const pricing = new HfPricing([{ model: 'org/*', perCall: 0.000001 }]);
      for (let i = 0; i < HfPricing.MAX_CACHED_MODELS + 50; i++) {
        expect(pricing.priceCall(call({ model: `org/model-${i}` }))).toEqual({
          costNanoUsd: 1000,
          priced: true,
          source: 'userRule',
        });
      }
      expect(pricing['candidatesByModel'].size).toBe(HfPricing.MAX_CACHED_MODELS);
      expect(pricing.priceCall(call({ model: 'org/model-0' }))).toEqual({
        costNanoUsd: 1000,
        priced: true,
        source: 'userRule',
      });
    });
  });

  describe('cost', () => {
    it('adds 1,000,000 calls at $0.000001 to exactly $1, unlike float dollars', () => {
      const pricing = new HfPricing([{ model: '*', perCall: 0.000001 }]);
      let totalNano = 0;
      let naiveUsd = 0;
      for (let i = 0; i < 1_000_000; i++) {
        const price = pricing.priceCall(call());
        totalNano += price.priced ? price.costNanoUsd : Number.NaN;
        naiveUsd += 0.000001;
      }
      expect(totalNano).toBe(1_000_000_000);
      expect(nanoUsdToUsd(totalNano)).toBe(1);
      expect(naiveUsd).not.toBe(1);
    });

    it('prices every unit of a mixed rule exactly', () => {
      const rule: HfPriceRule = {
        model: '*',
        perCall: 0.00001,
        perText: 0.000002,
        perCharacter: 0.000000003,
        perInputToken: 0.0000001,
        perOutputToken: 0.0000004,
        perComputeSecond: 0.00006,
      };
      const mixed = {
        textCount: 3,
        characterCount: 4567,
        inputTokens: 1234,
        outputTokens: 567,
        computeTimeMs: 1500,
      };
      // 10000 + 3*2000 + 4567*3 + 1234*100 + 567*400 + 1.5*60000
      expect(costOf([rule], mixed)).toBe(10_000 + 6000 + 13_701 + 123_400 + 226_800 + 90_000);
      const pricing = new HfPricing([rule]);
      let total = 0;
      for (let i = 0; i < 10_000; i++) {
        const price = pricing.priceCall(call(mixed));
        total += price.priced ? price.costNanoUsd : Number.NaN;
      }
      expect(total).toBe(4_699_010_000);
      expect(nanoUsdToUsd(total)).toBe(4.69901);
    });

    it('rounds each part to the nearest nano-dollar', () => {
      expect(costOf([{ model: '*', perCall: 1.5e-9 }])).toBe(2);
      expect(costOf([{ model: '*', perCall: 1.4e-9 }])).toBe(1);
      expect(costOf([{ model: '*', perText: 1e-10 }], { textCount: 4 })).toBe(0);
      expect(costOf([{ model: '*', perText: 1e-10, perCall: 4e-10 }], { textCount: 4 })).toBe(0);
      expect(costOf([{ model: '*', perComputeSecond: 0.000001 }], { computeTimeMs: 0.4 })).toBe(0);
      expect(costOf([{ model: '*', perComputeSecond: 0.000001 }], { computeTimeMs: 0.6 })).toBe(1);
    });

    it('prices free models at 0', () => {
      expect(costOf([{ model: '*', perCall: 0, perInputToken: 0 }], { inputTokens: 10 })).toBe(0);
    });

    it('bills compute time, or wall time only when allowed', () => {
      const rule: HfPriceRule = { model: '*', perComputeSecond: 0.0001 };
      expect(costOf([rule], { computeTimeMs: 2000, durationMs: 2500 })).toBe(200_000);
      expect(costOf([rule], { computeTimeMs: undefined, durationMs: 2500 })).toBe('unpriced');
      const fallback: HfPriceRule = { ...rule, computeFallbackToWallTime: true };
      expect(costOf([fallback], { computeTimeMs: undefined, durationMs: 2500 })).toBe(250_000);
      expect(costOf([fallback], { computeTimeMs: 2000, durationMs: 2500 })).toBe(200_000);
      expect(costOf([{ ...rule, computeFallbackToWallTime: false }], { durationMs: 2500 })).toBe('unpriced');
    });

    it.each<[string, HfPriceRule, Partial<HfPricingCall>]>([
      ['input tokens', { model: '*', perCall: 0.001, perInputToken: 0.000001 }, { inputTokens: undefined }],
      ['output tokens', { model: '*', perOutputToken: 0.000001 }, { inputTokens: 5, outputTokens: undefined }],
      ['characters', { model: '*', perText: 0.001, perCharacter: 0.000001 }, { characterCount: undefined }],
      ['compute time', { model: '*', perCall: 0.001, perComputeSecond: 0.0001 }, { computeTimeMs: undefined }],
      ['a NaN unit', { model: '*', perInputToken: 0.000001 }, { inputTokens: Number.NaN }],
      ['a negative unit', { model: '*', perText: 0.000001 }, { textCount: -1 }],
      ['an infinite unit', { model: '*', perCharacter: 0.000001 }, { characterCount: Number.POSITIVE_INFINITY }],
    ])('leaves a call unpriced, not partly priced, without %s', (_unit, rule, overrides) => {
      expect(costOf([rule], overrides)).toBe('unpriced');
    });

    it('leaves a cost past 2^53 nano-dollars unpriced', () => {
      expect(costOf([{ model: '*', perInputToken: 1000 }], { inputTokens: 1e7 })).toBe('unpriced');
    });

    it('does not fall through to a later rule when the first cannot price the call', () => {
      const rules: HfPriceRule[] = [
        { model: 'org/*', perInputToken: 0.000001 },
        { model: '*', perCall: 0.001 },
      ];
      expect(costOf(rules, { inputTokens: undefined })).toBe('unpriced');
    });
  });
});

describe('validateHfPriceRules', () => {
  it('returns copies without undefined fields', () => {
    const rules = [
      { model: 'org/*', perCall: 0.001, perText: undefined, validFrom: '2026-01-01T00:00:00Z' },
      { model: '*', perComputeSecond: 0, computeFallbackToWallTime: true },
    ];
    const valid = validateHfPriceRules(rules);
    expect(valid).toEqual([
      { model: 'org/*', perCall: 0.001, validFrom: '2026-01-01T00:00:00Z' },
      { model: '*', perComputeSecond: 0, computeFallbackToWallTime: true },
    ]);
    expect(Object.keys(valid[0])).not.toContain('perText');
    expect(valid[0]).not.toBe(rules[0]);
    expect(validateHfPriceRules([])).toEqual([]);
  });

  it('checks the rules given to HfPricing too', () => {
    expect(() => new HfPricing([{ model: '', perCall: 1 }])).toThrow(TypeError);
  });

  const prefix = 'nestjs-hf-stats: invalid option ';
  it.each<[string, unknown, string]>([
    [
      'not an array',
      { model: '*', perCall: 1 },
      `${prefix}"pricing": must be an array of price rules such as [{ model: '*', perCall: 0.0001 }], got an object.`,
    ],
    [
      'a rule that is not an object',
      [{ model: '*', perCall: 1 }, 'org/*'],
      `${prefix}"pricing[1]": each rule must be an object such as { model: 'org/*', perCall: 0.0001 }, got "org/*".`,
    ],
    [
      'a null rule',
      [null],
      `${prefix}"pricing[0]": each rule must be an object such as { model: 'org/*', perCall: 0.0001 }, got null.`,
    ],
    [
      'an array rule',
      [['*', 1]],
      `${prefix}"pricing[0]": each rule must be an object such as { model: 'org/*', perCall: 0.0001 }, ` +
        'got an array of 2.',
    ],
    [
      'a missing model',
      [{ perCall: 1 }],
      `${prefix}"pricing[0]": "model" must be a non-empty string (an exact model name, or a glob with * and ?), ` +
        'got undefined.',
    ],
    [
      'an empty model',
      [{ model: '', perCall: 1 }],
      `${prefix}"pricing[0]": "model" must be a non-empty string (an exact model name, or a glob with * and ?), ` +
        'got "".',
    ],
    [
      'a non-string model',
      [{ model: 42, perCall: 1 }],
      `${prefix}"pricing[0]": "model" must be a non-empty string (an exact model name, or a glob with * and ?), ` +
        'got 42.',
    ],
    [
      'an unknown field',
      [{ model: 'org/*', perToken: 0.001 }],
      `${prefix}"pricing[0]" (model "org/*"): unknown field "perToken" (value 0.001); allowed fields are model, ` +
        'provider, computeType, perCall, perText, perCharacter, perInputToken, perOutputToken, perComputeSecond, ' +
        'computeFallbackToWallTime, validFrom.',
    ],
    [
      'a negative price',
      [
        { model: '*', perCall: 1 },
        { model: 'a/*', perCall: 1 },
        { model: 'x/*', perCall: -1 },
      ],
      `${prefix}"pricing[2]" (model "x/*"): "perCall" must be a finite number >= 0, got -1.`,
    ],
    [
      'a NaN price',
      [{ model: 'x', perText: Number.NaN }],
      `${prefix}"pricing[0]" (model "x"): "perText" must be a finite number >= 0, got NaN.`,
    ],
    [
      'an infinite price',
      [{ model: 'x', perCharacter: Number.POSITIVE_INFINITY }],
      `${prefix}"pricing[0]" (model "x"): "perCharacter" must be a finite number >= 0, got Infinity.`,
    ],
    [
      'a string price',
      [{ model: 'x', perInputToken: '0.001' }],
      `${prefix}"pricing[0]" (model "x"): "perInputToken" must be a finite number >= 0, got "0.001".`,
    ],
    [
      'a null price',
      [{ model: 'x', perOutputToken: null }],
      `${prefix}"pricing[0]" (model "x"): "perOutputToken" must be a finite number >= 0, got null.`,
    ],
    [
      'a bigint price',
      [{ model: 'x', perComputeSecond: 1n }],
      `${prefix}"pricing[0]" (model "x"): "perComputeSecond" must be a finite number >= 0, got 1n.`,
    ],
    [
      'no price field',
      [{ model: 'x', computeFallbackToWallTime: true, perCall: undefined }],
      `${prefix}"pricing[0]" (model "x"): a rule needs at least one price field in US dollars (perCall, perText, ` +
        'perCharacter, perInputToken, perOutputToken, perComputeSecond), got none.',
    ],
    [
      'a non-boolean fallback',
      [{ model: 'x', perComputeSecond: 1, computeFallbackToWallTime: 'yes' }],
      `${prefix}"pricing[0]" (model "x"): "computeFallbackToWallTime" must be true or false, got "yes".`,
    ],
  ])('refuses %s', (_case, rules, message) => {
    expect(() => validateHfPriceRules(rules)).toThrow(TypeError);
    expect(() => validateHfPriceRules(rules)).toThrow(message);
  });

  it.each([
    'yesterday',
    'Jul 1 2026',
    '2026-7-1',
    '20260701',
    '2026-02-30',
    '2025-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-07-01T24:00:00Z',
    '2026-07-01T12:60Z',
    '2026-07-01T12:00:60Z',
    '2026-07-01T12Z',
    '2026-07-01Z',
    '2026-07-01T00:00:00+25:00',
    '2026-07-01 00:00:00',
    '',
    1_782_864_000_000,
    null,
  ])('refuses validFrom %j', (validFrom) => {
    expect(() => validateHfPriceRules([{ model: 'org/*', perCall: 1, validFrom }])).toThrow(
      `${prefix}"pricing[0]" (model "org/*"): "validFrom" must be an ISO 8601 date or date-time such as ` +
        `"2026-07-01" or "2026-07-01T00:00:00Z", got ${typeof validFrom === 'string' ? JSON.stringify(validFrom) : String(validFrom)}.`,
    );
  });

  it.each(['2024-02-29', '2026-07-01T00:00', '2026-07-01T00:00:00.123456789Z', '2026-07-01T05:30:00+05:30'])(
    'accepts validFrom %s',
    (validFrom) => {
      expect(validateHfPriceRules([{ model: '*', perCall: 1, validFrom }])).toEqual([
        { model: '*', perCall: 1, validFrom },
      ]);
    },
  );
});
