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
  /** The cluster's reset generation at the last flush (`reset({ cluster: true })`); null before the first. */
  private resets: string | null = null;

  constructor(
    private readonly maxModels: number,
    readonly sessions: RedisSessionViews,
    private readonly sender: RedisChunkSender,
  ) {
    this.global = new ScopeDelta(maxModels);
  }

  reset(): void {
    this.global = new ScopeDelta(this.maxModels);
    this.sessions.clear();
    this.refusedSessionCount = 0;
  }

  /**
   * A replica reset the cluster's figures since the last flush: the sessions cached here and this replica's
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

  /** Applies a chunk's answer: the cluster's global figures (final chunk), its sessions, the ends this replica won. */
  apply(chunk: FlushChunk, flush: InFlightFlush, reply: FlushReply, clockOffset: number): void {
    const [status, , globalFlat, activeCount, sessionsFlat, won, , refused, , lifecyclesFlat] = reply;
    if (chunk.kind === 'd') {
      if (status === 1) {
        this.refusedSessionCount += refused;
      }
      // In Redis now, and in the reply below: no longer shown from the buffer too.
      for (const [sessionId] of chunk.sessions) {
        flush.buffer.sessions.delete(sessionId);
      }
    }
    if (chunk.final) {
      const globalFields = pairsOf(globalFlat);
      this.noteResets(globalFields.get('resets') ?? '', chunk);
      this.global = ScopeDelta.fromHash(globalFields, this.maxModels);
      this.sender.seenCalls = this.global.total.callCount;
      this.sessions.remoteActiveCount = activeCount;
    }
    if (chunk.kind === 'd') {
      const own = new Map(chunk.sessions);
      for (let i = 0; i + 1 < lifecyclesFlat.length; i += 2) {
        const sessionId = lifecyclesFlat[i] as string;
        const view = own.get(sessionId);
        if (view !== undefined) {
          this.sessions.addOwn(sessionId, view, lifecyclesFlat[i + 1] as string[], clockOffset);
        }
      }
    }
    for (let i = 0; i + 1 < sessionsFlat.length; i += 2) {
      const sessionId = sessionsFlat[i] as string;
      const view = this.sessions.putRemote(sessionId, pairsOf(sessionsFlat[i + 1] as string[]), clockOffset);
      if (view.endedAt !== 0) {
        this.sender.contribution.noteEnd(sessionId, view.endedAt);
      }
    }
    for (let i = 0; i + 1 < won.length; i += 2) {
      const session = this.sessions.session(won[i]);
      if (session !== undefined) {
        this.onSessionEnd?.(session, won[i + 1] as HfSessionEndReason);
      }
    }
  }
}
