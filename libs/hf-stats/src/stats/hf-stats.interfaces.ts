/** Figures of one model within a scope, as JSON. Times are milliseconds, money US dollars. */
export interface HfModelStats {
  /** Tracked calls, failed ones included. */
  callCount: number;
  /** Texts sent (a string counts 1, an array its length, a chat its messages). */
  textCount: number;
  /** Total length of the texts sent, over the calls where it could be measured. */
  characterCount: number;
  /** Calls that threw or rejected. */
  errorCount: number;
  /** Failed calls by type: HTTP status (`"429"`, `"503"`), `"timeout"`, or the error's class name. */
  errors: Record<string, number>;
  /** Sum of the calls' wall-clock durations. */
  totalTimeMs: number;
  /** `totalTimeMs / callCount`; null before the first call. */
  avgTimeMs: number | null;
  minTimeMs: number | null;
  maxTimeMs: number | null;
  /** Percentiles of the durations, within 2 % relative error; null before the first call. */
  p50TimeMs: number | null;
  p95TimeMs: number | null;
  p99TimeMs: number | null;
  /** Tokens, summed over the calls where they were measured. */
  inputTokens: number;
  outputTokens: number;
  /** Calls whose tokens are unknown: counted here, never as 0 tokens. */
  tokensUnmeasuredCount: number;
  /** HTTP attempts made through `createHfStatsFetch` (retries included). */
  attemptCount: number;
  /** Attempts answered 429. */
  rateLimitedCount: number;
  /** Attempts by HTTP status. */
  statusCodes: Record<string, number>;
  /** Server-measured compute time (`x-compute-time`), over the attempts that reported it. */
  computeTimeMs: number;
  /** Compute headers that were present but not numbers: ignored and counted. */
  invalidHeaderCount: number;
  /** Estimated cost of the priced calls; null when no call was priced. An estimate, not a bill. */
  estimatedCostUsd: number | null;
  /** Calls no price rule priced, or whose priced unit was not measured. */
  unpricedCallCount: number;
  /** How the calls were priced: every call counts in exactly one source, so they add up to `callCount`. */
  priceSources: HfPriceSources;
  /** ISO 8601 time the first call ended, or null. */
  firstCallAt: string | null;
  /** ISO 8601 time the last call ended, or null. */
  lastCallAt: string | null;
}

/** Where the cost of a scope's calls came from: counts of calls. */
export interface HfPriceSources {
  /** Priced by a rule of the `pricing` option (other than a compute-time one). */
  userRule: number;
  /** Priced by Hugging Face's price table (`routerPricing`), per model and provider. */
  routerTable: number;
  /** Priced by a `pricing` rule billing compute time (`perComputeSecond`). */
  computeTime: number;
  /** Not priced: no rule and no table entry matched. */
  noRule: number;
  /** Not priced: the price found bills a unit the call did not measure (tokens of a stream, say). */
  unitUnmeasured: number;
}

/** Figures of one scope (global, or one session). */
export interface HfStats extends HfModelStats {
  /**
   * The same figures per model: at most `maxModels` names, the rest under `"other"`. A name under
   * `"other"` takes the slot of the least-used name once it has had more than twice its calls (its
   * earlier calls stay in `"other"`, the evicted name's figures move there). Names are at most 200
   * characters (see `HfCallInput.model`).
   */
  byModel: Record<string, HfModelStats>;
  /**
   * The same figures per provider that served the call (`x-inference-provider`, the call's `provider`, the
   * decorator's, `hf-endpoint`, else `unknown`), bounded like `byModel` (`maxModels` names, the rest `other`).
   */
  byProvider: Record<string, HfModelStats>;
  /** The same figures per organisation billed (`X-HF-Bill-To`), bounded likewise; only calls that name one. */
  byBillTo: Record<string, HfModelStats>;
  /** Tracked calls refused before they were made because the session was over its budget. */
  budgetRejectedCount: number;
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
  /**
   * Tracked calls of the session still running; present only when there are some. In an `hf_session_end` line:
   * the calls it could not count because they outlived `sessionEndTimeoutMs` or `shutdownTimeoutMs`.
   */
  inFlightCallCount?: number;
  /**
   * Shared stores only (Redis), on a session read from the whole cluster (`GET <path>/sessions/:id`,
   * `HfStatsService.fetchSessionStats`): present and `true` when Redis could not be read and the figures are this
   * replica's view.
   */
  partial?: boolean;
}

/**
 * One page of the retained sessions: what `GET /hf-stats/sessions` answers. The order is active first,
 * then the most recently active, ties by session id; `nextCursor` continues after the last one.
 */
export interface HfSessionPage {
  /** At most the page size asked for (default 100, at most 1,000). */
  sessions: HfSessionStats[];
  /** Opaque: pass it as `?cursor=` (or `cursor`) for the next page. Null on the last page. */
  nextCursor: string | null;
  /** Sessions that match the filters asked for (`active`, `prefix`), over every page. */
  matchCount: number;
  /** Retained sessions, whatever the filters. */
  sessionCount: number;
  /** Active sessions among the retained ones. */
  activeSessionCount: number;
  /**
   * Shared stores only (Redis), on pages read from the whole cluster (`GET <path>/sessions`,
   * `HfStatsService.fetchSessionsPage`): `true` when Redis could not be read and the page is this replica's view.
   */
  partial?: boolean;
}

/** Everything `GET /hf-stats` answers: the global figures and the first page of sessions (or the page asked for). */
export interface HfStatsSnapshot extends HfSessionPage {
  global: HfStats;
  /** Session ids refused because too long or with a character outside the allowed set. */
  rejectedSessionIdCount: number;
  /** New sessions refused because `maxSessions` was reached with every retained session active. */
  sessionOverflowCount: number;
  /** HTTP attempts through `createHfStatsFetch` made outside any tracked call: passed through, counted here. */
  untrackedAttemptCount: number;
  /** Statistics steps that failed (for example a `texts` function that threw) without affecting the call. */
  internalErrorCount: number;
  /**
   * Shared stores only (Redis): `true` while the store can't be reached, so the figures miss the other
   * replicas' latest ones (or the page of sessions could not be read from it). Absent with the memory store.
   */
  partial?: boolean;
  /** Calls the shared store lost (Redis emptied) that no running replica could write again; Redis store only. */
  lostCallCount?: number;
}

/** A call recorded by hand with `HfStatsService.record()`. */
export interface HfCallInput {
  /** Wall-clock duration of the call in milliseconds. */
  durationMs: number;
  /** Number of texts the call sent. Default 0. */
  texts?: number;
  /** Total length of the texts sent. Default: unmeasured. */
  characters?: number;
  /**
   * Kept as given when at most 200 characters without control characters or lone surrogates;
   * otherwise cleaned (those characters become U+FFFD), cut, and followed by `~` and 8 hex digits of
   * a hash of the name as given, so that distinct names stay distinct. The same for `operation`,
   * for the error type, and for the model a decorated call names.
   */
  model?: string;
  operation?: string;
  /** Whether the call succeeded. Default: true unless `error` is given. */
  ok?: boolean;
  /** The error the call failed with; its type is recorded, never its message. */
  error?: unknown;
  /** Tokens used. Default: unmeasured. */
  inputTokens?: number;
  outputTokens?: number;
  /** Server-measured compute time in milliseconds, for `perComputeSecond` prices. Default: unmeasured. */
  computeTimeMs?: number;
  /** The provider that served the call (bounded like `model`). Default: `unknown`. */
  provider?: string;
  /** The organisation billed (bounded like `model`). Default: none. */
  billTo?: string;
  /** The session to count it in. Default: the current session, if any. Pass `null` for none. */
  sessionId?: string | null;
}

/** Why a session ended. */
export type HfSessionEndReason = 'ended' | 'idle' | 'shutdown';
