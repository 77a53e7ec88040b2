import { describe, expect, it } from 'vitest';
import { callRecord } from '../stats/call-record.fixture.js';
import { planChunks, replanRest } from './redis-chunk-planner.js';
import { FINAL_CHUNK_ARGS, MAX_CHUNK_ARGS, SCOPE_COST_ARGS, type SessionView } from './redis-flush-plan.js';
import { ScopeDelta } from './scope-delta.js';

/** A session of `models` models, one call each. */
function session(models: number): SessionView {
  const delta = new ScopeDelta(models);
  for (let m = 0; m < models; m++) {
    delta.add(callRecord({ model: `model-${m}`, endedAt: 1_000 }));
  }
  return { delta, startedAt: 1_000, lastActivityAt: 1_000, endedAt: 0 };
}

/** The scopes of a chunk's body: id, piece flag, triple count. */
function scopesOf(body: string[]): Array<{ id: string; piece: string; triples: number }> {
  const scopes = [];
  let i = 1;
  for (let s = 0; s < Number(body[0]); s++) {
    scopes.push({ id: body[i], piece: body[i + 4], triples: Number(body[i + 5]) });
    i += 6 + 3 * Number(body[i + 5]);
  }
  return scopes;
}

/** A chunk's work as the planner counts it: its arguments plus the fixed cost of each scope. */
function costOf(body: string[]): number {
  return body.length + SCOPE_COST_ARGS * Number(body[0]);
}

describe('planChunks: bounded chunks, a big scope in pieces', () => {
  it('cuts a session of 50 models into pieces within MAX_CHUNK_ARGS, the first creating it, each triple once', () => {
    const big = session(50);
    const ops: string[] = [];
    big.delta.writeOps(ops);
    expect(ops.length).toBeGreaterThan(MAX_CHUNK_ARGS);
    const chunks = planChunks('d', [['big', big]], undefined, [], true);
    const writes = chunks.filter((chunk) => chunk.kind === 'd');
    expect(writes.length).toBeGreaterThan(1);
    for (const chunk of writes) {
      expect(costOf(chunk.body)).toBeLessThanOrEqual(MAX_CHUNK_ARGS);
    }
    const pieces = writes.flatMap((chunk) => scopesOf(chunk.body));
    expect(pieces.map((piece) => piece.piece)).toEqual(['0', ...pieces.slice(1).map(() => '1')]);
    expect(pieces.reduce((sum, piece) => sum + piece.triples, 0)).toBe(ops.length / 3);
    // The session counts (contribution, buffer) with its last piece only.
    expect(writes.map((chunk) => chunk.sessions.length)).toEqual([...writes.slice(1).map(() => 0), 1]);
  });

  it('ends with the chunk that reads: the last write chunk when small, else a reads-only chunk', () => {
    const small = planChunks('d', [['a', session(1)]], undefined, [], true);
    expect(small).toHaveLength(1);
    expect(small[0].final && small[0].kind === 'd' && small[0].reads?.list === true).toBe(true);
    const seen = new Set<string>();
    // One model with n latency buckets: a dense scope from a few dozen arguments to more than a chunk holds.
    for (let n = 1; n <= 300; n += 3) {
      const delta = new ScopeDelta(1);
      for (let c = 0; c < n; c++) {
        delta.add(callRecord({ model: 'dense', durationMs: 1.05 ** c, endedAt: 1_000 }));
      }
      const dense: SessionView = { delta, startedAt: 1_000, lastActivityAt: 1_000, endedAt: 0 };
      const chunks = planChunks('d', [[`s-${n}`, dense]], undefined, [], true);
      const last = chunks[chunks.length - 1];
      expect(chunks.filter((chunk) => chunk.final)).toEqual([last]);
      // A reads-only chunk exactly when the last write chunk is too big to read as well.
      const readsApart = last.kind === 'q';
      const lastWrite = readsApart ? chunks[chunks.length - 2] : last;
      expect([readsApart, lastWrite.body.length > FINAL_CHUNK_ARGS]).toEqual([readsApart, readsApart]);
      expect(last.body.length === 2 || !readsApart).toBe(true);
      seen.add(last.kind);
    }
    expect([...seen].toSorted()).toEqual(['d', 'q']);
  });

  it('plans the rest of a flush again whole after a loss: a session whose first pieces were applied is sent whole', () => {
    const chunks = planChunks('d', [['big', session(50)]], undefined, [['other', 5]], true);
    const rest = replanRest(chunks.slice(1));
    const pieces = rest.flatMap((chunk) => scopesOf(chunk.body));
    expect(pieces[0]).toMatchObject({ id: 'big', piece: '0' });
    expect(pieces.reduce((sum, piece) => sum + piece.triples, 0)).toBe(
      chunks.flatMap((chunk) => scopesOf(chunk.body)).reduce((sum, piece) => sum + piece.triples, 0),
    );
    expect(rest.flatMap((chunk) => chunk.ends)).toEqual([['other', 5]]);
    expect(rest.filter((chunk) => chunk.final)).toHaveLength(1);
    expect(rest.every((chunk) => chunk.seq === undefined)).toBe(true);
  });
});
