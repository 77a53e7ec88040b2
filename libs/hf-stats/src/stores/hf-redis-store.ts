import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  redisDataLost,
  redisFlushFailure,
  redisReachable,
  redisUnreachable,
  redisUnwrittenAtClose,
} from '../hf-stats.messages.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionEndReason, HfSessionStats, HfStats } from '../stats/hf-stats.interfaces.js';
import { MAX_COUNTER_KEYS } from '../stats/stats-accumulator.js';
import type { HfSessionEndHandler, HfStatsStore } from './hf-stats-store.js';
import type { HfRedisStoreSettings } from './hf-stats-store.options.js';
import { RedisContribution } from './redis-contribution.js';
import { FlushBuffer, planChunks, type FlushChunk, type InFlightFlush, type SessionView } from './redis-flush-plan.js';
import { RedisScriptRunner, type FlushReply } from './redis-script-runner.js';
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
  /** Round trips made to Redis (script calls), for the benchmark and tests. */
  roundTripCount = 0;

  private readonly logger = new Logger('HfStats');
  private readonly runner: RedisScriptRunner;
  private readonly contribution: RedisContribution;
  private readonly views: RedisSessionViews;
  private pending: FlushBuffer;
  private inFlight: InFlightFlush | undefined;
  private flushing: Promise<void> | undefined;
  private flushStartedAt = 0;
  /** True until a flush succeeds, and again after one fails. */
  private failed = true;
  private remoteGlobal: ScopeDelta;
  private timer: NodeJS.Timeout | undefined;
  private onSessionEnd: HfSessionEndHandler | undefined;
  private warnedDown = false;
  private warnedFailure = false;
  private bufferOverflowCount = 0;
  private refusedSessionCount = 0;
  /** This process's name in the chunk markers, the number of its last chunk, and the epoch it writes in. */
  private readonly replicaId = randomUUID();
  private chunkSeq = 0;
  private epoch = '';
  /** The cluster's call count at the last read, and calls no live replica could restore (past epochs, this one). */
  private seenCalls = 0;
  private lostInPastEpochs = 0;
  private lostInEpoch = 0;

  constructor(
    private readonly redis: Redis,
    private readonly settings: HfRedisStoreSettings,
    private readonly limits: HfRedisStoreLimits,
    /** Whether the store opened the connection itself, and so closes it. */
    private readonly ownsClient: boolean,
  ) {
    this.runner = new RedisScriptRunner(redis, settings.commandTimeoutMs);
    this.contribution = new RedisContribution(limits.maxModels, limits.maxSessions);
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
    if (this.failed || !this.runner.usable) {
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
    return this.lostInPastEpochs + this.lostInEpoch;
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

  listSessions(activeOnly: boolean): HfSessionStats[] {
    return this.views.list(activeOnly);
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
        if (this.failed || (this.inFlight === undefined && this.pending.isEmpty)) {
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
    this.runner.detach();
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
      const chunks = planChunks('d', buffer.sessions, buffer.global, buffer.ends, true);
      this.inFlight = { buffer, chunks, next: 0 };
      this.pending = new FlushBuffer(this.limits.maxModels);
    }
    const flush = this.inFlight;
    while (flush.next < flush.chunks.length) {
      const chunk = flush.chunks[flush.next];
      chunk.seq ??= ++this.chunkSeq;
      let reply: FlushReply;
      let sentAt: number;
      try {
        [reply, sentAt] = await this.runner.run((now) => this.argsOf(chunk, now));
      } catch (error) {
        // Kept as it is, with its number: the next flush sends it again and the script applies it at most once.
        this.failed = true;
        if (!this.warnedDown) {
          this.warnedDown = true;
          this.logger.warn(redisUnreachable(error));
        }
        return false;
      }
      this.roundTripCount += 1;
      if (reply[0] === -1) {
        this.restoreInto(flush, reply[1]);
        continue;
      }
      flush.next += 1;
      this.applyReply(chunk, flush, reply, reply[8] - sentAt);
    }
    this.inFlight = undefined;
    this.failed = false;
    this.runner.connectionDown = false;
    if (this.warnedDown) {
      this.warnedDown = false;
      this.logger.log(redisReachable());
    }
    return true;
  }

  private argsOf(chunk: FlushChunk, now: number): string[] {
    const { settings, limits } = this;
    return [
      settings.keyPrefix,
      this.replicaId,
      String(now),
      String(settings.sessionRetentionMs),
      String(limits.sessionIdleTimeoutMs),
      String(chunk.final ? settings.listedSessions : 0),
      String(Math.max(settings.sessionRetentionMs, 3_600_000)),
      String(chunk.seq),
      this.epoch,
      String(limits.maxModels),
      String(MAX_COUNTER_KEYS),
      String(limits.maxSessions),
      chunk.kind,
      String(chunk.seenCalls),
      String(chunk.restoredCalls),
      chunk.final ? '1' : '0',
    ].concat(chunk.body);
  }

  /**
   * Redis is in another epoch than the one this replica wrote in: it lost the data. This replica's contribution
   * goes first (new numbers), then the chunks not yet applied (numbered again: the new epoch never saw them).
   */
  private restoreInto(flush: InFlightFlush, epoch: string): void {
    this.epoch = epoch;
    this.lostInPastEpochs += this.lostInEpoch;
    this.lostInEpoch = 0;
    const rest = flush.chunks.slice(flush.next).filter((chunk) => chunk.kind === 'd');
    for (const chunk of rest) {
      chunk.seq = undefined;
    }
    const restore = this.contribution.restoreChunks(this.seenCalls);
    flush.chunks.splice(flush.next, flush.chunks.length - flush.next, ...restore, ...rest);
    // The cached sessions are of the lost epoch; the restore and the next reads fill the cache again.
    this.views.clear();
    this.logger.warn(redisDataLost(this.contribution.global.total.callCount));
  }

  private applyReply(chunk: FlushChunk, flush: InFlightFlush, reply: FlushReply, clockOffset: number): void {
    const [status, epoch, globalFlat, activeCount, sessionsFlat, won, lostCalls, refused] = reply;
    this.epoch = epoch;
    this.lostInEpoch = lostCalls;
    if (chunk.kind === 'd') {
      // Status 0: an earlier attempt was applied, its answer lost; the figures are in Redis all the same.
      this.contribution.add(chunk);
      if (status === 1) {
        this.refusedSessionCount += refused;
      }
      for (const [sessionId] of chunk.sessions) {
        flush.buffer.sessions.delete(sessionId);
      }
    }
    if (chunk.final) {
      this.inFlight = undefined;
      this.remoteGlobal = ScopeDelta.fromHash(pairsOf(globalFlat), this.limits.maxModels);
      this.seenCalls = this.remoteGlobal.total.callCount;
      this.views.remoteActiveCount = activeCount;
    }
    for (let i = 0; i + 1 < sessionsFlat.length; i += 2) {
      const sessionId = sessionsFlat[i] as string;
      const view = this.views.putRemote(sessionId, pairsOf(sessionsFlat[i + 1] as string[]), clockOffset);
      if (view.endedAt !== 0) {
        this.contribution.noteEnd(sessionId, view.endedAt);
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

/** Creates the Redis store, loading ioredis only now, so that apps on the memory store never need it. */
export async function createHfRedisStore(
  settings: HfRedisStoreSettings,
  limits: HfRedisStoreLimits,
): Promise<HfRedisStore> {
  if (settings.client !== undefined) {
    return new HfRedisStore(settings.client, settings, limits, false);
  }
  let RedisClass: typeof Redis;
  try {
    ({ Redis: RedisClass } = await import('ioredis'));
  } catch (error) {
    throw new Error("nestjs-hf-stats: store.type 'redis' needs the package ioredis: npm install ioredis", {
      cause: error,
    });
  }
  const client = new RedisClass(settings.url as string, {
    // Fail fast while Redis is away: the buffer keeps the figures and the next flush retries.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: 'nestjs-hf-stats',
  });
  // Connection errors are reported by the flushes that fail; without a listener ioredis would print each one.
  client.on('error', () => undefined);
  return new HfRedisStore(client, settings, limits, true);
}
