/** Figures of one scope (global, or one session), as JSON. Times are milliseconds. */
export interface HfStats {
  /** Tracked calls, failed ones included. */
  callCount: number;
  /** Texts sent (a string counts 1, an array its length, a chat its messages). */
  textCount: number;
  /** Calls that threw or rejected. */
  errorCount: number;
  /** Sum of the calls' wall-clock durations. */
  totalTimeMs: number;
  /** `totalTimeMs / callCount`; null before the first call. */
  avgTimeMs: number | null;
  minTimeMs: number | null;
  maxTimeMs: number | null;
  /** ISO 8601 time the first call ended, or null. */
  firstCallAt: string | null;
  /** ISO 8601 time the last call ended, or null. */
  lastCallAt: string | null;
}

/** Figures of one session, with its lifecycle. */
export interface HfSessionStats extends HfStats {
  sessionId: string;
  /** False once ended (by `endSession`, `runInSession`, the idle timeout or shutdown). */
  active: boolean;
  startedAt: string;
  /** ISO 8601 time of the session's last call or start. */
  lastActivityAt: string;
  /** Null while active. */
  endedAt: string | null;
}

/** Everything `GET /hf-stats` answers. */
export interface HfStatsSnapshot {
  global: HfStats;
  /** Retained sessions: active first, then ended; most recently active first within each. */
  sessions: HfSessionStats[];
  /** Session ids refused because too long or with a character outside the allowed set. */
  rejectedSessionIdCount: number;
  /** New sessions refused because `maxSessions` was reached with every retained session active. */
  sessionOverflowCount: number;
  /** Statistics steps that failed (for example a `texts` function that threw) without affecting the call. */
  internalErrorCount: number;
}

/** A call recorded by hand with `HfStatsService.record()`. */
export interface HfCallInput {
  /** Wall-clock duration of the call in milliseconds. */
  durationMs: number;
  /** Number of texts the call sent. Default 0. */
  texts?: number;
  model?: string;
  operation?: string;
  /** Whether the call succeeded. Default: true unless `error` is given. */
  ok?: boolean;
  /** The error the call failed with; its type is recorded, never its message. */
  error?: unknown;
  /** The session to count it in. Default: the current session, if any. Pass `null` for none. */
  sessionId?: string | null;
}

/** Why a session ended. */
export type HfSessionEndReason = 'ended' | 'idle' | 'shutdown';
