import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionEndReason, HfSessionStats, HfStats } from '../stats/hf-stats.interfaces.js';
import { HfMemoryStore } from './hf-memory-store.js';
import type { HfSessionEndHandler, HfStatsStore, HfStoreRead } from './hf-stats-store.js';
import type { HfSessionPageOf, HfSessionPageQuery } from '../sessions/session-page.js';
import type { SessionEntry } from '../sessions/session-entry.js';
import type { HfRedisClient, HfRedisStoreSettings } from './hf-stats-store.options.js';
import { clearBudgetLeases, RedisBudgetLeases } from './redis-budget-leases.js';
import { RedisChunkSender } from './redis-chunk-sender.js';
import { RedisClusterSessions } from './redis-cluster-sessions.js';
import { RedisClusterView } from './redis-cluster-view.js';
import type { SessionView } from './redis-flush-plan.js';
import { RedisSessionReader } from './redis-session-reader.js';
import { RedisSharedTimeline } from './redis-shared-timeline.js';
import { RedisSessionViews } from './redis-session-views.js';
import { clearSharedFigures } from './redis-shared-reset.js';
import { RedisWriteBehind } from './redis-write-behind.js';
import { ScopeDelta } from './scope-delta.js';

/** The limits of the module that the store keeps too. */
export interface HfRedisStoreLimits {
  maxModels: number;
  maxSessions: number;
  sessionIdleTimeoutMs: number;
}

/**
 * Figures shared by every replica through Redis, built on this replica's own (a memory store, which its session
 * lifecycle and budgets act on). Write-behind (`redis-write-behind.ts`): `record` folds calls into a buffer (no
 * I/O); every `flushIntervalMs` the buffer goes to Redis and the cluster's figures are read back, which the
 * readers then see together with what is still buffered here.
 */
export class HfRedisStore implements HfStatsStore {
  readonly type = 'redis';
  readonly sharedSessions = true;
  /** This replica's own figures: its session lifecycle and budgets act on them, as with the memory store. */
  readonly local: HfMemoryStore;
  /** Where this replica leases slices of its sessions' budgets (used only with the `budget` option). */
  readonly budgetLeases: RedisBudgetLeases;
  private readonly logger = new Logger('HfStats');
  private readonly sender: RedisChunkSender;
  private readonly writes: RedisWriteBehind;
  private readonly cluster: RedisClusterView;
  private readonly clusterSessions: RedisClusterSessions;
  /** The cluster's timeline: written on a timer of its own, one round trip per flush interval. */
  readonly sharedTimeline: RedisSharedTimeline;
  private bufferOverflowCount = 0;

  constructor(
    private readonly redis: HfRedisClient,
    private readonly settings: HfRedisStoreSettings,
    private readonly limits: HfRedisStoreLimits,
    /** Whether the store opened the connection itself, and so closes it. */
    private readonly ownsClient: boolean,
  ) {
    this.local = new HfMemoryStore(limits);
    // The cached sessions are of the lost epoch; the restore and the next reads fill the cache again.
    this.sender = new RedisChunkSender(redis, settings, limits, this.logger, () => this.cluster.dataLost());
    this.writes = new RedisWriteBehind(
      this.sender,
      settings,
      limits.maxModels,
      limits.maxSessions,
      this.logger,
      (sessionId) => this.cluster.sessions.caches(sessionId),
      (chunk, flush, reply, clockOffset) => this.cluster.apply(chunk, flush, reply, clockOffset),
    );
    const sessions = new RedisSessionViews(
      limits,
      () => this.writes.inFlight?.buffer,
      () => this.writes.pending,
      () => this.partial,
    );
    this.cluster = new RedisClusterView(limits.maxModels, limits.maxSessions, sessions, this.sender);
    this.budgetLeases = new RedisBudgetLeases(
      redis,
      settings.keyPrefix,
      randomUUID(),
      settings.sessionRetentionMs,
      limits.maxSessions,
      settings.commandTimeoutMs,
    );
    this.clusterSessions = new RedisClusterSessions(
      new RedisSessionReader(redis, settings, limits.maxSessions),
      limits.maxModels,
      () => this.writes.inFlight?.buffer,
      () => this.writes.pending,
      {
        usable: () => this.sender.runner.usable,
        idle: () => this.writes.idle(),
        generation: () => this.writes.generation,
      },
    );
    this.sharedTimeline = new RedisSharedTimeline(redis, settings, limits.maxModels, () => this.sender.runner.usable);
  }

  /**
   * True while the figures shown may miss other replicas' latest ones: as soon as ioredis reports the connection
   * down, after a failed flush, and when a flush has waited for Redis longer than one flush interval.
   */
  get partial(): boolean {
    return this.sender.failed || !this.sender.runner.usable || this.writes.overdue;
  }

  /** New sessions kept apart nowhere: past a bound here, or refused by Redis at `maxSessions`. */
  get sessionOverflowCount(): number {
    return this.local.sessionOverflowCount + this.bufferOverflowCount + this.cluster.refusedSessionCount;
  }

  /** Calls Redis lost that no running replica could write again. */
  get lostCallCount(): number {
    return this.sender.lostCallCount;
  }

  /** Round trips made to Redis (script calls), for the benchmark and tests. */
  get roundTripCount(): number {
    return this.sender.roundTripCount;
  }

  start(onSessionEnd: HfSessionEndHandler): void {
    this.cluster.onSessionEnd = onSessionEnd;
    this.writes.start();
    this.sharedTimeline.start(this.settings.flushIntervalMs);
  }

  record(call: HfCallRecord, session?: SessionEntry): void {
    // This replica's session figures (its budgets read them) and the buffers; its global ones would go unread.
    this.local.recordInSession(call, session);
    this.writes.pending.global.add(call);
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
    const ends = this.writes.pending.ends;
    if (reason === 'ended' && (ends.size < this.limits.maxSessions || ends.has(sessionId))) {
      ends.set(sessionId, now);
    }
  }

  globalStats(): HfStats {
    const view = new ScopeDelta(this.limits.maxModels).merge(this.cluster.global);
    const inFlight = this.writes.inFlight;
    if (inFlight !== undefined) {
      view.merge(inFlight.buffer.global);
    }
    // Budget refusals are not shared: the cluster's view shows this replica's own.
    return view.merge(this.writes.pending.global).toJSON(this.local.global.budgetRejectedCount);
  }

  sessionStats(sessionId: string): HfSessionStats | undefined {
    return this.cluster.sessions.session(sessionId);
  }

  listSessions(query: HfSessionPageQuery): HfSessionPageOf<HfSessionStats> {
    return this.cluster.sessions.page(query);
  }

  recentActiveSessions(limit: number): HfSessionStats[] {
    return this.cluster.sessions.recentActive(limit);
  }

  activeSessionCount(): number {
    return this.cluster.sessions.activeCount();
  }

  /** Any session of the cluster, read from Redis now; this replica's view (`partial`) when Redis can't answer. */
  readSession(sessionId: string): Promise<HfStoreRead<HfSessionStats | undefined>> {
    return this.clusterSessions.read(
      (reads) => reads.session(sessionId),
      () => this.sessionStats(sessionId),
    );
  }

  /** A page of every session of the cluster, read from Redis now; this replica's view (`partial`) when it can't. */
  readSessions(query: HfSessionPageQuery, maxBytes?: number): Promise<HfStoreRead<HfSessionPageOf<HfSessionStats>>> {
    return this.clusterSessions.read(
      (reads) => reads.page(query, maxBytes),
      () => this.listSessions(query),
    );
  }

  reset(): void {
    this.local.reset();
    this.writes.reset();
    this.cluster.reset();
    this.bufferOverflowCount = 0;
  }

  /**
   * `reset({ cluster: true })`: forgets this replica's figures, then clears what every replica shares in Redis
   * (bounded steps) and reads the empty view back. Rejects when Redis cannot be reached (nothing is cleared there).
   */
  async resetShared(): Promise<void> {
    this.reset();
    // A chunk sent before the reset lands first, so that the clear comes after it.
    await this.writes.flush();
    await this.sharedTimeline.flush();
    await clearSharedFigures(this.redis, this.settings.keyPrefix);
    await clearBudgetLeases(this.redis, this.settings.keyPrefix);
    await this.writes.flush();
  }

  /** Writes what is buffered now (figures and timeline) and refreshes the cluster view. Never rejects. */
  async flush(): Promise<void> {
    await Promise.all([this.writes.flush(), this.sharedTimeline.flush()]);
  }

  /** Flushes until everything recorded so far is written (or Redis fails), then closes its own connection. */
  async close(): Promise<void> {
    await Promise.all([this.writes.close(), this.sharedTimeline.close()]);
    this.sender.runner.detach();
    this.budgetLeases.detach();
    if (this.ownsClient) {
      try {
        await this.redis.quit();
      } catch {
        this.redis.disconnect();
      }
    }
  }

  private sessionDelta(sessionId: string, now: number): SessionView | undefined {
    const sessions = this.writes.pending.sessions;
    let view = sessions.get(sessionId);
    if (view === undefined) {
      if (sessions.size >= this.limits.maxSessions) {
        // Past the bound the call still counts in the global figures; the session's share is counted here.
        this.bufferOverflowCount += 1;
        return undefined;
      }
      view = { delta: new ScopeDelta(this.limits.maxModels), startedAt: now, lastActivityAt: now, endedAt: 0 };
      sessions.set(sessionId, view);
    } else if (now > view.lastActivityAt) {
      view.lastActivityAt = now;
    }
    return view;
  }
}
