import type { HfSessionEndReason } from '../stats/hf-stats.interfaces.js';
import type { SessionEntry } from './session-entry.js';
import type { SessionRegistry } from './session-registry.js';

/** Longest wait between two looks at the ends that wait for calls in flight. */
const MAX_CHECK_INTERVAL_MS = 1_000;

/**
 * What a tracked call holds from its start until it settles: a place among the calls in flight (of its session
 * and of the process) and what it reserved of its session's budget. One small object per call, no promise.
 */
export class CallHold {
  constructor(
    /** The session the call counts in; undefined outside any session, or when none could be created. */
    readonly entry: SessionEntry | undefined,
    /** The session's generation at the call's start: an end written since makes the call late. */
    readonly generation: number,
    readonly textCount: number,
    readonly costNanoUsd: number,
  ) {}
}

/** The hold of every call with no session entry (none, or not kept): it reserves nothing, one object serves all. */
const SESSIONLESS = new CallHold(undefined, 0, 0, 0);

interface PendingEnd {
  reason: HfSessionEndReason;
  /** Epoch milliseconds after which the end is written without the calls still in flight. */
  deadline: number;
}

/**
 * The calls in flight and what waits for them: a session's end waits until the calls that run in it have
 * settled (at most `endTimeoutMs`), so that its end line counts every call that started in it; shutdown waits
 * for every call in flight (at most its own bound). Per call: two counters and one {@link CallHold}.
 */
export class SessionLifecycle {
  /** Tracked calls started and not settled, in a session or not. */
  private inFlight = 0;
  private readonly pendingEnds = new Map<string, PendingEnd>();
  private timer: NodeJS.Timeout | undefined;
  /** Resolves the shutdown's wait when the last call in flight settles. */
  private drained: (() => void) | undefined;
  /** False once shutdown has begun ending sessions: from then on every end is written at once. */
  private deferring = true;

  constructor(
    private readonly registry: SessionRegistry,
    private readonly endTimeoutMs: number,
    /** The service's end of a session (registry, store, listeners); it asks {@link deferEnd} first. */
    private readonly endNow: (sessionId: string, reason: HfSessionEndReason, now: number) => void,
    private readonly reportFailure: (error: unknown) => void,
  ) {}

  /** Tracked calls in flight now, in every session and outside any. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Puts a starting call in flight, with what it reserves of its session's budget. */
  hold(entry: SessionEntry | undefined, textCount: number, costNanoUsd: number): CallHold {
    this.inFlight += 1;
    if (entry === undefined) {
      return SESSIONLESS;
    }
    if (this.pendingEnds.size > 0 && this.pendingEnds.get(entry.sessionId)?.reason === 'idle') {
      // A call that starts cancels a waiting idle end: the session is no longer idle.
      this.pendingEnds.delete(entry.sessionId);
    }
    entry.inFlightCount += 1;
    entry.reservedTextCount += textCount;
    entry.reservedCostNanoUsd += costNanoUsd;
    return new CallHold(entry, entry.generation, textCount, costNanoUsd);
  }

  /**
   * Whether a settling call may (re)open its session: only the session it started in, and not when an end was
   * written since it started.
   */
  reopens(hold: CallHold): boolean {
    return hold.entry !== undefined && hold.entry.generation === hold.generation;
  }

  /**
   * Releases a settled call (once its figures are recorded): writes the end of its session when that end
   * waited for it, and ends the shutdown's wait after the last call. Never throws.
   */
  release(hold: CallHold, now: number): void {
    this.inFlight -= 1;
    const entry = hold.entry;
    if (entry !== undefined) {
      entry.inFlightCount -= 1;
      entry.reservedTextCount -= hold.textCount;
      entry.reservedCostNanoUsd -= hold.costNanoUsd;
      if (entry.inFlightCount === 0) {
        const pending = this.pendingEnds.get(entry.sessionId);
        if (pending !== undefined && this.registry.getActive(entry.sessionId) === entry) {
          this.pendingEnds.delete(entry.sessionId);
          this.writeEnd(entry.sessionId, pending.reason, now);
        }
      }
    }
    if (this.inFlight === 0) {
      this.drained?.();
    }
  }

  /**
   * Defers the end of an active session that has calls in flight. Returns true when deferred now, false when
   * an end is already waiting (so the caller reports the session as no longer active), undefined when the end
   * can be written now.
   */
  deferEnd(sessionId: string, reason: HfSessionEndReason, now: number): boolean | undefined {
    if (!this.deferring || this.endTimeoutMs === 0) {
      return undefined;
    }
    if (this.pendingEnds.has(sessionId)) {
      return false;
    }
    const entry = this.registry.getActive(sessionId);
    if (entry === undefined || entry.inFlightCount === 0) {
      return undefined;
    }
    this.pendingEnds.set(sessionId, { reason, deadline: now + this.endTimeoutMs });
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.endOverdue(), Math.min(this.endTimeoutMs, MAX_CHECK_INTERVAL_MS));
      this.timer.unref();
    }
    return true;
  }

  /** The reason of an end that waits for calls; forgets it. */
  takePendingReason(sessionId: string): HfSessionEndReason | undefined {
    const pending = this.pendingEnds.get(sessionId);
    this.pendingEnds.delete(sessionId);
    return pending?.reason;
  }

  /**
   * Waits until no tracked call is in flight, at most `timeoutMs`; resolves with the number still running.
   * From the first call of shutdown on, ends are no longer deferred once it resolves.
   */
  async drain(timeoutMs: number): Promise<number> {
    if (this.inFlight > 0 && timeoutMs > 0) {
      let timeout: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        timeout = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timeout);
      this.drained = undefined;
    }
    this.deferring = false;
    clearInterval(this.timer);
    this.timer = undefined;
    return this.inFlight;
  }

  /** Forgets the ends that wait (after `reset()`: their sessions are gone); calls in flight stay counted. */
  clear(): void {
    this.pendingEnds.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private endOverdue(): void {
    const now = Date.now();
    for (const [sessionId, pending] of this.pendingEnds) {
      if (pending.deadline <= now) {
        this.pendingEnds.delete(sessionId);
        this.writeEnd(sessionId, pending.reason, now);
      }
    }
    if (this.pendingEnds.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private writeEnd(sessionId: string, reason: HfSessionEndReason, now: number): void {
    // Written now even when calls outlived the wait (its line then says how many): not deferred again.
    const deferring = this.deferring;
    this.deferring = false;
    try {
      this.endNow(sessionId, reason, now);
    } catch (error) {
      this.reportFailure(error);
    } finally {
      this.deferring = deferring;
    }
  }
}
