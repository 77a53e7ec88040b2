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
  };
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
