import type { HfComputeHeaders } from '../fetch/compute-headers.js';

/**
 * The HTTP attempts a tracked call made through `createHfStatsFetch`, and what the server said of
 * them: compute, queue and inference times add up over the attempts; the other headers are the
 * last response's that had them.
 */
export interface HfCallAttempts extends HfComputeHeaders {
  count: number;
  /** Responses with status 429. */
  rateLimitedCount: number;
  /** One status per attempt that got a response, in order. */
  statusCodes: number[];
  /** `X-HF-Bill-To` of the last request that sent it (the organisation billed), bounded like a model name. */
  billTo: string | undefined;
  /** True when a request went to a dedicated Inference Endpoint (`*.endpoints.huggingface.cloud`). */
  endpoint: boolean;
}

/** Attempts before the first one: nothing measured yet. */
export function noAttempts(): HfCallAttempts {
  return {
    count: 0,
    rateLimitedCount: 0,
    statusCodes: [],
    requestId: undefined,
    computeTimeMs: undefined,
    computeCharacters: undefined,
    computeTokens: undefined,
    promptTokens: undefined,
    generatedTokens: undefined,
    queueTimeMs: undefined,
    inferenceTimeMs: undefined,
    provider: undefined,
    computeType: undefined,
    billTo: undefined,
    endpoint: false,
    invalidHeaderCount: 0,
  };
}

/**
 * One finished call, as every call site hands it to the recorder. Times are epoch milliseconds.
 * Every name in it (model, operation, error type; the provider next) went through `boundedName`
 * where the record was made: at most 200 characters, well-formed, no control characters.
 */
export interface HfCallRecord {
  sessionId: string | undefined;
  model: string | undefined;
  /**
   * The provider that served the call: the response's `x-inference-provider`, else the call's `provider`
   * argument, else the decorator's `provider`, else `hf-endpoint` for an Inference Endpoint; undefined
   * (counted as `unknown`) when none says.
   */
  provider?: string | undefined;
  /** The organisation billed (`X-HF-Bill-To`); undefined when the call named none. */
  billTo?: string | undefined;
  operation: string | undefined;
  textCount: number;
  /** Total length of the texts sent; undefined when not measured. */
  characterCount: number | undefined;
  durationMs: number;
  ok: boolean;
  /** Low-cardinality error type (HTTP status, `timeout`, or the error's class name). */
  errorType: string | undefined;
  endedAt: number;
  /** Undefined when not measured: never 0 in its place. */
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** Server-measured compute time in milliseconds (`x-compute-time`); undefined when not measured. */
  computeTimeMs: number | undefined;
  /** Undefined when the call made no attempt through a tracked fetch. */
  attempts: HfCallAttempts | undefined;
  /** Estimated cost in nano-dollars, set by the recorder; undefined when no price rule could price it. */
  costNanoUsd: number | undefined;
  /** How the recorder priced it; undefined (counted as `noRule`) when nothing priced it. */
  priceSource?: HfPriceSource | undefined;
}

/**
 * Where the cost of a call came from: a user rule (`pricing`), Hugging Face's price table (`routerPricing`),
 * a user rule billing compute time, or why it has none: no rule or table entry matched, or its rule prices a
 * unit the call did not measure.
 */
export type HfPriceSource = 'userRule' | 'routerTable' | 'computeTime' | 'noRule' | 'unitUnmeasured';

const MAX_ERROR_TYPE_LENGTH = 64;

function numericStatus(error: object): number | undefined {
  // `httpResponse` is where @huggingface/inference's errors keep the response.
  const holder = error as {
    status?: unknown;
    statusCode?: unknown;
    response?: { status?: unknown };
    httpResponse?: { status?: unknown };
  };
  for (const candidate of [holder.status, holder.statusCode, holder.httpResponse?.status, holder.response?.status]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 100 && candidate <= 599) {
      return candidate;
    }
  }
  return undefined;
}

/**
 * The type an error is counted under: its HTTP status when it carries one, `timeout` for timeouts,
 * else its class name. Never its message, which may hold user input.
 */
export function errorTypeOf(error: unknown): string {
  if (error === null || typeof error !== 'object') {
    return typeof error;
  }
  // Our own refusal carries 429 for HTTP; as a call's error it is not a server's rate limit.
  if ((error as { name?: unknown }).name === 'HfBudgetExceededError') {
    return 'HfBudgetExceededError';
  }
  const status = numericStatus(error);
  if (status !== undefined) {
    return String(status);
  }
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (code === 'ETIMEDOUT' || name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return 'timeout';
  }
  const type = typeof name === 'string' && name !== '' ? name : (error.constructor?.name ?? 'Error');
  return type.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, MAX_ERROR_TYPE_LENGTH) || 'Error';
}
