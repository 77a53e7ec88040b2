import { describe, expect, it } from 'vitest';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import { ScopeAccumulator } from '../stats/stats-accumulator.js';
import { ScopeDelta } from './scope-delta.js';
import { callAttempts } from '../stats/call-record.fixture.js';

function call(index: number): HfCallRecord {
  const ok = index % 5 !== 0;
  return {
    sessionId: undefined,
    model: ['a/model', 'b|odd model', 'c:model'][index % 3],
    // Two providers: within the bound of the merge spec below, as its three models are not.
    provider: ['together', 'p|odd'][index % 2],
    billTo: index % 3 === 0 ? 'org:1' : undefined,
    operation: undefined,
    textCount: index % 4,
    characterCount: index % 6 === 0 ? undefined : index * 3,
    durationMs: 0.25 + ((index * 53) % 900) / 7,
    ok,
    errorType: ok ? undefined : ['429', 'Type|Error', 'timeout'][index % 3],
    endedAt: 1_764_000_000_000 + index * 11,
    inputTokens: index % 4 === 0 ? undefined : index,
    outputTokens: index % 4 === 0 ? undefined : 1,
    computeTimeMs: undefined,
    attempts: callAttempts({
      count: 1 + (index % 2),
      rateLimitedCount: index % 2,
      statusCodes: index % 2 === 0 ? [200] : [429, 200],
      invalidHeaderCount: index % 7 === 0 ? 1 : 0,
    }),
    costNanoUsd: index % 2 === 0 ? 17 : undefined,
    priceSource:
      index % 2 === 0
        ? (['userRule', 'routerTable', 'computeTime'] as const)[index % 3]
        : index % 3 === 0
          ? 'unitUnmeasured'
          : 'noRule',
  };
}

/**
 * An order of a hash's fields: one field of each of the models 0 to 49, then every field of the
 * models from 50, then the rest; read with a bound of 50, the last ones would take slots halfway.
 */
function fieldPhase([field]: [string, string]): number {
  const index = Number(/^m:model-(\d+)\|/.exec(field)?.[1] ?? -1);
  return index >= 50 ? 1 : index >= 0 && field.endsWith('|totalTimeMs') ? 0 : 2;
}

/** What the flush script does to a hash, in JS: the reference the Redis tests check the script against. */
function apply(hash: Record<string, string>, ops: string[]): void {
  for (let i = 0; i < ops.length; i += 3) {
    const [op, field, value] = [ops[i], ops[i + 1], ops[i + 2]];
    const current = hash[field] === undefined ? undefined : Number(hash[field]);
    if (op === 'i' || op === 'f') {
      hash[field] = String((current ?? 0) + Number(value));
    } else if (current === undefined || (op === '<' ? Number(value) < current : Number(value) > current)) {
      hash[field] = value;
    }
  }
}

describe('ScopeDelta', () => {
  it('deltas written as hash increments in several flushes read back as the figures of every call', () => {
    const expected = new ScopeAccumulator(50);
    const hash: Record<string, string> = {};
    let delta = new ScopeDelta(50);
    for (let i = 1; i <= 300; i++) {
      expected.add(call(i));
      delta.add(call(i));
      if (i % 70 === 0) {
        const ops: string[] = [];
        delta.writeOps(ops);
        apply(hash, ops);
        delta = new ScopeDelta(50);
      }
    }
    const ops: string[] = [];
    delta.writeOps(ops);
    apply(hash, ops);
    const json = ScopeDelta.fromHash(Object.entries(hash), 50).toJSON();
    const reference = expected.toJSON();
    // Sums of fractional milliseconds may differ in the last bits with another grouping; everything else is exact.
    expect(json.totalTimeMs).toBeCloseTo(reference.totalTimeMs, 6);
    expect({ ...json, totalTimeMs: 0, avgTimeMs: 0 }).toEqual({ ...reference, totalTimeMs: 0, avgTimeMs: 0 });
  });

  it('merges like adding the calls, and keeps maxModels names apart then counts the rest under "other"', () => {
    const left = new ScopeDelta(2);
    const right = new ScopeDelta(2);
    const expected = new ScopeAccumulator(2);
    for (let i = 0; i < 30; i++) {
      (i < 15 ? left : right).add(call(i));
      expected.add(call(i));
    }
    expect(left.merge(right).toJSON()).toEqual(expected.toJSON());
  });

  it('keeps a model that carries real traffic visible when junk names took every slot first', () => {
    const delta = new ScopeDelta(50);
    for (let i = 0; i < 150; i++) {
      delta.add({ ...call(i), model: i < 50 ? `junk-${i}` : 'real/model' });
    }
    const { byModel, callCount } = delta.toJSON();
    expect(byModel['real/model'].callCount).toBeGreaterThanOrEqual(95);
    expect(Object.keys(byModel).length).toBeLessThanOrEqual(51);
    expect(Object.values(byModel).reduce((sum, model) => sum + model.callCount, 0)).toBe(callCount);
  });

  it('reads a hash with more models than its bound in any field order without losing a figure', () => {
    const wide = new ScopeDelta(60);
    for (let i = 0; i < 550; i++) {
      wide.add({ ...call(i), model: `model-${i % 55}` });
    }
    const ops: string[] = [];
    wide.writeOps(ops);
    const hash: Record<string, string> = {};
    apply(hash, ops);
    // Redis returns fields in no useful order: see fieldPhase.
    const shuffled = new Map(Object.entries(hash).toSorted((a, b) => fieldPhase(a) - fieldPhase(b)));
    const json = ScopeDelta.fromHash(shuffled, 50).toJSON();
    const models = Object.values(json.byModel);
    expect(models.length).toBeLessThanOrEqual(51);
    expect(models.reduce((sum, model) => sum + model.callCount, 0)).toBe(550);
    expect(models.reduce((sum, model) => sum + model.textCount, 0)).toBe(json.textCount);
    expect(models.reduce((sum, model) => sum + model.totalTimeMs, 0)).toBeCloseTo(json.totalTimeMs, 2);
    expect(json.byModel.other.p99TimeMs).not.toBeNull();
  });

  it('is empty until a call is added', () => {
    const delta = new ScopeDelta(50);
    expect(delta.isEmpty).toBe(true);
    const ops: string[] = [];
    delta.writeOps(ops);
    expect(ops).toEqual([]);
    delta.add(call(1));
    expect(delta.isEmpty).toBe(false);
  });
});
