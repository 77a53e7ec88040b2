import { Injectable } from '@nestjs/common';
import { invalidArgument } from './hf-stats.messages.js';
import { HfStatsRecorder } from './recording/hf-stats.recorder.js';
import { callRecordOfInput } from './recording/record-input.js';
import { bindRecorder } from './recording/recorder-of.js';
import {
  fetchSession,
  fetchSessionPage,
  fetchSnapshot,
  readSessionPage,
  readSnapshot,
} from './recording/stats-reader.js';
import { isPromiseLike } from './utils/is-promise-like.js';
import { checkedSessionQuery, type HfSessionFilter, type HfSessionPageRequest } from './sessions/session-query.js';
import type {
  HfCallInput,
  HfSessionPage,
  HfSessionStats,
  HfStats,
  HfStatsSnapshot,
} from './stats/hf-stats.interfaces.js';

/** Options of {@link HfStatsService.runInSession}. */
export interface HfRunInSessionOptions {
  /** End the session when `fn` returns, or when its promise settles. Default false. */
  endSession?: boolean;
}

export type { HfSessionFilter, HfSessionPageRequest } from './sessions/session-query.js';

/**
 * The statistics of Hugging Face calls: global and per session. Inject it to read figures, to
 * record calls that the decorator can't see, and to run background work under a session.
 */
@Injectable()
export class HfStatsService {
  constructor(private readonly recorder: HfStatsRecorder) {
    bindRecorder(this, recorder);
  }

  /** Figures of every tracked call of this process since start (or the last `reset()`). */
  getGlobalStats(): HfStats {
    return this.recorder.store.globalStats();
  }

  /**
   * Figures of one session, or undefined when it is unknown (never seen, evicted or reset). Synchronous: with the
   * Redis store, this replica's view (see {@link fetchSessionStats} for any session of the cluster).
   */
  getSessionStats(sessionId: string): HfSessionStats | undefined {
    return typeof sessionId === 'string' ? this.recorder.store.sessionStats(sessionId) : undefined;
  }

  /**
   * Retained sessions: active first, then ended; most recently active first within each, ties by id.
   * `active` keeps the active (`true`) or the ended (`false`) ones, `idPrefix` the ids that start with it,
   * `limit` the first ones (default all: prefer {@link listSessionsPage} with many sessions). Synchronous: with
   * the Redis store, the sessions this replica knows (see {@link fetchSessionsPage} for the whole cluster's).
   */
  listSessions(filter: HfSessionFilter = {}): HfSessionStats[] {
    const limit = filter.limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(filter.limit));
    const { active, idPrefix } = filter;
    const query = { active, idPrefix: idPrefix === '' ? undefined : idPrefix, limit };
    return readSessionPage(this.recorder, query, Number.POSITIVE_INFINITY).sessions;
  }

  /**
   * One page of the retained sessions, in the order of {@link listSessions}, with the counts: `limit`
   * (default 100, at most 1,000), the filters of {@link listSessions}, and `cursor`, the `nextCursor` of the
   * previous page. Paging is keyset-based: sessions added or used meanwhile never shift a page. A page of
   * sessions with many models stops early, within 6 KB of JSON per session asked for (at least one session):
   * follow `nextCursor`. Synchronous: with the Redis store, the sessions this replica knows ({@link fetchSessionsPage}
   * reads the cluster's).
   * @throws TypeError when the limit, a filter or the cursor is not valid (the value is not repeated).
   */
  listSessionsPage(request: HfSessionPageRequest = {}): HfSessionPage {
    const { sessionIdMaxLength } = this.recorder.options;
    return readSessionPage(this.recorder, checkedSessionQuery(request, sessionIdMaxLength, 'listSessionsPage'));
  }

  /**
   * Global figures, the module's own counters and one page of sessions (the first 100 by default; `request` as
   * for {@link listSessionsPage}). Synchronous: with the Redis store, its page is this replica's view, where
   * `GET /hf-stats` answers {@link fetchSnapshot}.
   * @throws TypeError when `request` is not valid.
   */
  getSnapshot(request: HfSessionPageRequest = {}): HfStatsSnapshot {
    const { sessionIdMaxLength } = this.recorder.options;
    return readSnapshot(this.recorder, checkedSessionQuery(request, sessionIdMaxLength, 'getSnapshot'));
  }

  /**
   * As {@link getSessionStats}, but of any session the whole store retains, read now: with the Redis store, a
   * session of any replica (one Redis round trip), with `partial: true` when Redis could not be read (then it is
   * this replica's view, as `getSessionStats`). With the memory store, the same as `getSessionStats`. Never rejects.
   */
  fetchSessionStats(sessionId: string): Promise<HfSessionStats | undefined> {
    return typeof sessionId === 'string' ? fetchSession(this.recorder, sessionId) : Promise.resolve(undefined);
  }

  /**
   * As {@link listSessionsPage}, but of every session the whole store retains, read now (with the Redis store: the
   * cluster's index in slices of 1,000, then the page's sessions; `partial: true` when Redis could not be read).
   * @throws TypeError (synchronously) when the limit, a filter or the cursor is not valid.
   */
  fetchSessionsPage(request: HfSessionPageRequest = {}): Promise<HfSessionPage> {
    const { sessionIdMaxLength } = this.recorder.options;
    return fetchSessionPage(this.recorder, checkedSessionQuery(request, sessionIdMaxLength, 'fetchSessionsPage'));
  }

  /**
   * What `GET /hf-stats` answers: {@link getSnapshot} with the page of {@link fetchSessionsPage} (with the Redis
   * store, `partial` is also true when that page could not be read).
   * @throws TypeError (synchronously) when `request` is not valid.
   */
  fetchSnapshot(request: HfSessionPageRequest = {}): Promise<HfStatsSnapshot> {
    const { sessionIdMaxLength } = this.recorder.options;
    return fetchSnapshot(this.recorder, checkedSessionQuery(request, sessionIdMaxLength, 'fetchSnapshot'));
  }

  /**
   * Writes the figures buffered for a shared store (Redis) now and refreshes the cluster view, instead of
   * waiting for the next flush interval. Resolves at once with the memory store. Never rejects.
   */
  flush(): Promise<void> {
    return this.recorder.store.flush();
  }

  /**
   * Without an argument: forgets everything of this process (global figures, sessions, counters); with a shared
   * store (Redis) the cluster's figures stay there and are read back at the next flush.
   * With a session id: zeroes that session's figures, keeping it and its lifecycle.
   */
  reset(sessionId?: string): void;
  /**
   * `{ cluster: true }`: forgets everything of this process and clears the figures every replica shares in Redis
   * (in bounded steps), so that every replica counts from zero; with the memory store, the same as `reset()`.
   * Rejects when Redis cannot be reached (this process's figures are reset all the same).
   */
  reset(options: { cluster: true }): Promise<void>;
  reset(target?: string | { cluster: true }): void | Promise<void> {
    // Checked at run time too: a JavaScript caller may pass anything.
    if (typeof target === 'object' && (target as { cluster?: unknown } | null)?.cluster === true) {
      this.recorder.reset();
      return this.recorder.store.resetShared?.() ?? Promise.resolve();
    }
    if (target === undefined || typeof target !== 'string') {
      this.recorder.reset();
      return;
    }
    this.recorder.store.local.sessions.get(target)?.stats.reset();
  }

  /** The session the current code runs under (from the request or `runInSession`), if any. */
  currentSessionId(): string | undefined {
    return this.recorder.currentSessionId();
  }

  /**
   * Runs `fn` under a session (a queue job, a cron job, a CLI command) and returns what it returns.
   * The session starts now if it was not active; tracked calls made by `fn`, awaited or not, count in it.
   * @throws TypeError when the session id is not allowed (see `sessionIdMaxLength`, `sessionIdPattern`).
   */
  runInSession<T>(sessionId: string, fn: () => T, options: HfRunInSessionOptions = {}): T {
    const { recorder } = this;
    if (!recorder.isAllowedSessionId(sessionId)) {
      throw invalidArgument('runInSession', 'sessionId', sessionId, recorder.sessionIdDescription);
    }
    if (typeof fn !== 'function') {
      throw invalidArgument('runInSession', 'fn', fn, 'a function');
    }
    const now = Date.now();
    recorder.sessions.open(sessionId, now);
    recorder.store.touchSession(sessionId, now);
    return recorder.runInNewSessionContext(sessionId, () => {
      if (options.endSession !== true) {
        return fn();
      }
      let result: T;
      try {
        result = fn();
      } catch (error) {
        this.endSession(sessionId);
        throw error;
      }
      if (isPromiseLike(result)) {
        return result.then(
          (value) => {
            this.endSession(sessionId);
            return value;
          },
          (error: unknown) => {
            this.endSession(sessionId);
            throw error;
          },
        ) as T;
      }
      this.endSession(sessionId);
      return result;
    });
  }

  /**
   * Ends a session. Returns false when it was not active (unknown, or already ended or ending). With tracked
   * calls of the session in flight, the end (and its `hf_session_end` line) waits until they have settled, at
   * most `sessionEndTimeoutMs`, so that it counts every call that started in it.
   */
  endSession(sessionId: string): boolean {
    return this.recorder.sessions.finish(sessionId, 'ended', Date.now());
  }

  /**
   * Records a call made outside a decorated method.
   * @throws TypeError naming the field when `call` is malformed; nothing is recorded then.
   */
  record(call: HfCallInput): void {
    const { recorder } = this;
    recorder.recordCall(callRecordOfInput(call, recorder, () => recorder.currentSessionId()));
  }
}
