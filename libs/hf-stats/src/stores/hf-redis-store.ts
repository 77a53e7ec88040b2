import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionEndReason, HfSessionStats, HfStats } from '../stats/hf-stats.interfaces.js';
import { redisUnreachable, redisReachable } from '../hf-stats.messages.js';
import { importOptionalPeer } from '../utils/optional-peer.js';
import type { HfSessionEndHandler, HfStatsStore } from './hf-stats-store.js';
import {
  pageSessions,
  type HfSessionKey,
  type HfSessionPageOf,
  type HfSessionPageQuery,
} from '../sessions/session-page.js';
import type { HfRedisClient, HfRedisStoreSettings } from './hf-stats-store.options.js';
import { FLUSH_SCRIPT } from './redis-scripts.js';
import { ScopeDelta } from './scope-delta.js';

/** The figures of one session buffered or read back, with its lifecycle (epoch ms). */
interface SessionView {
  delta: ScopeDelta;
  startedAt: number;
  lastActivityAt: number;
  /** 0 while active. */
  endedAt: number;
}

/** What this replica has recorded since its last flush started. */
class Buffer {
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
}

/** A flush sent (or to send again): its number and arguments never change, so a retry is idempotent. */
interface Flush {
  readonly seq: number;
  readonly buffer: Buffer;
  readonly args: string[];
}

/** Result of the flush script, as ioredis hands it over. */
type FlushReply = [number, string[], number, Array<string | string[]>, string[]];

function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    fields[flat[i]] = flat[i + 1];
  }
  return fields;
}

function sessionJson(sessionId: string, view: SessionView): HfSessionStats {
  return {
    sessionId,
    active: view.endedAt === 0,
    startedAt: new Date(view.startedAt).toISOString(),
    lastActivityAt: new Date(view.lastActivityAt).toISOString(),
    endedAt: view.endedAt === 0 ? null : new Date(view.endedAt).toISOString(),
    ...view.delta.toJSON(),
  };
}

/**
 * Figures shared by every replica through Redis. Write-behind: `record` folds calls into an in-memory buffer
 * (no I/O); every `flushIntervalMs` one script applies the buffer with atomic increments and reads back the
 * cluster's figures, which the readers then show together with what is still buffered here.
 */
export class HfRedisStore implements HfStatsStore {
  readonly type = 'redis';
  readonly sharedSessions = true;
  partial = true;
  sessionOverflowCount = 0;
  /** Round trips made to Redis (flushes), for the benchmark and tests. */
  roundTripCount = 0;

  private readonly logger = new Logger('HfStats');
  private pending: Buffer;
  private inFlight: Flush | undefined;
  private flushing: Promise<void> | undefined;
  private remoteGlobal: ScopeDelta;
  private remoteSessions = new Map<string, SessionView>();
  private remoteActiveCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private onSessionEnd: HfSessionEndHandler | undefined;
  private scriptSha: string | undefined;
  private warnedDown = false;
  private ready: Promise<void> | undefined;
  /** This process's name in the flush markers, and the number of its last prepared flush. */
  private readonly replicaId = randomUUID();
  private flushSeq = 0;

  constructor(
    private readonly redis: HfRedisClient,
    private readonly settings: HfRedisStoreSettings,
    private readonly limits: { maxModels: number; maxSessions: number; sessionIdleTimeoutMs: number },
    /** Whether the store opened the connection itself, and so closes it. */
    private readonly ownsClient: boolean,
  ) {
    this.pending = new Buffer(limits.maxModels);
    this.remoteGlobal = new ScopeDelta(limits.maxModels);
  }

  start(onSessionEnd: HfSessionEndHandler): void {
    this.onSessionEnd = onSessionEnd;
    if (this.timer === undefined) {
      // A tick while a flush is still waiting for Redis adds nothing: that flush carries the buffer on.
      this.timer = setInterval(() => {
        if (this.flushing === undefined) {
          void this.flush();
        }
      }, this.settings.flushIntervalMs);
      this.timer.unref();
      void this.flush();
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
    if (reason === 'ended') {
      this.pending.ends.set(sessionId, now);
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
    const view = this.sessionView(sessionId);
    return view === undefined ? undefined : sessionJson(sessionId, view);
  }

  listSessions(query: HfSessionPageQuery): HfSessionPageOf<HfSessionStats> {
    const ids = new Set(this.remoteSessions.keys());
    for (const id of this.inFlight?.buffer.sessions.keys() ?? []) {
      ids.add(id);
    }
    for (const id of this.pending.sessions.keys()) {
      ids.add(id);
    }
    // The order needs each session's lifecycle only; the figures are merged for the sessions on the page.
    const page = pageSessions(ids, (id) => this.sessionKey(id), query);
    const sessions: HfSessionStats[] = [];
    for (const id of page.items) {
      const view = this.sessionView(id);
      if (view !== undefined) {
        sessions.push(sessionJson(id, view));
      }
    }
    return { ...page, items: sessions };
  }

  /** Where a session sits in the listing order: the lifecycle part of `sessionView`, without its figures. */
  private sessionKey(sessionId: string): HfSessionKey {
    let lastActivityAt = 0;
    let endedAt = 0;
    for (const part of [
      this.remoteSessions.get(sessionId),
      this.inFlight?.buffer.sessions.get(sessionId),
      this.pending.sessions.get(sessionId),
    ]) {
      if (part === undefined) {
        continue;
      }
      lastActivityAt = Math.max(lastActivityAt, part.lastActivityAt);
      if (part.endedAt !== 0 || part.lastActivityAt > endedAt) {
        endedAt = part.endedAt;
      }
    }
    const endedHere = this.pending.ends.get(sessionId) ?? this.inFlight?.buffer.ends.get(sessionId);
    if (endedHere !== undefined && endedHere >= lastActivityAt) {
      endedAt = endedHere;
    }
    return { active: endedAt === 0, lastActivityAt, sessionId };
  }

  activeSessionCount(): number {
    // Sessions buffered here that Redis did not count as active at the last flush are active too.
    const added = new Set<string>();
    for (const buffer of [this.inFlight?.buffer, this.pending]) {
      for (const id of buffer?.sessions.keys() ?? []) {
        const remote = this.remoteSessions.get(id);
        if (remote === undefined || remote.endedAt !== 0) {
          added.add(id);
        }
      }
    }
    return this.remoteActiveCount + added.size;
  }

  reset(): void {
    this.pending = new Buffer(this.limits.maxModels);
    this.remoteGlobal = new ScopeDelta(this.limits.maxModels);
    this.remoteSessions.clear();
    this.remoteActiveCount = 0;
    this.sessionOverflowCount = 0;
  }

  /**
   * Writes what is buffered now (after a failed flush, that one first, with its number) and refreshes the cluster
   * view; waits for a flush in progress first. Never rejects: on failure the figures stay buffered.
   */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) {
      await this.flushing;
    }
    const flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    this.flushing = flushing;
    await flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.ownsClient) {
      try {
        await this.redis.quit();
      } catch {
        this.redis.disconnect();
      }
    }
  }

  /** Bytes of the not-yet-flushed figures are bounded: one `ScopeDelta` per session, at most `maxSessions`. */
  get bufferedSessionCount(): number {
    return this.pending.sessions.size + (this.inFlight?.buffer.sessions.size ?? 0);
  }

  private sessionDelta(sessionId: string, now: number): SessionView | undefined {
    let view = this.pending.sessions.get(sessionId);
    if (view === undefined) {
      if (this.pending.sessions.size >= this.limits.maxSessions) {
        // Past the bound the call still counts in the global figures; the session's share is counted here.
        this.sessionOverflowCount += 1;
        return undefined;
      }
      view = { delta: new ScopeDelta(this.limits.maxModels), startedAt: now, lastActivityAt: now, endedAt: 0 };
      this.pending.sessions.set(sessionId, view);
    } else if (now > view.lastActivityAt) {
      view.lastActivityAt = now;
    }
    return view;
  }

  private sessionView(sessionId: string): SessionView | undefined {
    const parts = [
      this.remoteSessions.get(sessionId),
      this.inFlight?.buffer.sessions.get(sessionId),
      this.pending.sessions.get(sessionId),
    ];
    let view: SessionView | undefined;
    for (const part of parts) {
      if (part === undefined) {
        continue;
      }
      if (view === undefined) {
        view = {
          delta: new ScopeDelta(this.limits.maxModels),
          startedAt: part.startedAt,
          lastActivityAt: 0,
          endedAt: 0,
        };
      }
      view.delta.merge(part.delta);
      view.startedAt = Math.min(view.startedAt, part.startedAt);
      view.lastActivityAt = Math.max(view.lastActivityAt, part.lastActivityAt);
      // Activity buffered here after the cluster's end reopens the session, as the next flush will in Redis.
      if (part.endedAt !== 0 || part.lastActivityAt > view.endedAt) {
        view.endedAt = part.endedAt;
      }
    }
    // Ended here and not yet flushed: shown ended at once, unless used again since.
    const endedAt = this.pending.ends.get(sessionId) ?? this.inFlight?.buffer.ends.get(sessionId);
    if (view !== undefined && endedAt !== undefined && endedAt >= view.lastActivityAt) {
      view.endedAt = endedAt;
    }
    return view;
  }

  private async flushOnce(): Promise<void> {
    const retry = this.inFlight !== undefined;
    if (await this.sendOnce()) {
      if (retry && !this.pending.isEmpty) {
        // Back after a failure: what was buffered meanwhile goes now too, not one interval later.
        await this.sendOnce();
      }
    }
  }

  /** One round trip: the failed flush again, or the pending buffer. True when Redis answered. */
  private async sendOnce(): Promise<boolean> {
    if (this.inFlight === undefined) {
      this.inFlight = this.prepare(this.pending);
      this.pending = new Buffer(this.limits.maxModels);
    }
    const flush = this.inFlight;
    let reply: FlushReply;
    try {
      reply = await this.run(flush.args);
    } catch (error) {
      // Kept as it is, with its number: the next flush sends it again and the script applies it at most once.
      this.partial = true;
      if (!this.warnedDown) {
        this.warnedDown = true;
        this.logger.warn(redisUnreachable(error));
      }
      return false;
    }
    this.roundTripCount += 1;
    this.inFlight = undefined;
    if (this.warnedDown) {
      this.warnedDown = false;
      this.logger.log(redisReachable());
    }
    this.partial = false;
    this.applyReply(reply);
    return true;
  }

  private prepare(buffer: Buffer): Flush {
    const seq = ++this.flushSeq;
    const now = Date.now();
    const args = [
      this.settings.keyPrefix,
      this.replicaId,
      String(now),
      String(this.settings.sessionRetentionMs),
      String(this.limits.sessionIdleTimeoutMs),
      String(this.settings.listedSessions),
      String(Math.max(this.settings.sessionRetentionMs, 3_600_000)),
      String(seq),
    ];
    const scopes: string[] = [];
    let scopeCount = 0;
    const addScope = (sessionId: string, delta: ScopeDelta, startedAt: number, lastActivityAt: number): void => {
      const ops: string[] = [];
      delta.writeOps(ops);
      scopes.push(sessionId, String(startedAt), String(lastActivityAt), String(ops.length / 3), ...ops);
      scopeCount += 1;
    };
    if (!buffer.global.isEmpty) {
      addScope('', buffer.global, 0, 0);
    }
    for (const [sessionId, view] of buffer.sessions) {
      addScope(sessionId, view.delta, view.startedAt, view.lastActivityAt);
    }
    args.push(String(scopeCount), ...scopes, String(buffer.ends.size));
    for (const [sessionId, endedAt] of buffer.ends) {
      args.push(sessionId, String(endedAt));
    }
    return { seq, buffer, args };
  }

  private async run(args: string[]): Promise<FlushReply> {
    const timeout = this.settings.commandTimeoutMs;
    const call = async (): Promise<FlushReply> => {
      if (this.redis.status !== 'ready') {
        await this.whenReady();
      }
      if (this.scriptSha !== undefined) {
        try {
          return (await this.redis.evalsha(this.scriptSha, 0, ...args)) as FlushReply;
        } catch (error) {
          if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) {
            throw error;
          }
        }
      }
      this.scriptSha = (await this.redis.script('LOAD', FLUSH_SCRIPT)) as string;
      return (await this.redis.evalsha(this.scriptSha, 0, ...args)) as FlushReply;
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when the connection is (again) ready; one listener however many flushes wait. */
  private whenReady(): Promise<void> {
    this.ready ??= new Promise((resolve) => {
      this.redis.once('ready', () => {
        this.ready = undefined;
        resolve();
      });
    });
    return this.ready;
  }

  private applyReply([, globalFlat, activeCount, sessionsFlat, won]: FlushReply): void {
    const maxModels = this.limits.maxModels;
    this.remoteGlobal = ScopeDelta.fromHash(fieldsOf(globalFlat), maxModels);
    this.remoteActiveCount = activeCount;
    for (let i = 0; i + 1 < sessionsFlat.length; i += 2) {
      const sessionId = sessionsFlat[i] as string;
      const fields = fieldsOf(sessionsFlat[i + 1] as string[]);
      const startedAt = Number(fields.startedAt);
      const lastActivityAt = Number(fields.lastActivityAt);
      this.remoteSessions.delete(sessionId);
      this.remoteSessions.set(sessionId, {
        delta: ScopeDelta.fromHash(fields, maxModels),
        startedAt: Number.isFinite(startedAt) ? startedAt : lastActivityAt,
        lastActivityAt,
        endedAt: fields.ended === '1' ? Number(fields.endedAt) || Date.now() : 0,
      });
    }
    // The cache keeps the most recently read sessions, within maxSessions.
    for (const sessionId of this.remoteSessions.keys()) {
      if (this.remoteSessions.size <= this.limits.maxSessions) {
        break;
      }
      this.remoteSessions.delete(sessionId);
    }
    for (let i = 0; i + 1 < won.length; i += 2) {
      const sessionId = won[i];
      const session = this.sessionStats(sessionId);
      if (session !== undefined) {
        this.onSessionEnd?.(session, won[i + 1] as HfSessionEndReason);
      }
    }
  }
}

/** Creates the Redis store, loading ioredis only now, so that apps on the memory store never need it. */
export async function createHfRedisStore(
  settings: HfRedisStoreSettings,
  limits: { maxModels: number; maxSessions: number; sessionIdleTimeoutMs: number },
): Promise<HfRedisStore> {
  if (settings.client !== undefined) {
    return new HfRedisStore(settings.client, settings, limits, false);
  }
  const { Redis: RedisClass } = await importOptionalPeer<{ Redis: typeof Redis }>(
    'ioredis',
    'store',
    "use store: { type: 'memory' }",
  );
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
