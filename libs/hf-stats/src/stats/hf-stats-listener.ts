import type { HfCallRecord } from './hf-call-record.js';
import type { HfSessionEndReason, HfSessionStats } from './hf-stats.interfaces.js';

/**
 * A reader that wants to hear of each recorded call and each session end (the log file, exporters).
 * Called synchronously on the recording path: keep it cheap and let it never block. Internal.
 */
export interface HfStatsListener {
  onCall?(call: HfCallRecord): void;
  /** Called exactly once per end of a session, with its final figures. */
  onSessionEnd?(session: HfSessionStats, reason: HfSessionEndReason): void;
}
