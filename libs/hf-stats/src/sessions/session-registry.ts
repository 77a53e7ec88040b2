import { SessionEntry } from './session-entry.js';
import { pageSessions, type HfSessionKey, type HfSessionPageOf, type HfSessionPageQuery } from './session-page.js';

function keyOf(entry: SessionEntry): HfSessionKey {
  return { active: entry.endedAt === undefined, lastActivityAt: entry.lastActivityAt, sessionId: entry.sessionId };
}

/**
 * The retained sessions and their lifecycle. Active and ended sessions live in two maps so that
 * eviction (ended sessions first, the longest-ended first) and the idle sweep never scan the other kind.
 */
export class SessionRegistry {
  private readonly active = new Map<string, SessionEntry>();
  /** Insertion order is end order: the first key is the least recently used ended session. */
  private readonly ended = new Map<string, SessionEntry>();
  /** New sessions refused because every retained session was active at the bound. */
  overflowCount = 0;

  constructor(
    private readonly maxSessions: number,
    private readonly maxModels: number,
  ) {}

  get size(): number {
    return this.active.size + this.ended.size;
  }

  get activeCount(): number {
    return this.active.size;
  }

  get(sessionId: string): SessionEntry | undefined {
    return this.active.get(sessionId) ?? this.ended.get(sessionId);
  }

  /** The session if it is active. */
  getActive(sessionId: string): SessionEntry | undefined {
    return this.active.get(sessionId);
  }

  /**
   * The active session for this id, marked as used now: created, or reopened when it had ended.
   * Undefined when the bound is reached and no ended session can make room.
   */
  touch(sessionId: string, now: number): SessionEntry | undefined {
    let entry = this.active.get(sessionId);
    if (entry === undefined) {
      entry = this.ended.get(sessionId);
      if (entry !== undefined) {
        this.ended.delete(sessionId);
        entry.endedAt = undefined;
      } else {
        if (this.size >= this.maxSessions && !this.evictOne()) {
          this.overflowCount += 1;
          return undefined;
        }
        entry = new SessionEntry(sessionId, now, this.maxModels);
      }
      this.active.set(sessionId, entry);
    }
    if (now > entry.lastActivityAt) {
      entry.lastActivityAt = now;
    }
    return entry;
  }

  /** Ends an active session; returns it, or undefined when it was not active (so each end happens once). */
  end(sessionId: string, now: number): SessionEntry | undefined {
    const entry = this.active.get(sessionId);
    if (entry === undefined) {
      return undefined;
    }
    this.active.delete(sessionId);
    entry.endedAt = now;
    entry.generation += 1;
    this.ended.set(sessionId, entry);
    return entry;
  }

  /** Ids of the active sessions with no activity since `idleSince`. */
  idleSessionIds(idleSince: number): string[] {
    const idle: string[] = [];
    for (const entry of this.active.values()) {
      if (entry.lastActivityAt <= idleSince) {
        idle.push(entry.sessionId);
      }
    }
    return idle;
  }

  activeSessionIds(): string[] {
    return [...this.active.keys()];
  }

  /** One page of the retained sessions in the listing order (see `session-page.ts`), with the counts. */
  page(query: HfSessionPageQuery): HfSessionPageOf<SessionEntry> {
    return pageSessions(this.entries(), keyOf, query);
  }

  /** Active sessions first, then ended ones (unless `activeOnly`); the most recently active first within each. */
  list(activeOnly = false, limit = Number.POSITIVE_INFINITY): SessionEntry[] {
    return this.page({ active: activeOnly ? true : undefined, limit }).items;
  }

  clear(): void {
    for (const entry of this.entries()) {
      entry.detached = true;
    }
    this.active.clear();
    this.ended.clear();
    this.overflowCount = 0;
  }

  private *entries(): IterableIterator<SessionEntry> {
    yield* this.active.values();
    yield* this.ended.values();
  }

  private evictOne(): boolean {
    const oldest = this.ended.keys().next();
    if (oldest.done === true) {
      return false;
    }
    const evicted = this.ended.get(oldest.value);
    if (evicted !== undefined) {
      evicted.detached = true;
    }
    this.ended.delete(oldest.value);
    return true;
  }
}
