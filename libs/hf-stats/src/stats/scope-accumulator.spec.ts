import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callRecord } from './call-record.fixture.js';
import { ScopeAccumulator, StatsAccumulator, UNKNOWN_MODEL, modelStatsMap } from './stats-accumulator.js';

/** The figures as one map entry per call would make them: the reference the scope must match. */
function reference(maxModels: number, calls: ReturnType<typeof callRecord>[]) {
  const total = new StatsAccumulator();
  const byModel = modelStatsMap(maxModels);
  for (const call of calls) {
    total.add(call);
    byModel.admit(call.model ?? UNKNOWN_MODEL).add(call);
  }
  return { ...total.toJSON(), byModel: byModel.toObject((stats) => stats.toJSON()), budgetRejectedCount: 0 };
}

const model = fc.constantFrom(undefined, 'a', 'b', 'c', 'other', '__proto__', UNKNOWN_MODEL);
const call = fc
  .record({
    model,
    durationMs: fc.double({ min: 0, max: 1e5, noNaN: true }),
    ok: fc.boolean(),
    textCount: fc.nat(5),
    endedAt: fc.integer({ min: 1, max: 2e12 }),
  })
  .map((fields) => callRecord({ ...fields, errorType: fields.ok ? undefined : '429' }));

describe('ScopeAccumulator with one model', () => {
  it('reports the same figures per model as a map fed every call, whatever the models and the bound (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.array(call, { maxLength: 30 }), (maxModels, calls) => {
        const scope = new ScopeAccumulator(maxModels);
        // Read after every call: reading must not change what comes next.
        const readings = calls.map((record) => {
          scope.add(record);
          return scope.toJSON();
        });
        expect(readings).toEqual(calls.map((_, index) => reference(maxModels, calls.slice(0, index + 1))));
        expect(scope.toJSON()).toEqual(reference(maxModels, calls));
        scope.reset();
        expect(scope.toJSON()).toEqual(reference(maxModels, []));
      }),
      { numRuns: 300 },
    );
  });
});
