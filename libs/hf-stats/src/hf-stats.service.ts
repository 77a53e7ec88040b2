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
import { invalidArgument, SESSION_OVERFLOW_WARNING, STATS_FAILURE_WARNING } from './hf-stats.messages.js';
import { HfStatsOptions } from './hf-stats.options.js';
import { isValidSessionId } from './sessions/session-id.js';
import { SessionRegistry } from './sessions/session-registry.js';
import { HfBudgetExceededError } from './hf-stats.exceptions.js';
import { reachedLimit } from './stats/budget.js';
import { defaultCharacterCount, defaultModel, defaultTextCount } from './stats/call-arguments.js';
import { errorTypeOf, type HfCallRecord } from './stats/hf-call-record.js';
import type {
  HfCallInput,
  HfSessionEndReason,
  HfSessionStats,
  HfStats,
  HfStatsSnapshot,
} from './stats/hf-stats.interfaces.js';
import type { HfStatsListener } from './stats/hf-stats-listener.js';
import { PendingCall, type HfCallSink, type HfCallStart } from './stats/pending-call.js';
import { HfPricing } from './stats/pricing.js';
import { ScopeAccumulator } from './stats/stats-accumulator.js';
import type { TrackHFCallOptions } from './decorators/track-hf-call.decorator.js';
import { HfMemoryStore } from './stores/hf-memory-store.js';
import { HfStatsStore } from './stores/hf-stats-store.js';

/** Options of {@link HfStatsService.runInSession}. */
export interface HfRunInSessionOptions {
  /** End the session when `fn` returns, or when its promise settles. Default false. */
  endSession?: boolean;
}

/** Which sessions {@link HfStatsService.listSessions} returns. */
export interface HfSessionFilter {
  /** Only the active sessions. Default false. */
  active?: boolean;
  /** At most this many. Default all. */
  limit?: number;
}

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
   * The running instance, for `@TrackHFCall`, which has no DI. Read at call time, so a decorated
   * method called before the module starts (or without it) simply runs untracked.
   * @internal
   */
  static current: HfStatsService | undefined;

  private readonly logger = new Logger('HfStats');
  private readonly global: ScopeAccumulator;
  private readonly sessions: SessionRegistry;
  private readonly pricing: HfPricing | undefined;
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
    @Inject(HF_STATS_OPTIONS) readonly options: HfStatsOptions,
    private readonly cls: ClsService,
    @Optional() @Inject(HfStatsStore) store?: HfStatsStore,
  ) {
    this.store = store ?? new HfMemoryStore();
    this.global = new ScopeAccumulator(options.maxModels);
    this.sessions = new SessionRegistry(options.maxSessions, options.maxModels);
    this.pricing = options.pricing.length > 0 ? new HfPricing(options.pricing) : undefined;
    HfStatsService.current = this;
  }

  onApplicationBootstrap(): void {
    this.store.start((session, reason) => this.notifySessionEnd(session, reason));
    const idleMs = this.options.sessionIdleTimeoutMs;
    if (idleMs > 0) {
      this.sweepTimer = setInterval(() => this.endIdleSessions(), Math.min(idleMs, MAX_SWEEP_INTERVAL_MS));
      this.sweepTimer.unref();
    }
  }

  /** Ends every active session (reason `shutdown`) while the readers that log it are still open. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.shuttingDown = true;
    const now = Date.now();
    for (const sessionId of this.sessions.activeSessionIds()) {
      this.finishSession(sessionId, 'shutdown', now);
    }
    // The last flush of a shared store, while the readers that log its session ends are still open.
    await this.store.close();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    if (HfStatsService.current === this) {
      HfStatsService.current = undefined;
    }
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
   * Retained sessions: active first, then ended; most recently active first within each.
   * `active: true` lists the active ones only; `limit` keeps the first ones.
   */
  listSessions(filter: HfSessionFilter = {}): HfSessionStats[] {
    const shared = this.store.listSessions(filter.active === true);
    if (shared !== undefined) {
      return filter.limit === undefined ? shared : shared.slice(0, Math.max(0, filter.limit));
    }
    return this.sessions
      .list(filter.active === true, filter.limit === undefined ? undefined : Math.max(0, filter.limit))
      .map((entry) => entry.toJSON());
  }

  /** What `GET /hf-stats` answers: global figures, sessions and the module's own counters. */
  getSnapshot(): HfStatsSnapshot & { partial?: boolean; lostCallCount?: number } {
    const snapshot: HfStatsSnapshot & { partial?: boolean; lostCallCount?: number } = {
      global: this.getGlobalStats(),
      sessions: this.listSessions(),
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

  /** Ends a session now. Returns false when it was not active (unknown, or already ended). */
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
    if (operation !== undefined && typeof operation !== 'string') {
      throw invalidArgument('record', 'operation', operation, 'a string');
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
      model,
      operation,
      textCount: texts,
      characterCount: characters,
      durationMs,
      ok,
      errorType: ok ? undefined : errorTypeOf(error),
      endedAt: Date.now(),
      inputTokens,
      outputTokens,
      computeTimeMs,
      attempts: undefined,
      costNanoUsd: undefined,
    });
  }

  /**
   * Starts timing a call of a decorated method. Undefined when statistics fail, so that the
   * caller runs the method untracked rather than differently.
   * @internal
   */
  startCall(spec: TrackHFCallOptions, target: unknown, args: unknown[]): PendingCall | undefined {
    let start: HfCallStart;
    try {
      start = {
        sessionId: this.currentSessionId(),
        model: this.modelOf(spec, target, args),
        operation: spec.operation,
        textCount: this.textCountOf(spec, target, args),
        characterCount: this.characterCountOf(spec, target, args),
        usageOf: spec.usage === undefined ? undefined : (result) => spec.usage?.call(target, result, ...args),
      };
    } catch (error) {
      this.reportFailure(error);
      return undefined;
    }
    if (this.options.budget !== undefined && start.sessionId !== undefined) {
      this.enforceBudget(start.sessionId);
    }
    return new PendingCall(this, start);
  }

  /** Folds a finished call into the global and session figures. Never throws. @internal */
  recordCall(call: HfCallRecord): void {
    try {
      if (this.pricing !== undefined) {
        const price = this.pricing.priceCall({
          ...call,
          characterCount: call.characterCount ?? call.attempts?.computeCharacters,
        });
        call.costNanoUsd = price.priced ? price.costNanoUsd : undefined;
      }
      this.global.add(call);
      if (call.sessionId !== undefined) {
        const session = this.shuttingDown
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

  /** Refuses (`throw`) or warns once (`warn`) when the session has reached a limit of its budget. */
  private enforceBudget(sessionId: string): void {
    const budget = this.options.budget;
    const entry = this.sessions.get(sessionId);
    if (budget === undefined || entry === undefined) {
      return;
    }
    const reached = reachedLimit(budget, entry.stats);
    if (reached === undefined) {
      return;
    }
    if (budget.onExceed === 'throw') {
      entry.stats.budgetRejectedCount += 1;
      this.global.budgetRejectedCount += 1;
      throw new HfBudgetExceededError(sessionId, reached.limit, reached.limitValue, reached.usedValue);
    }
    if (!entry.budgetWarned) {
      entry.budgetWarned = true;
      this.logger.warn(
        `Session "${sessionId}" reached its Hugging Face budget (${reached.limit} ${reached.limitValue}).`,
      );
    }
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

  private modelOf(spec: TrackHFCallOptions, target: unknown, args: unknown[]): string | undefined {
    const model =
      typeof spec.model === 'function' ? spec.model.apply(target, args) : (spec.model ?? defaultModel(args));
    return typeof model === 'string' ? model : undefined;
  }

  private characterCountOf(spec: TrackHFCallOptions, target: unknown, args: unknown[]): number | undefined {
    if (spec.characters === undefined) {
      return defaultCharacterCount(args);
    }
    const count = spec.characters.apply(target, args);
    if (!Number.isSafeInteger(count) || count < 0) {
      this.reportFailure(new RangeError('characters() must return an integer >= 0'));
      return undefined;
    }
    return count;
  }

  private textCountOf(spec: TrackHFCallOptions, target: unknown, args: unknown[]): number {
    if (spec.texts === undefined) {
      return defaultTextCount(args);
    }
    const count = spec.texts.apply(target, args);
    if (!Number.isSafeInteger(count) || count < 0) {
      this.reportFailure(new RangeError('texts() must return an integer >= 0'));
      return 0;
    }
    return count;
  }
}

function isPromiseLike<T>(value: T): value is T & PromiseLike<Awaited<T>> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
