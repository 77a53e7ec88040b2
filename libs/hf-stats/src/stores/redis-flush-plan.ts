import { ScopeDelta } from './scope-delta.js';

/**
 * Arguments of one script call past which a chunk is closed: bounds the stack, the request and Redis's pause. The
 * script costs 1 to 3 µs of Redis CPU per argument on the 2-core bench machine under load (bench/redis-scale.mjs): 800 keeps
 * a chunk under 2 ms. A scope with more arguments (a session of 50 models has some 3,500) is cut in pieces.
 */
export const MAX_CHUNK_ARGS = 800;

/**
 * The fixed work of a scope (session creation, lifecycle, indexes: some 15 Redis commands) and of an end, counted
 * as arguments against MAX_CHUNK_ARGS: a chunk of small sessions costs about what a chunk of one big one does.
 */
export const SCOPE_COST_ARGS = 40;
/** A dimension name met for the first time in a chunk costs its admission (3 commands) more. */
export const NAME_COST_ARGS = 9;
export const END_COST_ARGS = 16;

/**
 * Hash fields one call reads at most (HGETALL costs 0.2 to 0.6 µs of Redis CPU per field there: 2,500 stay under
 * 2 ms); a hash larger than that is read in pieces (HSCAN) over several calls. A written argument costs about as
 * much as 3 fields read (WRITE_ARG_IN_FIELDS), so a chunk that writes reads less.
 */
export const READ_BUDGET_FIELDS = 2_500;
export const WRITE_ARG_IN_FIELDS = 3;

/**
 * The largest write chunk that also reads the cluster's view back (else a reads-only chunk follows it): a flush of
 * the global figures of a few models, the common case, stays one round trip.
 */
export const FINAL_CHUNK_ARGS = 700;

/**
 * Idle sessions one call ends at most (fewer in a call that writes: an end costs about as much as END_IN_FIELDS fields
 * read, taken from its read budget), and expired entries it deletes at most from each session index.
 */
export const SWEEP_LIMIT = 100;
export const END_IN_FIELDS = 15;

/** How many idle sessions a call may end: within its read budget, at least one (the sweep always moves on). */
export function sweepLimitOf(chunk: FlushChunk): number {
  const reads = chunk.reads;
  if (reads === undefined || (!reads.list && !reads.sweep)) {
    return 0;
  }
  return Math.max(1, Math.min(SWEEP_LIMIT, Math.floor(readBudgetOf(chunk) / END_IN_FIELDS)));
}
export const TRIM_LIMIT = 500;

/** Session ids one call asks to read at most (the replica keeps the rest for the next calls). */
export const MAX_READ_IDS = 200;

/** The figures of one session buffered, contributed or read back, with its lifecycle (epoch ms, this replica's clock). */
export interface SessionView {
  delta: ScopeDelta;
  startedAt: number;
  lastActivityAt: number;
  /** 0 while active. */
  endedAt: number;
}

/** What this replica has recorded since its last flush started. */
export class FlushBuffer {
  readonly global: ScopeDelta;
  readonly sessions = new Map<string, SessionView>();
  /** Sessions ended here by `endSession`, to end cluster-wide: id → endedAt. */
  readonly ends = new Map<string, number>();

  constructor(readonly maxModels: number) {
    this.global = new ScopeDelta(maxModels);
  }

  get isEmpty(): boolean {
    return this.global.isEmpty && this.sessions.size === 0 && this.ends.size === 0;
  }

  get callCount(): number {
    return this.global.total.callCount;
  }
}

/** What a chunk reads back after its writes (docs/redis-protocol.md, "Bounded calls"). */
export interface ChunkReads {
  /** The flush's cluster view: sweep idle sessions, trim the indexes, list, read the global figures. */
  readonly list: boolean;
  /** Sweep and trim again without listing (the last call stopped at a limit). */
  readonly sweep: boolean;
  /** Sessions to read in full, oldest wish first (at most MAX_READ_IDS). */
  readonly ids: string[];
  /** The hash read in pieces ('' the global one), from its cursor ('0' first). */
  readonly scan: { readonly id: string; readonly cursor: string } | undefined;
}

/**
 * One script call of a flush. Its number is given when it is first sent and kept for its retries, so that the
 * script applies it at most once, and numbers rise in the order chunks are sent (restore chunks included).
 */
export interface FlushChunk {
  seq: number | undefined;
  /** `d`: figures recorded here; `r`: this replica's whole contribution again, after Redis lost its data; `q`: reads only. */
  readonly kind: 'd' | 'r' | 'q';
  /** The chunk that reads the cluster's view back (`reads.list`); its answer ends the flush's buffer. */
  readonly final: boolean;
  /** Scopes and ends, as the script reads them after its fixed arguments. */
  readonly body: string[];
  /** The sessions whose last piece it writes (for `d`: what moves from the buffer to the contribution once applied). */
  readonly sessions: Array<[string, SessionView]>;
  /** The explicit ends it writes. */
  readonly ends: Array<[string, number]>;
  /** The global figures whose last piece it writes. */
  readonly global: ScopeDelta | undefined;
  /** For the first `r` chunk: the cluster's call count this replica last saw, and the calls it restores. */
  readonly seenCalls: number;
  readonly restoredCalls: number;
  /** What it reads after its writes. */
  reads: ChunkReads | undefined;
}

/** A flush under way: its buffer stays visible to readers until its chunks are applied. */
export interface InFlightFlush {
  readonly buffer: FlushBuffer;
  readonly chunks: FlushChunk[];
  next: number;
}

/** What the chunk that lists reads first: the global hash, from its start. */
export const GLOBAL_SCAN = { id: '', cursor: '0' } as const;

/** The hash fields a chunk may still read, after what it writes (a written argument costs some 6 field reads). */
export function readBudgetOf(chunk: FlushChunk): number {
  return Math.max(0, READ_BUDGET_FIELDS - WRITE_ARG_IN_FIELDS * chunk.body.length);
}

/** A chunk that only reads (kind `q`): no number, no writes. */
export function readChunk(reads: ChunkReads, final = false): FlushChunk {
  return {
    seq: undefined,
    kind: 'q',
    final,
    body: ['0', '0'],
    sessions: [],
    ends: [],
    global: undefined,
    seenCalls: 0,
    restoredCalls: 0,
    reads,
  };
}
