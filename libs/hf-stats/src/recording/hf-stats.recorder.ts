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
import { HF_STATS_OPTIONS, SESSION_ID_CLS_KEY } from '../hf-stats.internal-constants.js';
import { STATS_FAILURE_WARNING } from '../hf-stats.messages.js';
import { HfStatsSettings } from '../hf-stats.options.js';
import { isValidSessionId } from '../sessions/session-id.js';
import type { CallHold } from '../sessions/session-lifecycle.js';
import type { SessionEntry } from '../sessions/session-entry.js';
import { SessionOrchestrator } from '../sessions/session-orchestrator.js';
import { SessionBudget } from '../stats/budget.js';
import { errorTypeOf, type HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionEndReason, HfSessionStats } from '../stats/hf-stats.interfaces.js';
import type { HfStatsListener } from '../stats/hf-stats-listener.js';
import { PendingCall, type HfCallSink, type HfCallStart } from '../stats/pending-call.js';
import { HfPricing } from '../stats/pricing.js';
import { HfRouterPricing } from '../stats/pricing/hf-router-pricing.service.js';
import { HfMemoryStore } from '../stores/hf-memory-store.js';
import { HfStatsStore } from '../stores/hf-stats-store.js';
import { ListenerBus } from './listener-bus.js';
import { ClusterCalls } from './cluster-call-start.js';
import type { SessionIdRules } from './record-input.js';

/**
 * The one way a call's figures go: a call site hands over a finished record; the recorder prices it (on a copy:
 * the caller's object is never changed), opens its session, folds it into the store, which owns the figures,
 * and tells the listeners. Internal: `HfStatsService` is its public face; the decorator, the tracked fetch,
 * the interceptor and the readers inside the module reach it directly.
 */
@Injectable()
export class HfStatsRecorder
  implements HfCallSink, SessionIdRules, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  readonly store: HfStatsStore;
  readonly sessions: SessionOrchestrator;
  /** Module counters shown in the snapshot beside the figures. */
  rejectedSessionIdCount = 0;
  untrackedAttemptCount = 0;
  internalErrorCount = 0;
  private readonly logger = new Logger('HfStats');
  private readonly bus = new ListenerBus((error) => this.reportFailure(error));
  private readonly pricing: HfPricing | undefined;
  private readonly budget: SessionBudget | undefined;
  /** With a shared store: the session budgets hold for the whole cluster, leased from it. */
  private readonly cluster: ClusterCalls | undefined;

  constructor(
    @Inject(HF_STATS_OPTIONS) readonly options: HfStatsSettings,
    /** nestjs-cls's service: its store holds the session and the request's timing (`sessions/request-context.ts`). */
    readonly cls: ClsService,
    @Optional() @Inject(HfStatsStore) store?: HfStatsStore,
    @Optional() routerPricing?: HfRouterPricing,
  ) {
    this.store = store ?? new HfMemoryStore(options);
    this.sessions = new SessionOrchestrator(this.store, options, this, this.logger);
    const router = options.routerPricing === undefined ? undefined : routerPricing;
    this.pricing =
      options.pricing.length > 0 || router !== undefined ? new HfPricing(options.pricing, router) : undefined;
    this.budget =
      options.budget === undefined
        ? undefined
        : new SessionBudget(options.budget, this.pricing, this.store.local.global, options.maxSessions, (message) =>
            this.logger.warn(message),
          );
    const leases = this.store.budgetLeases;
    this.cluster =
      this.budget === undefined || options.budget === undefined || leases === undefined
        ? undefined
        : new ClusterCalls(this, this.budget, options.budget, leases, options.maxSessions, (error) =>
            this.reportFailure(error),
          );
  }

  onApplicationBootstrap(): void {
    this.store.start((session, reason) => this.notifySessionEnd(session, reason));
    this.sessions.start();
    this.cluster?.leases.start();
  }

  /** Ends every session after the calls in flight, then the store's last flush, while the readers are open. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.sessions.shutdown();
    // The leases go back while the connection is open, so that other replicas can spend them.
    await this.cluster?.leases.close();
    await this.store.close();
  }

  onApplicationShutdown(): void {
    this.sessions.stop();
  }

  get hearsSessionEnds(): boolean {
    return this.bus.size > 0;
  }

  /** What a session id must be, for error messages. */
  get sessionIdDescription(): string {
    return `a string of 1 to ${this.options.sessionIdMaxLength} characters matching ${String(this.options.sessionIdPattern)}`;
  }

  isAllowedSessionId(value: unknown): value is string {
    return isValidSessionId(value, this.options.sessionIdMaxLength, this.options.sessionIdPattern);
  }

  /** The session the current code runs under, if any: one async-context lookup. */
  currentSessionId(): string | undefined {
    return this.cls.get<string | undefined>(SESSION_ID_CLS_KEY);
  }

  /** Runs `fn` in a CLS context of its own (nested in the caller's, inheriting it) with `sessionId` current. */
  runInNewSessionContext<T>(sessionId: string, fn: () => T): T {
    return this.cls.run({ ifNested: 'inherit' }, () => {
      this.cls.set(SESSION_ID_CLS_KEY, sessionId);
      return fn();
    });
  }

  /**
   * Starts timing a call of a decorated method: puts it in flight in its session (which starts now if it was not
   * active) and checks it against the session's budget, the calls in flight included.
   * @throws HfBudgetExceededError when the budget refuses it, which is meant to stop the call.
   */
  startCall(start: HfCallStart): PendingCall {
    const { sessionId } = start;
    if (sessionId === undefined) {
      return new PendingCall(this, start, this.sessions.lifecycle.hold(undefined, 0, 0));
    }
    const now = Date.now();
    const entry = this.sessions.atCallStart(sessionId, now);
    if (this.cluster !== undefined && entry !== undefined) {
      return this.cluster.start(start, entry, now, false) as PendingCall;
    }
    const active = this.store.local.sessions.activeCount;
    const reserved = this.budget?.admit(sessionId, entry, start, active, now) ?? 0;
    return new PendingCall(this, start, this.sessions.lifecycle.hold(entry, start.textCount, reserved));
  }

  /** As {@link startCall}; with a cluster-wide budget, a promise of the call when it waits for a lease call. */
  beginCall(start: HfCallStart): PendingCall | Promise<PendingCall> {
    return this.cluster === undefined || start.sessionId === undefined
      ? this.startCall(start)
      : this.cluster.begin(start);
  }

  /**
   * Folds a finished call into the store's figures (global, session, model), tells the listeners, then releases
   * what it held from its start (`hold`, for calls timed by `startCall`). Never throws.
   */
  recordCall(call: HfCallRecord, hold?: CallHold, handedOver = false): void {
    let record = call;
    try {
      if (this.pricing !== undefined) {
        // A copy, so that the call site's record stays as it was, unless it handed the record over for good.
        record = this.pricing.priceRecord(call, handedOver);
      }
      let session: SessionEntry | undefined;
      if (record.sessionId !== undefined) {
        session = this.sessions.atCallEnd(record.sessionId, record.endedAt, hold);
        if (this.cluster !== undefined && hold?.entry !== undefined) {
          this.cluster.settled(record.sessionId, hold, record.costNanoUsd);
        }
      }
      this.store.record(record, session);
    } catch (error) {
      this.reportFailure(error);
    }
    this.bus.notifyCall(record);
    if (hold !== undefined) {
      // Last, so that an end waiting for this call comes after its figures and its hf_call line.
      this.sessions.lifecycle.release(hold, record.endedAt);
    }
  }

  /** Releases what a call dropped unrecorded held from its start (its place in flight, its reservation). */
  releaseCall(hold: CallHold): void {
    try {
      if (this.cluster !== undefined && hold.entry !== undefined) {
        this.cluster.dropped(hold.entry, hold);
      }
      this.sessions.lifecycle.release(hold, Date.now());
    } catch (error) {
      this.reportFailure(error);
    }
  }

  /** A session ended on this replica: its lease of a cluster-wide budget goes back in the background. */
  sessionEnded(sessionId: string): void {
    this.cluster?.leases.giveBack(sessionId).then(undefined, (error: unknown) => this.reportFailure(error));
  }

  /** Counts an HTTP attempt made through a tracked fetch outside any tracked call. */
  recordUntrackedAttempt(): void {
    this.untrackedAttemptCount += 1;
  }

  /** Registers a reader of calls and session ends (the log file, exporters); returns its removal. */
  addListener(listener: HfStatsListener): () => void {
    return this.bus.add(listener);
  }

  notifySessionEnd(session: HfSessionStats, reason: HfSessionEndReason): void {
    this.bus.notifySessionEnd(session, reason);
  }

  /** The session id of an incoming request if it is allowed; a present but disallowed one is counted and ignored. */
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

  /** Counts a failed statistics step; warns once. Never throws. */
  reportFailure(error: unknown): void {
    this.internalErrorCount += 1;
    if (this.internalErrorCount === 1) {
      this.logger.warn(`${STATS_FAILURE_WARNING} (${errorTypeOf(error)})`);
    }
  }

  /** Forgets every figure, session and counter. */
  reset(): void {
    this.cluster?.leases.reset();
    this.sessions.reset();
    this.rejectedSessionIdCount = 0;
    this.untrackedAttemptCount = 0;
    this.internalErrorCount = 0;
    this.store.reset();
  }
}
