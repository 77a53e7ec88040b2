import {
  END_COST_ARGS,
  FINAL_CHUNK_ARGS,
  GLOBAL_SCAN,
  MAX_CHUNK_ARGS,
  NAME_COST_ARGS,
  readChunk,
  SCOPE_COST_ARGS,
  type ChunkReads,
  type FlushChunk,
  type SessionView,
} from './redis-flush-plan.js';
import { ScopeDelta } from './scope-delta.js';

function scopeOps(delta: ScopeDelta): string[] {
  const ops: string[] = [];
  delta.writeOps(ops);
  return ops;
}

function header(sessionId: string, view: Omit<SessionView, 'delta'> | undefined, piece: boolean, triples: number) {
  return [
    sessionId,
    String(view?.startedAt ?? 0),
    String(view?.lastActivityAt ?? 0),
    String(view?.endedAt ?? 0),
    piece ? '1' : '0',
    String(triples),
  ];
}

/** Whether an op begins a dimension name's figures (its first is callCount), which the script admits or not. */
function beginsName(field: string): boolean {
  return field.endsWith('|callCount') && !field.startsWith('t|');
}

/**
 * How far from `start` the ops fit in `room` (each triple 3 arguments, plus NAME_COST_ARGS where a name begins, and
 * at least one triple when the room is a whole chunk's): the end index, and the cost taken.
 */
function fill(ops: string[], start: number, room: number): [number, number] {
  let end = start;
  let cost = 0;
  while (end < ops.length) {
    const triple = 3 + (beginsName(ops[end + 1]) ? NAME_COST_ARGS : 0);
    if (cost + triple > room && !(end === start && room >= CAPACITY - 6 - SCOPE_COST_ARGS)) {
      break;
    }
    cost += triple;
    end += 3;
  }
  return [end, cost];
}

/** The chunk's work a packer may fill: MAX_CHUNK_ARGS but for the body's two counts (scopes, ends). */
const CAPACITY = MAX_CHUNK_ARGS - 2;

/** Fills chunks of at most MAX_CHUNK_ARGS arguments, in order; a scope too big for the room left is cut in pieces. */
class ChunkPacker {
  readonly chunks: FlushChunk[] = [];
  private scopes: string[] = [];
  private scopeCount = 0;
  private members: Array<[string, SessionView]> = [];
  private ends: Array<[string, number]> = [];
  private global: ScopeDelta | undefined;
  private size = 0;

  constructor(
    private readonly kind: 'd' | 'r',
    private readonly totals: { seenCalls: number; restoredCalls: number },
  ) {}

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** Adds a scope's ops: whole when they fit, else in pieces (the first creates the session, the rest never do). */
  addScope(sessionId: string, view: Omit<SessionView, 'delta'> | undefined, ops: string[]): void {
    let start = 0;
    const fixed = 6 + SCOPE_COST_ARGS;
    do {
      let [end, cost] = fill(ops, start, CAPACITY - this.size - fixed);
      if (end === start || (start === 0 && end < ops.length && this.size > CAPACITY / 2)) {
        this.close(false);
        [end, cost] = fill(ops, start, CAPACITY - fixed);
      }
      // concat, not push(...ops): a scope may hold thousands of arguments.
      const args = header(sessionId, view, start > 0, (end - start) / 3).concat(ops.slice(start, end));
      for (const arg of args) {
        this.scopes.push(arg);
      }
      this.scopeCount += 1;
      this.size += fixed + cost;
      start = end;
    } while (start < ops.length);
  }

  /** The session (or, with `undefined`, the global figures) whose last piece the current chunk holds. */
  finishScope(member: [string, SessionView] | ScopeDelta): void {
    if (member instanceof ScopeDelta) {
      this.global = member;
    } else {
      this.members.push(member);
    }
  }

  addEnd(sessionId: string, endedAt: number): void {
    if (this.size + 2 + END_COST_ARGS > CAPACITY) {
      this.close(false);
    }
    this.ends.push([sessionId, endedAt]);
    this.size += 2 + END_COST_ARGS;
  }

  close(isFinal: boolean): void {
    const body = [String(this.scopeCount)].concat(this.scopes);
    body.push(String(this.ends.length));
    for (const [sessionId, endedAt] of this.ends) {
      body.push(sessionId, String(endedAt));
    }
    const first = this.chunks.length === 0;
    this.chunks.push({
      seq: undefined,
      kind: this.kind,
      final: isFinal,
      body,
      sessions: this.members,
      ends: this.ends,
      global: this.global,
      seenCalls: first ? this.totals.seenCalls : 0,
      restoredCalls: first ? this.totals.restoredCalls : 0,
      reads: undefined,
    });
    this.scopes = [];
    this.scopeCount = 0;
    this.members = [];
    this.ends = [];
    this.global = undefined;
    this.size = 0;
  }
}

/**
 * Cuts sessions, ends and the global figures into chunks of at most MAX_CHUNK_ARGS arguments (a scope too big is cut
 * in pieces, each applied once like any chunk). With `finalChunk`, the flush ends with the chunk that reads the
 * cluster's view back: the last write chunk when it is small (FINAL_CHUNK_ARGS), else a reads-only chunk after it.
 */
export function planChunks(
  kind: 'd' | 'r',
  sessions: Iterable<[string, SessionView]>,
  global: ScopeDelta | undefined,
  ends: Iterable<[string, number]>,
  finalChunk: boolean,
  totals: { seenCalls: number; restoredCalls: number } = { seenCalls: 0, restoredCalls: 0 },
): FlushChunk[] {
  const packer = new ChunkPacker(kind, totals);
  for (const member of sessions) {
    const [sessionId, view] = member;
    packer.addScope(sessionId, view, scopeOps(view.delta));
    packer.finishScope(member);
  }
  // Ends after the sessions' figures, so that a session's last calls count in its end.
  for (const [sessionId, endedAt] of ends) {
    packer.addEnd(sessionId, endedAt);
  }
  if (global !== undefined && !global.isEmpty) {
    packer.addScope('', undefined, scopeOps(global));
    packer.finishScope(global);
  }
  const chunks = packer.chunks;
  if (!packer.isEmpty || totals.seenCalls > 0) {
    packer.close(false);
  }
  if (finalChunk) {
    const last = chunks.at(-1);
    const reads: ChunkReads = { list: true, sweep: true, ids: [], scan: GLOBAL_SCAN };
    if (last !== undefined && last.body.length <= FINAL_CHUNK_ARGS) {
      chunks[chunks.length - 1] = { ...last, final: true, reads };
    } else {
      // A flush always ends with a chunk that reads the cluster's figures back.
      chunks.push(readChunk(reads, true));
    }
  }
  return chunks;
}

/**
 * The chunks of a flush not yet applied, planned again from what they write (after Redis lost its data: the pieces
 * of a scope already applied are gone with it, so the scopes whose last piece was not applied are sent whole).
 */
export function replanRest(rest: FlushChunk[]): FlushChunk[] {
  const writes = rest.filter((chunk) => chunk.kind === 'd');
  const reads = rest.filter((chunk) => chunk.kind === 'q');
  if (writes.length === 0) {
    return reads;
  }
  const final = writes.find((chunk) => chunk.final);
  const planned = planChunks(
    'd',
    writes.flatMap((chunk) => chunk.sessions),
    writes.find((chunk) => chunk.global !== undefined)?.global,
    writes.flatMap((chunk) => chunk.ends),
    final !== undefined,
  );
  const plannedFinal = planned.at(-1);
  if (final?.reads !== undefined && plannedFinal !== undefined) {
    // The sessions the old final chunk was to read, the new one reads.
    plannedFinal.reads = final.reads;
  }
  // A hash read in pieces in the lost epoch is read again from its start.
  return planned.concat(
    reads.map((chunk) =>
      chunk.reads?.scan === undefined
        ? chunk
        : { ...chunk, reads: { ...chunk.reads, scan: { id: chunk.reads.scan.id, cursor: '0' } } },
    ),
  );
}
