import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionEndReason, HfSessionStats } from '../stats/hf-stats.interfaces.js';
import type { HfStatsListener } from '../stats/hf-stats-listener.js';

/**
 * The readers that hear each recorded call and each session end (the log file, exporters, the timeline,
 * Server-Timing). A listener that throws is counted by `reportFailure` and never stops the others.
 */
export class ListenerBus {
  // Replaced, never mutated: a listener removed while the calls are told still hears this one.
  private listeners: readonly HfStatsListener[] = [];

  constructor(private readonly reportFailure: (error: unknown) => void) {}

  get size(): number {
    return this.listeners.length;
  }

  /** Registers a reader; returns the function that removes it. */
  add(listener: HfStatsListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((registered) => registered !== listener);
    };
  }

  notifyCall(call: HfCallRecord): void {
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

  notifySessionEnd(session: HfSessionStats, reason: HfSessionEndReason): void {
    for (const listener of this.listeners) {
      try {
        listener.onSessionEnd?.(session, reason);
      } catch (error) {
        this.reportFailure(error);
      }
    }
  }
}
