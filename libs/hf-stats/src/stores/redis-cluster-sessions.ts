import { pageSessions, type HfSessionPageOf, type HfSessionPageQuery } from '../sessions/session-page.js';
import type { HfSessionStats } from '../stats/hf-stats.interfaces.js';
import type { HfStoreRead } from './hf-stats-store.js';
import type { FlushBuffer, SessionView } from './redis-flush-plan.js';
import { deltaOf, fold, remoteView, sessionJsonOf, type SessionTimes } from './redis-session-parts.js';
import { readQuietly } from './redis-script.js';
import type { RedisSessionReader } from './redis-session-reader.js';

/** Session hashes read together (one round trip) while a page is under its byte budget. */
const PAGE_READ_BATCH = 100;

/**
 * Any session the cluster retains, read from Redis when asked (the routes, the dashboard, the `fetch*` methods of
 * `HfStatsService`), with what this replica has buffered and not yet written added, as the cached view does: a
 * replica shows its own calls at once. The pages use `pageSessions` on the index, so their order, filters, counts
 * and cursors are those of every other listing.
 */
export class RedisClusterSessions {
  constructor(
    private readonly reader: RedisSessionReader,
    private readonly maxModels: number,
    /** The buffer of the flush under way, if any. */
    private readonly older: () => FlushBuffer | undefined,
    /** The pending buffer. */
    private readonly newer: () => FlushBuffer,
    /** The flushes: whether the connection can take a command, when none is under way, and their generation. */
    private readonly flushes: { usable: () => boolean; idle: () => Promise<void>; generation: () => number },
  ) {}

  /**
   * A read of Redis (its figures read while no flush is under way: no chunk shown both from Redis and its buffer),
   * or `local()` (this replica's view) with `partial: true` at once while the connection is down, or when the read
   * fails or times out. Never rejects.
   */
  async read<T>(read: (reads: this) => Promise<T>, local: () => T): Promise<HfStoreRead<T>> {
    if (this.flushes.usable()) {
      try {
        return { value: await read(this), partial: false };
      } catch {
        // Answered from here below; the flush reports Redis's state.
      }
    }
    return { value: local(), partial: true };
  }

  /** One session as the cluster holds it now; undefined when neither Redis nor this replica's buffers know it. */
  async session(sessionId: string): Promise<HfSessionStats | undefined> {
    return this.build(sessionId, await this.quietly(() => this.reader.hash(sessionId)));
  }

  /**
   * One page of every session the cluster retains: the index in slices, this replica's buffered sessions folded in
   * (they may be newer, or not written yet), the page chosen, then the hashes of the page's sessions only (one
   * `HGETALL` each, 100 sent together at a time, until the sessions read hold more than `maxBytes` of JSON).
   */
  async page(query: HfSessionPageQuery, maxBytes = Number.POSITIVE_INFINITY): Promise<HfSessionPageOf<HfSessionStats>> {
    const index = await this.reader.index();
    const times = new Map<string, SessionTimes>();
    for (const [sessionId, entry] of index) {
      // The index has no end time: an ended session counts as ended at its last activity, which is enough to tell
      // whether activity buffered here reopens it (the session's own figures, read below, hold the exact end).
      const at = entry.lastActivityAt;
      times.set(sessionId, { startedAt: at, lastActivityAt: at, endedAt: entry.active ? 0 : at });
    }
    for (const buffer of [this.older(), this.newer()]) {
      for (const [sessionId, part] of buffer?.sessions ?? []) {
        const known = times.get(sessionId);
        if (known === undefined) {
          const view: SessionTimes = { startedAt: 0, lastActivityAt: 0, endedAt: 0 };
          fold(view, part, true);
          times.set(sessionId, view);
        } else {
          fold(known, part, false);
        }
      }
    }
    const page = pageSessions(
      times.keys(),
      (sessionId) => {
        const view = times.get(sessionId) as SessionTimes;
        return { active: this.endedHere(sessionId, view) === 0, lastActivityAt: view.lastActivityAt, sessionId };
      },
      query,
    );
    // Read in batches, stopped once the page holds `maxBytes` of JSON (the reader cuts it there): a page of 1,000
    // sessions of many models each never brings their every hash from Redis.
    const items: HfSessionStats[] = [];
    let bytes = 0;
    for (let start = 0; start < page.items.length; start += PAGE_READ_BATCH) {
      if (bytes > maxBytes) {
        break;
      }
      const ids = page.items.slice(start, start + PAGE_READ_BATCH);
      // The index only orders (a chunk applied meanwhile moves a session by its last activity at most); the figures
      // must not be both in Redis and in a buffer.
      const hashes = await this.quietly(() =>
        Promise.all(
          ids.map((sessionId) => (index.has(sessionId) ? this.reader.hash(sessionId) : Promise.resolve(undefined))),
        ),
      );
      for (let i = 0; i < ids.length; i += 1) {
        const session = this.build(ids[i], hashes[i]);
        if (session !== undefined) {
          items.push(session);
          bytes += maxBytes === Number.POSITIVE_INFINITY ? 0 : Buffer.byteLength(JSON.stringify(session));
        }
      }
    }
    return { ...page, items };
  }

  /** `read` while this replica writes nothing to Redis (`readQuietly`). */
  private quietly<T>(read: () => Promise<T>): Promise<T> {
    return readQuietly(this.flushes.idle, this.flushes.generation, read);
  }

  /** A session from its hash (if Redis holds it) and this replica's buffered parts. */
  private build(sessionId: string, fields: Map<string, string> | undefined): HfSessionStats | undefined {
    const remote =
      fields !== undefined && fields.size > 0 ? remoteView(fields, this.reader.clockOffset, this.maxModels) : undefined;
    const parts: Array<SessionView | undefined> = [
      remote,
      this.older()?.sessions.get(sessionId),
      this.newer().sessions.get(sessionId),
    ];
    const view: SessionTimes = { startedAt: 0, lastActivityAt: 0, endedAt: 0 };
    let empty = true;
    for (const part of parts) {
      empty = fold(view, part, empty);
    }
    if (empty) {
      return undefined;
    }
    view.endedAt = this.endedHere(sessionId, view);
    return sessionJsonOf(sessionId, view, deltaOf(parts, this.maxModels));
  }

  /** The end of a session, with an end made here and not yet written (unless the session was used again since). */
  private endedHere(sessionId: string, view: SessionTimes): number {
    const ended = this.newer().ends.get(sessionId) ?? this.older()?.ends.get(sessionId);
    return ended !== undefined && ended >= view.lastActivityAt ? ended : view.endedAt;
  }
}
