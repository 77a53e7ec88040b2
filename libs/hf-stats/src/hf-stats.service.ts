import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { HF_STATS_OPTIONS, SESSION_ID_CLS_KEY } from './hf-stats.internal-constants.js';
import {
  callsOutlivedShutdown,
  invalidArgument,
  SESSION_OVERFLOW_WARNING,
  STATS_FAILURE_WARNING,
} from './hf-stats.messages.js';
import { HfStatsSettings } from './hf-stats.options.js';
import { isValidSessionId } from './sessions/session-id.js';
import { CallHold, SessionLifecycle } from './sessions/session-lifecycle.js';
import { SessionRegistry } from './sessions/session-registry.js';
import type { HfSessionPageQuery } from './sessions/session-page.js';
import {
  checkedSessionQuery,
  SESSION_PAGE_BYTES_PER_SESSION,
  sessionPageAnswer,
  type HfSessionFilter,
  type HfSessionPageRequest,
} from './sessions/session-query.js';
import { SessionBudget } from './stats/budget.js';
import { boundedName, boundedNameOf } from './stats/call-names.js';
import { errorTypeOf, type HfCallRecord } from './stats/hf-call-record.js';
import type {
  HfCallInput,
  HfSessionEndReason,
  HfSessionPage,
  HfSessionStats,
  HfStats,
  HfStatsSnapshot,
} from './stats/hf-stats.interfaces.js';
import type { HfStatsListener } from './stats/hf-stats-listener.js';
import { PendingCall, type HfCallSink, type HfCallStart } from './stats/pending-call.js';
import { HfPricing } from './stats/pricing.js';
import { HfRouterPricing } from './stats/pricing/hf-router-pricing.service.js';
import { ScopeAccumulator } from './stats/stats-accumulator.js';
import { latestService } from './decorators/call-site-registry.js';
import { HfMemoryStore } from './stores/hf-memory-store.js';
import { HfStatsStore } from './stores/hf-stats-store.js';
import { isPromiseLike } from './utils/is-promise-like.js';

/** Options of {@link HfStatsService.runInSession}. */
export interface HfRunInSessionOptions {
  /** End the session when `fn` returns, or when its promise settles. Default false. */
  endSession?: boolean;
}

export type { HfSessionFilter, HfSessionPageRequest } from './sessions/session-query.js';

/** Longest the idle sweep waits between two looks at the active sessions. */
const MAX_SWEEP_INTERVAL_MS = 1_000;

/**
 * The statistics of Hugging Face calls: global and per session. Inject it to read figures, to
 * record calls that the decorator can't see, and to run background work under a session.
 */
@Injectable()
export class HfStatsService
  implements HfCallSink, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  /**
   * The most recent instance still running (the fallback of call sites no app made; see
   * `decorators/call-site-registry.ts`), or undefined when none is. @internal
   */
  static get current(): HfStatsService | undefined {
    // Only HfStatsService instances register there (HfStatsExplorer); the registry types them by their role.
    return latestService() as HfStatsService | undefined;
  }

  private readonly logger = new Logger('HfStats');
  private readonly global: ScopeAccumulator;
  private readonly sessions: SessionRegistry;
  /** The calls in flight, and the session ends and the shutdown that wait for them. */
  private readonly lifecycle: SessionLifecycle;
  private readonly pricing: HfPricing | undefined;
  private readonly budget: SessionBudget | undefined;
  private rejectedSessionIdCount = 0;
  private untrackedAttemptCount = 0;
  private internalErrorCount = 0;
  private overflowWarned = false;
  /** Set once shutdown has ended the sessions: late calls then count in them without reopening them. */
  private shuttingDown = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private listeners: HfStatsListener[] = [];
  /** Where readers' figures come from: this process's own (memory) or the cluster's (Redis). */
  private readonly store: HfStatsStore;

  constructor(
    /** The options in force. @internal */
    @Inject(HF_STATS_OPTIONS) readonly options: HfStatsSettings,
    private readonly cls: ClsService,
    @Optional() @Inject(HfStatsStore) store?: HfStatsStore,
    @Optional() routerPricing?: HfRouterPricing,
  ) {
    this.store = store ?? new HfMemoryStore();
    this.global = new ScopeAccumulator(options.maxModels);
    this.sessions = new SessionRegistry(options.maxSessions, options.maxModels);
    this.lifecycle = new SessionLifecycle(
      this.sessions,
      options.sessionEndTimeoutMs,
      (sessionId, reason, now) => this.finishSession(sessionId, reason, now),
      (error) => this.reportFailure(error),
    );
    const router = options.routerPricing === undefined ? undefined : routerPricing;
    this.pricing =
      options.pricing.length > 0 || router !== undefined ? new HfPricing(options.pricing, router) : undefined;
    this.budget =
      options.budget === undefined
        ? undefined
        : new SessionBudget(options.budget, this.pricing, this.global, options.maxSessions, (message) =>
            this.logger.warn(message),
          );
  }

  onApplicationBootstrap(): void {
    this.store.start((session, reason) => this.notifySessionEnd(session, reason));
    const idleMs = this.options.sessionIdleTimeoutMs;
    if (idleMs > 0) {
      this.sweepTimer = setInterval(() => this.endIdleSessions(), Math.min(idleMs, MAX_SWEEP_INTERVAL_MS));
      this.sweepTimer.unref();
    }
  }

  /**
   * Waits for the tracked calls in flight (at most `shutdownTimeoutMs`), then ends every active session (reason
   * `shutdown`) while the readers that log it are still open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    // First the calls in flight, so that the end lines and the last flush count them.
    const stillRunning = await this.lifecycle.drain(this.options.shutdownTimeoutMs);
    if (stillRunning > 0) {
      this.logger.warn(callsOutlivedShutdown(stillRunning, this.options.shutdownTimeoutMs));
    }
    this.shuttingDown = true;
    const now = Date.now();
    for (const sessionId of this.sessions.activeSessionIds()) {
      this.finishSession(sessionId, this.lifecycle.takePendingReason(sessionId) ?? 'shutdown', now);
    }
    // The last flush of a shared store, while the readers that log its session ends are still open.
    await this.store.close();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  // ---- Reading ----------------------------------------------------------------------------

  /** Figures of every tracked call of this process since start (or the last `reset()`). */
  getGlobalStats(): HfStats {
    const shared = this.store.globalStats();
    // Budget refusals are not shared: a shared view shows this replica's own.
    return shared === undefined
      ? this.global.toJSON()
      : { ...shared, budgetRejectedCount: this.global.budgetRejectedCount };
  }

  /** Figures of one session, or undefined when it is unknown (never seen, evicted or reset). */
  getSessionStats(sessionId: string): HfSessionStats | undefined {
    if (typeof sessionId !== 'string') {
      return undefined;
    }
    const shared = this.store.sessionStats(sessionId);
    return shared === null ? this.sessions.get(sessionId)?.toJSON() : shared;
  }

  /**
   * Retained sessions: active first, then ended; most recently active first within each, ties by id.
   * `active` keeps the active (`true`) or the ended (`false`) ones, `idPrefix` the ids that start with it,
   * `limit` the first ones (default all: prefer {@link listSessionsPage} with many sessions).
   */
  listSessions(filter: HfSessionFilter = {}): HfSessionStats[] {
    const limit = filter.limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(filter.limit));
    const { active, idPrefix } = filter;
    const query = { active, idPrefix: idPrefix === '' ? undefined : idPrefix, limit };
    return this.readSessionPage(query, Number.POSITIVE_INFINITY).sessions;
  }

  /**
   * One page of the retained sessions, in the order of {@link listSessions}, with the counts: `limit`
   * (default 100, at most 1,000), the filters of {@link listSessions}, and `cursor`, the `nextCursor` of the
   * previous page. Paging is keyset-based: sessions added or used meanwhile never shift a page. A page of
   * sessions with many models stops early, within 6 KB of JSON per session asked for (at least one session):
   * follow `nextCursor`.
   * @throws TypeError when the limit, a filter or the cursor is not valid (the value is not repeated).
   */
  listSessionsPage(request: HfSessionPageRequest = {}): HfSessionPage {
    return this.readSessionPage(checkedSessionQuery(request, this.options.sessionIdMaxLength, 'listSessionsPage'));
  }

  /**
   * What `GET /hf-stats` answers: global figures, the module's own counters and one page of sessions
   * (the first 100 by default; `request` as for {@link listSessionsPage}).
   * @throws TypeError when `request` is not valid.
   */
  getSnapshot(request: HfSessionPageRequest = {}): HfStatsSnapshot {
    return this.readSnapshot(checkedSessionQuery(request, this.options.sessionIdMaxLength, 'getSnapshot'));
  }

  /**
   * One page of sessions for a query already checked, within `maxBytes` of session JSON (by default
   * `SESSION_PAGE_BYTES_PER_SESSION` per session asked for). @internal
   */
  readSessionPage(query: HfSessionPageQuery, maxBytes = query.limit * SESSION_PAGE_BYTES_PER_SESSION): HfSessionPage {
    const shared = this.store.listSessions(query);
    if (shared !== undefined) {
      return sessionPageAnswer(shared, shared.items, maxBytes);
    }
    const own = this.sessions.page(query);
    return sessionPageAnswer(
      own,
      own.items.map((entry) => entry.toJSON()),
      maxBytes,
    );
  }

  /** The snapshot with one page of sessions for a query already checked. @internal */
  readSnapshot(query: HfSessionPageQuery): HfStatsSnapshot {
    const snapshot: HfStatsSnapshot = {
      global: this.getGlobalStats(),
      ...this.readSessionPage(query),
      rejectedSessionIdCount: this.rejectedSessionIdCount,
      sessionOverflowCount: this.sessions.overflowCount + this.store.sessionOverflowCount,
      untrackedAttemptCount: this.untrackedAttemptCount,
      internalErrorCount: this.internalErrorCount,
    };
    if (this.store.type !== 'memory') {
      // True while the shared store is unreachable: the figures miss other replicas' latest ones.
      snapshot.partial = this.store.partial;
      snapshot.lostCallCount = this.store.lostCallCount ?? 0;
    }
    return snapshot;
  }

  /**
   * Writes the figures buffered for a shared store (Redis) now and refreshes the cluster view, instead of
   * waiting for the next flush interval. Resolves at once with the memory store. Never rejects.
   */
  flush(): Promise<void> {
    return this.store.flush();
  }

  /**
   * Without an argument: forgets everything (global figures, sessions, counters).
   * With a session id: zeroes that session's figures, keeping it and its lifecycle.
   */
  reset(sessionId?: string): void {
    if (sessionId === undefined) {
      this.global.reset();
      this.sessions.clear();
      this.lifecycle.clear();
      this.rejectedSessionIdCount = 0;
      this.untrackedAttemptCount = 0;
      this.internalErrorCount = 0;
      this.overflowWarned = false;
      this.store.reset();
      return;
    }
    this.sessions.get(sessionId)?.stats.reset();
  }

  // ---- Sessions ---------------------------------------------------------------------------

  /** The session the current code runs under (from the request or `runInSession`), if any. */
  currentSessionId(): string | undefined {
    // One async-context lookup: without an active context the store is undefined, and so is the id.
    return this.cls.get<string | undefined>(SESSION_ID_CLS_KEY);
  }

  /**
   * Runs `fn` under a session (a queue job, a cron job, a CLI command) and returns what it returns.
   * The session starts now if it was not active; tracked calls made by `fn`, awaited or not, count in it.
   * @throws TypeError when the session id is not allowed (see `sessionIdMaxLength`, `sessionIdPattern`).
   */
  runInSession<T>(sessionId: string, fn: () => T, options: HfRunInSessionOptions = {}): T {
    if (!this.isAllowedSessionId(sessionId)) {
      throw invalidArgument('runInSession', 'sessionId', sessionId, this.allowedSessionIdDescription());
    }
    if (typeof fn !== 'function') {
      throw invalidArgument('runInSession', 'fn', fn, 'a function');
    }
    const now = Date.now();
    this.openSession(sessionId, now);
    this.store.touchSession(sessionId, now);
    return this.cls.run({ ifNested: 'inherit' }, () => {
      this.cls.set(SESSION_ID_CLS_KEY, sessionId);
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
   * Runs `fn` with `sessionId` as the current session: in the caller's CLS context when there is
   * one (the app's own ClsModule), else in a new one. @internal
   */
  withSession<T>(sessionId: string, fn: () => T): T {
    if (this.cls.isActive()) {
      this.cls.set(SESSION_ID_CLS_KEY, sessionId);
      return fn();
    }
    return this.cls.run(() => {
      this.cls.set(SESSION_ID_CLS_KEY, sessionId);
      return fn();
    });
  }

  /**
   * Ends a session. Returns false when it was not active (unknown, or already ended or ending). With tracked
   * calls of the session in flight, the end (and its `hf_session_end` line) waits until they have settled, at
   * most `sessionEndTimeoutMs`, so that it counts every call that started in the session.
   */
  endSession(sessionId: string): boolean {
    return this.finishSession(sessionId, 'ended', Date.now());
  }

  // ---- Recording --------------------------------------------------------------------------

  /**
   * Records a call made outside a decorated method.
   * @throws TypeError naming the field when `call` is malformed; nothing is recorded then.
   */
  record(call: HfCallInput): void {
    if (call === null || typeof call !== 'object') {
      throw invalidArgument(
        'record',
        'call',
        call,
        'an object { durationMs, texts?, model?, operation?, ok?, error?, sessionId?, ... }',
      );
    }
    const {
      durationMs,
      texts = 0,
      characters,
      model,
      operation,
      error,
      sessionId,
      inputTokens,
      outputTokens,
      computeTimeMs,
      provider,
      billTo,
    } = call;
    if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
      throw invalidArgument('record', 'durationMs', durationMs, 'a finite number >= 0');
    }
    if (!Number.isSafeInteger(texts) || texts < 0) {
      throw invalidArgument('record', 'texts', texts, 'an integer >= 0');
    }
    for (const [field, value] of [
      ['characters', characters],
      ['inputTokens', inputTokens],
      ['outputTokens', outputTokens],
    ] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
        throw invalidArgument('record', field, value, 'an integer >= 0, or undefined when not measured');
      }
    }
    if (
      computeTimeMs !== undefined &&
      (typeof computeTimeMs !== 'number' || !Number.isFinite(computeTimeMs) || computeTimeMs < 0)
    ) {
      throw invalidArgument(
        'record',
        'computeTimeMs',
        computeTimeMs,
        'a finite number >= 0, or undefined when not measured',
      );
    }
    if (model !== undefined && typeof model !== 'string') {
      throw invalidArgument('record', 'model', model, 'a string');
    }
    for (const [field, value] of [
      ['operation', operation],
      ['provider', provider],
      ['billTo', billTo],
    ] as const) {
      if (value !== undefined && typeof value !== 'string') {
        throw invalidArgument('record', field, value, 'a string');
      }
    }
    if (call.ok !== undefined && typeof call.ok !== 'boolean') {
      throw invalidArgument('record', 'ok', call.ok, 'true or false');
    }
    if (sessionId !== undefined && sessionId !== null && !this.isAllowedSessionId(sessionId)) {
      throw invalidArgument('record', 'sessionId', sessionId, this.allowedSessionIdDescription());
    }
    const ok = call.ok ?? error === undefined;
    this.recordCall({
      sessionId: sessionId === null ? undefined : (sessionId ?? this.currentSessionId()),
      model: boundedNameOf(model),
      provider: boundedNameOf(provider),
      billTo: boundedNameOf(billTo),
      operation: boundedNameOf(operation),
      textCount: texts,
      characterCount: characters,
      durationMs,
      ok,
      errorType: ok ? undefined : boundedName(errorTypeOf(error)),
      endedAt: Date.now(),
      inputTokens,
      outputTokens,
      computeTimeMs,
      attempts: undefined,
      costNanoUsd: undefined,
    });
  }

  /**
   * Starts timing a call of a decorated method, from what it sends (`decorators/call-start.ts`).
   * @throws HfBudgetExceededError when the session's budget refuses it, which is meant to stop the call.
   * @internal
   */
  startCall(start: HfCallStart): PendingCall {
    return new PendingCall(this, start, this.holdCall(start));
  }

  /**
   * Folds a finished call into the global and session figures, then releases what it held from its start
   * (`hold`, for calls timed by `startCall`). Never throws. @internal
   */
  recordCall(call: HfCallRecord, hold?: CallHold): void {
    try {
      if (this.pricing !== undefined) {
        const price = this.pricing.priceCall({
          ...call,
          characterCount: call.characterCount ?? call.attempts?.computeCharacters,
          computeType: call.attempts?.computeType,
        });
        call.costNanoUsd = price.priced ? price.costNanoUsd : undefined;
        call.priceSource = price.source;
      }
      this.global.add(call);
      if (call.sessionId !== undefined) {
        // A call that outlived its session's end (or shutdown's) counts in its figures without reopening it;
        // one whose session could not be kept at its start is counted once in sessionOverflowCount.
        const session =
          this.shuttingDown || (hold !== undefined && !this.lifecycle.reopens(hold))
            ? this.sessions.get(call.sessionId)
            : this.openSession(call.sessionId, call.endedAt);
        session?.stats.add(call);
      }
      this.store.record(call);
    } catch (error) {
      this.reportFailure(error);
    }
    for (const listener of this.listeners) {
      if (listener.onCall !== undefined) {
        try {
          listener.onCall(call);
        } catch (error) {
          this.reportFailure(error);
        }
      }
    }
    if (hold !== undefined) {
      // Last, so that an end waiting for this call comes after its figures and its hf_call line.
      this.lifecycle.release(hold, call.endedAt);
    }
  }

  /** Releases what a call dropped unrecorded held from its start (its place in flight, its reservation). @internal */
  releaseCall(hold: CallHold): void {
    try {
      this.lifecycle.release(hold, Date.now());
    } catch (error) {
      this.reportFailure(error);
    }
  }

  /** Counts an HTTP attempt made through a tracked fetch outside any tracked call. @internal */
  recordUntrackedAttempt(): void {
    this.untrackedAttemptCount += 1;
  }

  /** Registers a reader of calls and session ends (the log file, exporters). @internal */
  addListener(listener: HfStatsListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((registered) => registered !== listener);
    };
  }

  /** The `limit` most recently active sessions, for the summary line, without building the others. @internal */
  recentActiveSessions(limit: number): HfSessionStats[] {
    return this.store.recentActiveSessions?.(limit) ?? this.listSessions({ active: true, limit });
  }

  /** Number of active sessions, without building their snapshots. @internal */
  activeSessionCount(): number {
    return this.store.activeSessionCount() ?? this.sessions.activeCount;
  }

  /**
   * The session id of an incoming request, if it is allowed; a present but disallowed one is
   * counted in `rejectedSessionIdCount` and ignored. @internal
   */
  acceptSessionId(raw: unknown): string | undefined {
    if (raw === undefined || raw === null || raw === '') {
      return undefined;
    }
    if (this.isAllowedSessionId(raw)) {
      return raw;
    }
    this.rejectedSessionIdCount += 1;
    return undefined;
  }

  /** Counts a failed statistics step; warns once. Never throws. @internal */
  reportFailure(error: unknown): void {
    this.internalErrorCount += 1;
    if (this.internalErrorCount === 1) {
      this.logger.warn(`${STATS_FAILURE_WARNING} (${errorTypeOf(error)})`);
    }
  }

  // ---- Internals --------------------------------------------------------------------------

  private openSession(sessionId: string, now: number) {
    const entry = this.sessions.touch(sessionId, now);
    if (entry === undefined && !this.overflowWarned) {
      this.overflowWarned = true;
      this.logger.warn(SESSION_OVERFLOW_WARNING);
    }
    return entry;
  }

  /** Ends an active session once and tells the listeners; false when it was not active. */
  private finishSession(sessionId: string, reason: HfSessionEndReason, now: number): boolean {
    const deferred = this.lifecycle.deferEnd(sessionId, reason, now);
    if (deferred !== undefined) {
      return deferred;
    }
    const entry = this.sessions.end(sessionId, now);
    if (entry === undefined) {
      // Served by other replicas only: a shared store still ends it for the cluster (if it is open there).
      if (reason !== 'ended' || !this.store.sharedSessions || !this.isAllowedSessionId(sessionId)) {
        return false;
      }
      const wasActive = this.store.sessionStats(sessionId)?.active === true;
      this.store.endSession(sessionId, reason, now);
      return wasActive;
    }
    if (this.store.sharedSessions) {
      // The shared store decides the end once per cluster and calls notifySessionEnd on one replica.
      this.store.endSession(sessionId, reason, now);
      return true;
    }
    if (this.listeners.length > 0) {
      this.notifySessionEnd(entry.toJSON(), reason);
    }
    return true;
  }

  private notifySessionEnd(session: HfSessionStats, reason: HfSessionEndReason): void {
    for (const listener of this.listeners) {
      try {
        listener.onSessionEnd?.(session, reason);
      } catch (error) {
        this.reportFailure(error);
      }
    }
  }

  /**
   * Puts a starting call in flight in its session (which starts now if it was not active) and checks it against
   * the session's budget, the calls in flight included. @throws HfBudgetExceededError
   */
  private holdCall(start: HfCallStart): CallHold {
    const { sessionId } = start;
    if (sessionId === undefined) {
      return this.lifecycle.hold(undefined, 0, 0);
    }
    const now = Date.now();
    const entry = this.shuttingDown ? this.sessions.get(sessionId) : this.openSession(sessionId, now);
    const reserved = this.budget?.admit(sessionId, entry, start, this.sessions.activeCount, now) ?? 0;
    return this.lifecycle.hold(entry, start.textCount, reserved);
  }

  private endIdleSessions(): void {
    const now = Date.now();
    for (const sessionId of this.sessions.idleSessionIds(now - this.options.sessionIdleTimeoutMs)) {
      this.finishSession(sessionId, 'idle', now);
    }
  }

  private isAllowedSessionId(value: unknown): value is string {
    return isValidSessionId(value, this.options.sessionIdMaxLength, this.options.sessionIdPattern);
  }

  private allowedSessionIdDescription(): string {
    return `a string of 1 to ${this.options.sessionIdMaxLength} characters matching ${String(this.options.sessionIdPattern)}`;
  }
}
