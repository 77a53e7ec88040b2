import { ScopeDelta } from './scope-delta.js';

/**
 * Arguments of one script call past which a chunk is closed: bounds the stack, the request and Redis's pause. The
 * script costs about 1 µs per argument on a 2-core machine (SLOWLOG): 1,500 keeps a chunk near 2 ms (8,000 took
 * 10 to 26 ms). A session of maxModels models is one scope, never split, so it can take longer.
 */
export const MAX_CHUNK_ARGS = 1_500;

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

/**
 * One script call of a flush. Its number is given when it is first sent and kept for its retries, so that the
 * script applies it at most once, and numbers rise in the order chunks are sent (restore chunks included).
 */
export interface FlushChunk {
  seq: number | undefined;
  /** `d`: figures recorded here; `r`: this replica's whole contribution again, after Redis lost its data. */
  readonly kind: 'd' | 'r';
  /** The last chunk of a flush: sweeps idle sessions and reads the cluster's figures back. */
  readonly final: boolean;
  /** Scopes and ends, as the script reads them after its fixed arguments. */
  readonly body: string[];
  /** The sessions it writes (for `d`: what moves from the buffer to the contribution once applied). */
  readonly sessions: Array<[string, SessionView]>;
  /** For `d` final chunks: the global figures it writes. */
  readonly global: ScopeDelta | undefined;
  /** For the first `r` chunk: the cluster's call count this replica last saw, and the calls it restores. */
  readonly seenCalls: number;
  readonly restoredCalls: number;
}

/** A flush under way: its buffer stays visible to readers until its chunks are applied. */
export interface InFlightFlush {
  readonly buffer: FlushBuffer;
  readonly chunks: FlushChunk[];
  next: number;
}

function scopeArgs(
  sessionId: string,
  delta: ScopeDelta,
  view: Omit<SessionView, 'delta'> | undefined,
  readBack: boolean,
): string[] {
  const ops: string[] = [];
  delta.writeOps(ops);
  const header = [
    sessionId,
    String(view?.startedAt ?? 0),
    String(view?.lastActivityAt ?? 0),
    String(view?.endedAt ?? 0),
    readBack ? '1' : '0',
    String(ops.length / 3),
  ];
  // concat, not push(...ops): a scope may hold thousands of arguments.
  return header.concat(ops);
}

/**
 * Cuts sessions, ends and (in the last chunk) the global figures into chunks of about MAX_CHUNK_ARGS arguments
 * (a scope is never split; one scope is bounded by maxModels).
 */
export function planChunks(
  kind: 'd' | 'r',
  sessions: Iterable<[string, SessionView]>,
  global: ScopeDelta | undefined,
  ends: Iterable<[string, number]>,
  finalChunk: boolean,
  totals: { seenCalls: number; restoredCalls: number } = { seenCalls: 0, restoredCalls: 0 },
  /** Whether to read a session's figures back in full (else its lifecycle only). */
  readBack: (sessionId: string) => boolean = () => false,
): FlushChunk[] {
  const chunks: FlushChunk[] = [];
  let scopes: string[][] = [];
  let members: Array<[string, SessionView]> = [];
  let endArgs: string[] = [];
  let size = 0;
  const close = (isFinal: boolean, chunkGlobal: ScopeDelta | undefined): void => {
    const body: string[] = [String(scopes.length)];
    for (const args of scopes) {
      for (const arg of args) {
        body.push(arg);
      }
    }
    body.push(String(endArgs.length / 2));
    for (const arg of endArgs) {
      body.push(arg);
    }
    const first = chunks.length === 0;
    chunks.push({
      seq: undefined,
      kind,
      final: isFinal,
      body,
      sessions: members,
      global: chunkGlobal,
      seenCalls: first ? totals.seenCalls : 0,
      restoredCalls: first ? totals.restoredCalls : 0,
    });
    scopes = [];
    members = [];
    endArgs = [];
    size = 0;
  };
  for (const [sessionId, view] of sessions) {
    const args = scopeArgs(sessionId, view.delta, view, readBack(sessionId));
    if (size > 0 && size + args.length > MAX_CHUNK_ARGS) {
      close(false, undefined);
    }
    scopes.push(args);
    members.push([sessionId, view]);
    size += args.length;
  }
  // Ends after the sessions' figures, so that a session's last calls count in its end.
  for (const [sessionId, endedAt] of ends) {
    if (size + 2 > MAX_CHUNK_ARGS) {
      close(false, undefined);
    }
    endArgs.push(sessionId, String(endedAt));
    size += 2;
  }
  const globalArgs = global === undefined || global.isEmpty ? undefined : scopeArgs('', global, undefined, false);
  if (globalArgs !== undefined) {
    if (size > 0 && size + globalArgs.length > MAX_CHUNK_ARGS) {
      close(false, undefined);
    }
    scopes.push(globalArgs);
    size += globalArgs.length;
  }
  // A flush always ends with one chunk, even empty: it reads the cluster's figures back.
  if (finalChunk || size > 0 || totals.seenCalls > 0) {
    close(finalChunk, globalArgs === undefined ? undefined : global);
  }
  return chunks;
}
