import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScopeDelta } from '../stores/scope-delta.js';
import { callRecord } from './call-record.fixture.js';
import { CALL_DIMENSIONS } from './call-dimensions.js';
import { ScopeAccumulator } from './stats-accumulator.js';

const name = (names: string[]) => fc.option(fc.constantFrom(...names), { nil: undefined });
const call = fc.record({
  model: name(['a', 'b', '__proto__']),
  provider: name(['together', 'novita', 'constructor']),
  billTo: name(['org-1', 'org-2']),
  durationMs: fc.integer({ min: 0, max: 5000 }),
  ok: fc.boolean(),
  inputTokens: fc.option(fc.nat(1000), { nil: undefined }),
  costNanoUsd: fc.option(fc.nat(10_000), { nil: undefined }),
});

describe('CALL_DIMENSIONS: one list of dimensions for every scope', () => {
  it('names each dimension once, with a Redis field letter of its own', () => {
    expect(CALL_DIMENSIONS.map((dimension) => dimension.key)).toEqual(['byModel', 'byProvider', 'byBillTo']);
    expect(new Set(CALL_DIMENSIONS.map((dimension) => dimension.field)).size).toBe(CALL_DIMENSIONS.length);
  });

  it('gives a scope whose calls share one name the same figures as a map would (property)', () => {
    fc.assert(
      fc.property(fc.array(call, { maxLength: 40 }), fc.integer({ min: 1, max: 3 }), (calls, maxNames) => {
        const scope = new ScopeAccumulator(maxNames);
        const delta = new ScopeDelta(maxNames);
        for (const [i, fields] of calls.entries()) {
          const record = callRecord({ ...fields, endedAt: 1_000 + i, errorType: fields.ok ? undefined : '503' });
          scope.add(record);
          delta.add(record);
        }
        expect(scope.toJSON()).toEqual(delta.toJSON());
      }),
    );
  });

  it('holds no map for a session that calls one model through one provider, and shows its figures per name', () => {
    const scope = new ScopeAccumulator(50);
    scope.add(callRecord({ model: 'm', provider: 'together', durationMs: 5, endedAt: 1 }));
    scope.add(callRecord({ model: 'm', provider: 'together', durationMs: 7, endedAt: 2 }));
    const json = scope.toJSON();
    expect(json.byModel.m).toEqual(json.byProvider.together);
    expect(json.byModel.m).toMatchObject({ callCount: 2, totalTimeMs: 12 });
    expect(json.byBillTo).toEqual({});
    expect(Reflect.get(scope, 'dimensions')).toMatchObject({ maps: [undefined, undefined, undefined] });
  });
});
