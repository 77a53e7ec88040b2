/**
 * Options of {@link TrackHFCall}. The functions receive the method's arguments as they were passed,
 * and the method's `this` (declare it as `function (this: MyService, ...)` to read the instance).
 */
export interface TrackHFCallOptions<TArgs extends unknown[] = unknown[]> {
  /** The model called. Default: the `model` field of the first argument when it is an object. */
  model?: string | ((...args: TArgs) => string | undefined);
  /**
   * The provider that serves the call, when the response does not say (`x-inference-provider`, read by
   * `createHfStatsFetch`, wins). Default: the `provider` field of the first argument (except `'auto'`), else
   * `'hf-endpoint'` when it has an `endpointUrl`; this option sits between the two.
   */
  provider?: string | ((...args: TArgs) => string | undefined);
  /** What the call does, for example `'feature-extraction'` or `'chat-completion'`. */
  operation?: string;
  /**
   * How many texts the call sends. Default, from the first argument: a string 1, an array its
   * length, `{ inputs }` 1 or its length, `{ messages }` its length, else 0.
   */
  texts?: (...args: TArgs) => number;
  /**
   * Total length of the texts sent. Default, from the first argument in the same shapes as `texts`;
   * unmeasured when a text is not a string.
   */
  characters?: (...args: TArgs) => number;
  /**
   * Tokens used, from the result (or each stream chunk) and the arguments. Default: an
   * OpenAI-compatible `usage` object (`prompt_tokens`, `completion_tokens`), as chat completions return.
   */
  usage?: (result: unknown, ...args: TArgs) => { inputTokens?: number; outputTokens?: number } | undefined;
}
