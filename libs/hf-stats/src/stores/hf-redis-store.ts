import { Logger } from '@nestjs/common';
import { redisFlushFailure, redisUnwrittenAtClose } from '../hf-stats.messages.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionEndReason, HfSessionStats, HfStats } from '../stats/hf-stats.interfaces.js';
import type { HfSessionEndHandler, HfStatsStore } from './hf-stats-store.js';
import type { HfSessionPageOf, HfSessionPageQuery } from '../sessions/session-page.js';
import type { HfRedisClient, HfRedisStoreSettings } from './hf-stats-store.options.js';
import { RedisChunkSender } from './redis-chunk-sender.js';
import { FlushBuffer, planChunks, type FlushChunk, type InFlightFlush, type SessionView } from './redis-flush-plan.js';
import type { FlushReply } from './redis-script-runner.js';
import { RedisSessionViews } from './redis-session-views.js';
import { ScopeDelta } from './scope-delta.js';

/** The limits of the module that the store keeps too. */
export interface HfRedisStoreLimits {
  maxModels: number;
  maxSessions: number;
  sessionIdleTimeoutMs: number;
}

/** Flushes `close()` makes at most, so that calls recorded during the last ones are written too. */
const CLOSE_ROUNDS = 5;

function pairsOf(flat: string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    fields.set(flat[i], flat[i + 1]);
  }
  return fields;
}

/**
 * Figures shared by every replica through Redis. Write-behind: `record` folds calls into an in-memory buffer
 * (no I/O); every `flushIntervalMs` the buffer goes to Redis in bounded chunks (docs/redis-protocol.md), and
 * the cluster's figures are read back, which the readers then show together with what is still buffered here.
 */
export class HfRedisStore implements HfStatsStore {
  readonly type = 'redis';
  readonly sharedSessions = true;
  private readonly logger = new Logger('HfStats');
  private readonly sender: RedisChunkSender;
  private readonly views: RedisSessionViews;
  private pending: FlushBuffer;
  private inFlight: InFlightFlush | undefined;
  private flushing: Promise<void> | undefined;
  private flushStartedAt = 0;
  private remoteGlobal: ScopeDelta;
  private timer: NodeJS.Timeout | undefined;
  private onSessionEnd: HfSessionEndHandler | undefined;
  private warnedFailure = false;
  private bufferOverflowCount = 0;
  private refusedSessionCount = 0;

  constructor(
    private readonly redis: HfRedisClient,
    private readonly settings: HfRedisStoreSettings,
    private readonly limits: HfRedisStoreLimits,
    /** Whether the store opened the connection itself, and so closes it. */
    private readonly ownsClient: boolean,
  ) {
    // The cached sessions are of the lost epoch; the restore and the next reads fill the cache again.
    this.sender = new RedisChunkSender(redis, settings, limits, this.logger, () => this.views.clear());
    this.pending = new FlushBuffer(limits.maxModels);
    this.remoteGlobal = new ScopeDelta(limits.maxModels);
    this.views = new RedisSessionViews(
      limits,
      () => this.inFlight?.buffer,
      () => this.pending,
      () => this.partial,
    );
  }

  /**
   * True while the figures shown may miss other replicas' latest ones: as soon as ioredis reports the connection
   * down, after a failed flush, and when a flush has waited for Redis longer than one flush interval.
   */
  get partial(): boolean {
    if (this.sender.failed || !this.sender.runner.usable) {
      return true;
    }
    return this.flushStartedAt !== 0 && Date.now() - this.flushStartedAt > this.settings.flushIntervalMs;
  }

  /** New sessions kept apart nowhere: past the buffer's bound here, or refused by Redis at `maxSessions`. */
  get sessionOverflowCount(): number {
    return this.bufferOverflowCount + this.refusedSessionCount;
  }

  /** Calls Redis lost that no running replica could write again. */
  get lostCallCount(): number {
    return this.sender.lostCallCount;
  }

  /** Round trips made to Redis (script calls), for the benchmark and tests. */
  get roundTripCount(): number {
    return this.sender.roundTripCount;
  }

  /** Bytes of the not-yet-flushed figures are bounded: one `ScopeDelta` per session, at most `maxSessions`. */
  get bufferedSessionCount(): number {
    return this.pending.sessions.size + (this.inFlight?.buffer.sessions.size ?? 0);
  }

  start(onSessionEnd: HfSessionEndHandler): void {
    this.onSessionEnd = onSessionEnd;
    if (this.timer === undefined) {
      // A tick while a flush is still waiting for Redis adds nothing: that flush carries the buffer on.
      this.timer = setInterval(() => {
        if (this.flushing === undefined) {
          this.flush().catch(() => undefined);
        }
      }, this.settings.flushIntervalMs);
      this.timer.unref();
      this.flush().catch(() => undefined);
    }
  }

  record(call: HfCallRecord): void {
    this.pending.global.add(call);
    if (call.sessionId !== undefined) {
      this.sessionDelta(call.sessionId, call.endedAt)?.delta.add(call);
    }
  }

  touchSession(sessionId: string, now: number): void {
    this.sessionDelta(sessionId, now);
  }

  endSession(sessionId: string, reason: HfSessionEndReason, now: number): void {
    // Idle sessions are ended by the cluster-wide sweep of the flush script (on the cluster's last activity),
    // and a replica's shutdown is not the end of sessions that other replicas may go on serving.
    const ends = this.pending.ends;
    if (reason === 'ended' && (ends.size < this.limits.maxSessions || ends.has(sessionId))) {
      ends.set(sessionId, now);
    }
  }

  globalStats(): HfStats {
    const view = new ScopeDelta(this.limits.maxModels).merge(this.remoteGlobal);
    if (this.inFlight !== undefined) {
      view.merge(this.inFlight.buffer.global);
    }
    return view.merge(this.pending.global).toJSON();
  }

  sessionStats(sessionId: string): HfSessionStats | undefined {
    return this.views.session(sessionId);
  }

  listSessions(query: HfSessionPageQuery): HfSessionPageOf<HfSessionStats> {
    return this.views.page(query);
  }

  recentActiveSessions(limit: number): HfSessionStats[] {
    return this.views.recentActive(limit);
  }

  activeSessionCount(): number {
    return this.views.activeCount();
  }

  reset(): void {
    this.pending = new FlushBuffer(this.limits.maxModels);
    this.remoteGlobal = new ScopeDelta(this.limits.maxModels);
    this.views.clear();
    this.bufferOverflowCount = 0;
    this.refusedSessionCount = 0;
  }

  /**
   * Writes what is buffered now (after a failed flush, its remaining chunks first) and refreshes the cluster
   * view; waits for a flush in progress first. Never rejects: on failure the figures stay buffered.
   */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) {
      await this.flushing;
    }
    const flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
      this.flushStartedAt = 0;
    });
    this.flushing = flushing;
    await flushing;
  }

  /** Flushes until everything recorded so far is written (or Redis fails), then closes its own connection. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    try {
      for (let round = 0; round < CLOSE_ROUNDS; round++) {
        await this.flush();
        if (this.sender.failed || (this.inFlight === undefined && this.pending.isEmpty)) {
          break;
        }
      }
      const unwritten = (this.inFlight?.buffer.callCount ?? 0) + this.pending.callCount;
      if (unwritten > 0) {
        this.logger.warn(redisUnwrittenAtClose(unwritten));
      }
    } catch (error) {
      this.reportFailure(error);
    }
    this.sender.runner.detach();
    if (this.ownsClient) {
      try {
        await this.redis.quit();
      } catch {
        this.redis.disconnect();
      }
    }
  }

  private sessionDelta(sessionId: string, now: number): SessionView | undefined {
    let view = this.pending.sessions.get(sessionId);
    if (view === undefined) {
      if (this.pending.sessions.size >= this.limits.maxSessions) {
        // Past the bound the call still counts in the global figures; the session's share is counted here.
        this.bufferOverflowCount += 1;
        return undefined;
      }
      view = { delta: new ScopeDelta(this.limits.maxModels), startedAt: now, lastActivityAt: now, endedAt: 0 };
      this.pending.sessions.set(sessionId, view);
    } else if (now > view.lastActivityAt) {
      view.lastActivityAt = now;
    }
    return view;
  }

  private async flushOnce(): Promise<void> {
    this.flushStartedAt = Date.now();
    try {
      const resumed = this.inFlight !== undefined;
      // Back after a failure: what was buffered meanwhile goes now too, not one interval later.
      if ((await this.sendFlush()) && resumed && !this.pending.isEmpty) {
        await this.sendFlush();
      }
    } catch (error) {
      this.reportFailure(error);
    }
  }

  /** Sends the remaining chunks of the flush under way, or of the pending buffer. True when all were applied. */
  private async sendFlush(): Promise<boolean> {
    if (this.inFlight === undefined) {
      const buffer = this.pending;
      // Sessions not cached here are read back in full; cached ones get what this replica wrote added.
      const chunks = planChunks(
        'd',
        buffer.sessions,
        buffer.global,
        buffer.ends,
        true,
        undefined,
        (sessionId) => !this.views.caches(sessionId),
      );
      this.inFlight = { buffer, chunks, next: 0 };
      this.pending = new FlushBuffer(this.limits.maxModels);
    }
    const flush = this.inFlight;
    const done = await this.sender.send(flush, (chunk, reply, clockOffset) =>
      this.applyReply(chunk, flush, reply, clockOffset),
    );
    if (done) {
      this.inFlight = undefined;
    }
    return done;
  }

  private applyReply(chunk: FlushChunk, flush: InFlightFlush, reply: FlushReply, clockOffset: number): void {
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
      this.inFlight = undefined;
      this.remoteGlobal = ScopeDelta.fromHash(pairsOf(globalFlat), this.limits.maxModels);
      this.sender.seenCalls = this.remoteGlobal.total.callCount;
      this.views.remoteActiveCount = activeCount;
    }
    if (chunk.kind === 'd') {
      const own = new Map(chunk.sessions);
      for (let i = 0; i + 1 < lifecyclesFlat.length; i += 2) {
        const sessionId = lifecyclesFlat[i] as string;
        const view = own.get(sessionId);
        if (view !== undefined) {
          this.views.addOwn(sessionId, view, lifecyclesFlat[i + 1] as string[], clockOffset);
        }
      }
    }
    for (let i = 0; i + 1 < sessionsFlat.length; i += 2) {
      const sessionId = sessionsFlat[i] as string;
      const view = this.views.putRemote(sessionId, pairsOf(sessionsFlat[i + 1] as string[]), clockOffset);
      if (view.endedAt !== 0) {
        this.sender.contribution.noteEnd(sessionId, view.endedAt);
      }
    }
    for (let i = 0; i + 1 < won.length; i += 2) {
      const session = this.views.session(won[i]);
      if (session !== undefined) {
        this.onSessionEnd?.(session, won[i + 1] as HfSessionEndReason);
      }
    }
  }

  private reportFailure(error: unknown): void {
    if (!this.warnedFailure) {
      this.warnedFailure = true;
      this.logger.warn(redisFlushFailure(error));
    }
  }
}
