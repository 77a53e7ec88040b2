import { invalidFetchArgument } from '../hf-stats.messages.js';
import { latestService } from '../decorators/call-site-registry.js';
import type { HfStatsService } from '../hf-stats.service.js';
import { callContext } from '../stats/call-context.js';
import type { HfCallRecorder } from '../stats/pending-call.js';
import { readComputeHeaders, type HfComputeTimeUnit } from './compute-headers.js';

/** Options of {@link createHfStatsFetch}. */
export interface HfStatsFetchOptions {
  /**
   * Unit of `x-compute-time`. `auto` (default): milliseconds when the response also carries Text
   * Embeddings Inference's `x-tokenization-time` or `x-compute-tokens`, else seconds (the serverless
   * API and Text Generation Inference).
   */
  computeTimeUnit?: HfComputeTimeUnit;
  /**
   * Where attempts outside any tracked call are counted (`untrackedAttemptCount`): give the app's
   * `HfStatsService` when one process runs several apps (create the fetch in a provider factory that
   * injects it). Default: the most recent app still running. Attempts of a tracked call always count
   * in that call's app.
   */
  stats?: HfStatsService;
}

/**
 * A `fetch` that attributes every HTTP attempt to the tracked call it is made in: attempts (the
 * client's silent retries included), 429s, status codes, the request id and Hugging Face's compute
 * headers. Hand it to the client: `new InferenceClient(token, { fetch: createHfStatsFetch() })`.
 * It never changes a request or a response; an attempt outside any tracked call is passed through
 * and counted in `untrackedAttemptCount`.
 */
export function createHfStatsFetch(
  baseFetch: typeof fetch = globalThis.fetch,
  options: HfStatsFetchOptions = {},
): typeof fetch {
  if (typeof baseFetch !== 'function') {
    throw invalidFetchArgument('baseFetch');
  }
  const unit = options.computeTimeUnit ?? 'auto';
  if (unit !== 'auto' && unit !== 's' && unit !== 'ms') {
    throw invalidFetchArgument('computeTimeUnit');
  }
  const stats = options.stats;
  if (stats !== undefined && (stats === null || typeof stats.recordUntrackedAttempt !== 'function')) {
    throw invalidFetchArgument('stats');
  }
  const untracked = (): HfCallRecorder | undefined => stats ?? latestService();
  callContext.enabled = true;
  const tracked = async function hfStatsFetch(
    input: Parameters<typeof fetch>[0],
    init?: Parameters<typeof fetch>[1],
  ): Promise<Response> {
    const call = callContext.storage.getStore();
    let response: Response;
    try {
      response = await baseFetch(input, init);
    } catch (error) {
      observe(untracked, () =>
        call === undefined ? untracked()?.recordUntrackedAttempt() : call.recordAttempt(undefined, undefined),
      );
      throw error;
    }
    observe(untracked, () =>
      call === undefined
        ? untracked()?.recordUntrackedAttempt()
        : call.recordAttempt(response.status, readComputeHeaders(response.headers, unit)),
    );
    return response;
  };
  trackedFetches.add(tracked);
  return tracked;
}

const trackedFetches = new WeakSet<object>();

/** True for a fetch made by {@link createHfStatsFetch}: wrapping it again would count each attempt twice. */
export function isHfStatsFetch(candidate: unknown): boolean {
  return typeof candidate === 'function' && trackedFetches.has(candidate);
}

/** Statistics never change the outcome of the request they observe. */
function observe(service: () => HfCallRecorder | undefined, step: () => void): void {
  try {
    step();
  } catch (error) {
    service()?.reportFailure(error);
  }
}
