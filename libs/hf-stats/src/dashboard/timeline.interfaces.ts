/** Figures of one minute, as JSON. Money in US dollars, times in milliseconds. */
export interface HfTimelinePoint {
  /** ISO 8601 start of the minute. */
  at: string;
  callCount: number;
  textCount: number;
  errorCount: number;
  /** Tokens, summed over the calls of the minute where they were measured. */
  inputTokens: number;
  outputTokens: number;
  /** Estimated cost of the priced calls of the minute; null when none was priced. */
  estimatedCostUsd: number | null;
  /** 95th percentile of the durations of the minute's calls (within 2 %); null without calls. */
  p95TimeMs: number | null;
}

/** What `GET /hf-stats/timeline?minutes=N` answers: the last N minutes, oldest first, the current one last. */
export interface HfTimeline {
  /** Length of a point: one minute. */
  bucketMs: number;
  /** Number of points in `global` and in each model's list. */
  minutes: number;
  /** ISO 8601 start of the first point and end of the last (now). */
  from: string;
  to: string;
  global: HfTimelinePoint[];
  /**
   * The same points per model seen in the window; per minute at most `maxModels` names,
   * chosen as in `byModel` of `GET /hf-stats`, the rest under `"other"`.
   * Bounded: only the models with the most calls in the window, as many as `?models=` asks for and as fit
   * in 20,160 points (`HF_TIMELINE_MAX_POINTS`) together with `global`.
   */
  byModel: Record<string, HfTimelinePoint[]>;
  /** Models seen in the window whose series were left out of `byModel`; their calls are in `global`. */
  omittedModelCount: number;
  /** Calls that ended before the window the ring still holds (a clock set back): ignored and counted. This process's. */
  droppedCallCount: number;
  /**
   * Redis store only: `false` when the points are the whole cluster's, read from Redis; `true` when Redis could
   * not be read and they are this replica's own calls.
   */
  partial?: boolean;
}
