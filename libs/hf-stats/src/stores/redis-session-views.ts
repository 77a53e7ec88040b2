import {
  pageSessions,
  type HfSessionKey,
  type HfSessionPageOf,
  type HfSessionPageQuery,
} from '../sessions/session-page.js';
import type { HfSessionStats } from '../stats/hf-stats.interfaces.js';
import type { FlushBuffer, SessionView } from './redis-flush-plan.js';
import { deltaOf, fold, remoteView, sessionJsonOf, type SessionTimes } from './redis-session-parts.js';
import { ScopeDelta } from './scope-delta.js';

/**
 * What the readers of one replica see of the sessions: the cluster's as last read (a cache bounded by
 * maxSessions: the `listedSessions` most recent and those this replica wrote), with this replica's buffered parts.
 */
export class RedisSessionViews {
  /** Active sessions in Redis at the last flush. */
  remoteActiveCount = 0;
  private readonly remote = new Map<string, SessionView>();

  constructor(
    private readonly limits: { maxModels: number; maxSessions: number; sessionIdleTimeoutMs: number },
    /** The buffer of the flush under way, if any (functions, not an array: looked up 10,000 times per summary). */
    private readonly older: () => FlushBuffer | undefined,
    /** The pending buffer. */
    private readonly newer: () => FlushBuffer,
    private readonly isPartial: () => boolean,
  ) {}

  /** Caches a session as Redis holds it, its times moved to this replica's clock. */
  putRemote(sessionId: string, fields: Map<string, string>, clockOffset: number): SessionView {
    const view = remoteView(fields, clockOffset, this.limits.maxModels);
    // Re-inserted, so that the cache keeps the most recently read sessions.
    this.remote.delete(sessionId);
    this.remote.set(sessionId, view);
    if (this.remote.size > this.limits.maxSessions) {
      this.remote.delete(this.remote.keys().next().value as string);
    }
    return view;
  }

  /** Whether this session's cluster figures are cached here (then a flush reads back its lifecycle only). */
  caches(sessionId: string): boolean {
    return this.remote.has(sessionId);
  }

  /**
   * Adds what this replica wrote to a cached session, with its lifecycle as Redis holds it now
   * (`startedAt, lastActivityAt, ended, endedAt`). Other replicas' calls show when it is read back in full: at each
   * flush while among the `listedSessions` most recently active, and when it ends.
   */
  addOwn(sessionId: string, own: SessionView, lifecycle: string[], clockOffset: number): void {
    const cached = this.remote.get(sessionId);
    const delta = cached?.delta ?? new ScopeDelta(this.limits.maxModels);
    delta.merge(own.delta);
    const fields = new Map([
      ['startedAt', lifecycle[0]],
      ['lastActivityAt', lifecycle[1]],
      ['ended', lifecycle[2]],
      ['endedAt', lifecycle[3]],
    ]);
    const view = this.putRemote(sessionId, fields, clockOffset);
    view.delta = delta;
  }

  clear(): void {
    this.remote.clear();
    this.remoteActiveCount = 0;
  }

  session(sessionId: string): HfSessionStats | undefined {
    const parts = this.parts(sessionId);
    const lifecycle = this.lifecycle(sessionId);
    return lifecycle === undefined
      ? undefined
      : sessionJsonOf(sessionId, lifecycle, deltaOf(parts, this.limits.maxModels));
  }

  /**
   * One page of the sessions known here, in the listing order; the order needs each session's lifecycle only,
   * and the figures are built for the sessions on the page.
   */
  page(query: HfSessionPageQuery): HfSessionPageOf<HfSessionStats> {
    const ids = this.filterIds(() => true);
    const scratch: SessionTimes = { startedAt: 0, lastActivityAt: 0, endedAt: 0 };
    const page = pageSessions(
      ids,
      (sessionId): HfSessionKey => {
        this.lifecycleInto(scratch, sessionId);
        return { active: scratch.endedAt === 0, lastActivityAt: scratch.lastActivityAt, sessionId };
      },
      query,
    );
    const sessions: HfSessionStats[] = [];
    for (const sessionId of page.items) {
      const session = this.session(sessionId);
      if (session !== undefined) {
        sessions.push(session);
      }
    }
    return { ...page, items: sessions };
  }

  /**
   * The `limit` most recently active sessions, most recent first: one pass over the lifecycles, allocating nothing
   * per session, and the figures of the kept ones only.
   */
  recentActive(limit: number): HfSessionStats[] {
    const scratch: SessionTimes = { startedAt: 0, lastActivityAt: 0, endedAt: 0 };
    const ids: string[] = [];
    const times: number[] = [];
    this.filterIds((sessionId) => {
      if (limit <= 0 || !this.lifecycleInto(scratch, sessionId) || scratch.endedAt !== 0) {
        return false;
      }
      const at = scratch.lastActivityAt;
      if (ids.length === limit && at <= times[limit - 1]) {
        return false;
      }
      let low = 0;
      let high = ids.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (times[middle] >= at) {
          low = middle + 1;
        } else {
          high = middle;
        }
      }
      ids.splice(low, 0, sessionId);
      times.splice(low, 0, at);
      if (ids.length > limit) {
        ids.pop();
        times.pop();
      }
      return false;
    });
    return ids.map((sessionId) => this.session(sessionId) as HfSessionStats);
  }

  activeCount(): number {
    if (this.isPartial()) {
      // Redis's count is stale: count the sessions known here that are still active by this replica's clock.
      const scratch: SessionTimes = { startedAt: 0, lastActivityAt: 0, endedAt: 0 };
      return this.filterIds((sessionId) => this.lifecycleInto(scratch, sessionId) && scratch.endedAt === 0).length;
    }
    // Sessions buffered here that Redis did not count as active at the last flush are active too.
    const added = new Set<string>();
    for (const buffer of [this.older(), this.newer()]) {
      for (const sessionId of buffer?.sessions.keys() ?? []) {
        const remote = this.remote.get(sessionId);
        if (remote === undefined || remote.endedAt !== 0) {
          added.add(sessionId);
        }
      }
    }
    return this.remoteActiveCount + added.size;
  }

  /** Every session known here (cached or buffered) for which `keep` is true, each once. */
  private filterIds(keep: (sessionId: string) => boolean): string[] {
    const kept: string[] = [];
    for (const sessionId of this.remote.keys()) {
      if (keep(sessionId)) {
        kept.push(sessionId);
      }
    }
    const older = this.older();
    const newer = this.newer();
    for (const sessionId of older?.sessions.keys() ?? []) {
      if (!this.remote.has(sessionId) && keep(sessionId)) {
        kept.push(sessionId);
      }
    }
    for (const sessionId of newer.sessions.keys()) {
      if (!this.remote.has(sessionId) && older?.sessions.has(sessionId) !== true && keep(sessionId)) {
        kept.push(sessionId);
      }
    }
    return kept;
  }

  private parts(sessionId: string): SessionView[] {
    const parts: SessionView[] = [];
    const remote = this.remote.get(sessionId);
    if (remote !== undefined) {
      parts.push(remote);
    }
    for (const buffer of [this.older(), this.newer()]) {
      const part = buffer?.sessions.get(sessionId);
      if (part !== undefined) {
        parts.push(part);
      }
    }
    return parts;
  }

  private lifecycle(sessionId: string): SessionTimes | undefined {
    const view: SessionTimes = { startedAt: 0, lastActivityAt: 0, endedAt: 0 };
    return this.lifecycleInto(view, sessionId) ? view : undefined;
  }

  /**
   * The lifecycle of a session into `view`, false when unknown; allocates nothing, so that the summary can look at
   * 10,000 sessions to keep 50.
   */
  private lifecycleInto(view: SessionTimes, sessionId: string): boolean {
    const older = this.older();
    const newer = this.newer();
    let empty = fold(view, this.remote.get(sessionId), true);
    empty = fold(view, older?.sessions.get(sessionId), empty);
    empty = fold(view, newer.sessions.get(sessionId), empty);
    if (empty) {
      return false;
    }
    // Ended here and not yet flushed: shown ended at once, unless used again since.
    const ended = newer.ends.get(sessionId) ?? older?.ends.get(sessionId);
    if (ended !== undefined && ended >= view.lastActivityAt) {
      view.endedAt = ended;
    }
    // During an outage the idle timeout applies here, on this replica's clock: Redis decides again once back.
    const idleMs = this.limits.sessionIdleTimeoutMs;
    if (view.endedAt === 0 && idleMs > 0 && this.isPartial() && view.lastActivityAt <= Date.now() - idleMs) {
      view.endedAt = view.lastActivityAt + idleMs;
    }
    return true;
  }
}
