import type { HfSessionEndReason } from '../stats/hf-stats.interfaces.js';
import type { HfSessionEndHandler } from './hf-stats-store.js';
import type { RedisChunkSender } from './redis-chunk-sender.js';
import type { FlushChunk, InFlightFlush } from './redis-flush-plan.js';
import type { FlushReply } from './redis-script-runner.js';
import type { RedisSessionViews } from './redis-session-views.js';
import { ScopeDelta } from './scope-delta.js';

function pairsOf(flat: string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    fields.set(flat[i], flat[i + 1]);
  }
  return fields;
}

/**
 * What this replica knows of the cluster, read back from each flush's replies: the global figures at the last
 * flush, the cached sessions (`RedisSessionViews`), the sessions Redis refused at `maxSessions`; and the session
 * ends this replica won, which it tells its listeners.
 */
export class RedisClusterView {
  /** The cluster's global figures at the last flush. */
  global: ScopeDelta;
  /** New sessions Redis refused at `maxSessions`. */
  refusedSessionCount = 0;
  onSessionEnd: HfSessionEndHandler | undefined;
  /** Sessions this replica ended in Redis, told once they are read back: id → reason. */
  private readonly pendingEnds = new Map<string, HfSessionEndReason>();
  /** The hash being read in pieces, its fields so far (bounded by the hash: maxModels names). */
  private scanning: { id: string; fields: Map<string, string> } | undefined;
  /** The cluster's reset generation at the last flush (`reset({ cluster: true })`); null before the first. */
  private resets: string | null = null;

  constructor(
    private readonly maxModels: number,
    private readonly maxSessions: number,
    readonly sessions: RedisSessionViews,
    private readonly sender: RedisChunkSender,
  ) {
    this.global = new ScopeDelta(maxModels);
  }

  reset(): void {
    this.global = new ScopeDelta(this.maxModels);
    this.sessions.clear();
    this.refusedSessionCount = 0;
    this.pendingEnds.clear();
    this.scanning = undefined;
  }

  /**
   * A replica reset the cluster's figures since the last chunk: the sessions cached here and this replica's
   * contribution of before are gone (but for this chunk, which Redis applied after the reset).
   */
  private noteResets(resets: string, chunk: FlushChunk): void {
    // No generation: Redis lost its data (a new epoch, restored from the contributions), which is no reset.
    if (this.resets !== null && resets !== '' && resets !== this.resets) {
      this.sessions.clear();
      this.sender.contribution.clear();
      if (chunk.kind === 'd') {
        this.sender.contribution.add(chunk);
      }
    }
    this.resets = resets;
  }

  /**
   * Applies a chunk's answer: the cluster's global figures (when it listed), the sessions it read, the lifecycles
   * of the sessions it wrote, the ends this replica won (told once the session is read, with the cluster's figures).
   */
  apply(chunk: FlushChunk, flush: InFlightFlush, reply: FlushReply, clockOffset: number): void {
    const [status, , scan, activeCount, sessionsFlat, won, , refused, , lifecyclesFlat, unread, resets] = reply;
    this.noteResets(resets, chunk);
    if (chunk.kind === 'd') {
      if (status === 1) {
        this.refusedSessionCount += refused;
      }
      // In Redis now: shown from the cache (with what this replica wrote added), no longer from the buffer too.
      const own = new Map(chunk.sessions);
      for (let i = 0; i + 1 < lifecyclesFlat.length; i += 2) {
        const sessionId = lifecyclesFlat[i] as string;
        const view = own.get(sessionId);
        if (view !== undefined) {
          this.sessions.addOwn(sessionId, view, lifecyclesFlat[i + 1] as string[], clockOffset);
        }
      }
      for (const [sessionId] of chunk.sessions) {
        flush.buffer.sessions.delete(sessionId);
      }
    }
    if (chunk.reads?.list === true || chunk.reads?.sweep === true) {
      this.sessions.remoteActiveCount = activeCount;
    }
    for (let i = 0; i + 1 < sessionsFlat.length; i += 2) {
      const sessionId = sessionsFlat[i] as string;
      const view = this.sessions.putRemote(sessionId, pairsOf(sessionsFlat[i + 1] as string[]), clockOffset);
      if (view.endedAt !== 0) {
        this.sender.contribution.noteEnd(sessionId, view.endedAt);
      }
    }
    const notYet = new Set(unread);
    if (scan.length === 3) {
      this.applyScan(scan, clockOffset);
      if (scan[1] !== '0') {
        notYet.add(scan[0]);
      }
    }
    this.tellEnds(won, notYet);
  }

  /** Redis lost its data: what was cached, and a hash read in pieces, are of the lost epoch. */
  dataLost(): void {
    this.sessions.clear();
    this.scanning = undefined;
  }

  /** Adds a piece of a hash read in pieces; the whole hash, once read, replaces the cached figures. */
  private applyScan([id, cursor, flat]: [string, string, string[]], clockOffset: number): void {
    if (this.scanning?.id !== id) {
      this.scanning = { id, fields: new Map() };
    }
    const fields = this.scanning.fields;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      fields.set(flat[i], flat[i + 1]);
    }
    if (cursor !== '0') {
      return;
    }
    this.scanning = undefined;
    if (id === '') {
      this.global = ScopeDelta.fromHash(fields, this.maxModels);
      this.sender.seenCalls = this.global.total.callCount;
    } else {
      const view = this.sessions.putRemote(id, fields, clockOffset);
      if (view.endedAt !== 0) {
        this.sender.contribution.noteEnd(id, view.endedAt);
      }
    }
  }

  /** Tells the ends won, each once its session is read (or known gone); bounded by maxSessions waiting. */
  private tellEnds(won: string[], unread: Set<string>): void {
    for (let i = 0; i + 1 < won.length; i += 2) {
      this.pendingEnds.delete(won[i]);
      this.pendingEnds.set(won[i], won[i + 1] as HfSessionEndReason);
    }
    for (const [sessionId, reason] of this.pendingEnds) {
      if (!unread.has(sessionId) || this.pendingEnds.size > this.maxSessions) {
        this.pendingEnds.delete(sessionId);
        const session = this.sessions.session(sessionId);
        if (session !== undefined) {
          this.onSessionEnd?.(session, reason);
        }
      }
    }
  }
}
