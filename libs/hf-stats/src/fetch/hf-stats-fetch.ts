import { invalidFetchArgument } from '../hf-stats.messages.js';
import { latestRecorder } from '../decorators/call-site-registry.js';
import type { HfStatsService } from '../hf-stats.service.js';
import { recorderOf } from '../recording/recorder-of.js';
import { callContext } from '../stats/call-context.js';
import type { HfCallRecorder, PendingCall } from '../stats/pending-call.js';
import { runClientCall, type ClientCallSite } from '../clients/client-call.js';
import { openAiUsageOf } from '../stats/usage.js';
import { readComputeHeaders, type HfComputeTimeUnit } from './compute-headers.js';
import {
  requestBodyOf,
  requestShape,
  resolveFetchTrack,
  urlOf,
  type FetchTrack,
  type HfFetchTrackOptions,
} from './fetch-track.js';
import { observeResponse } from './observe-response.js';
import { readRequestFacts, withStreamUsage, type HfRequestFacts } from './request-facts.js';

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
  /**
   * Count each request to matching URLs as one call by itself (a TEI or TGI server reached with plain
   * `fetch`): operation from the path, model and texts from the JSON body, tokens from the response.
   * `true`: every request. A request made inside a tracked call stays an attempt of that call.
   * Default `false`: requests are attempts only.
   */
  track?: boolean | HfFetchTrackOptions;
  /**
   * Add `stream_options: { include_usage: true }` to streamed chat-completion requests that lack it, so that
   * OpenAI-compatible servers report the tokens of a stream. The one case where the fetch changes a request;
   * a request that sets `include_usage` itself is left as it is. Default `false`.
   */
  includeStreamUsage?: boolean;
}

/**
 * A `fetch` that attributes every HTTP attempt to the tracked call it is made in: attempts (the
 * client's silent retries included), 429s, status codes, the request id and Hugging Face's compute
 * headers. Hand it to the client: `new InferenceClient(token, { fetch: createHfStatsFetch() })`.
 * It never changes a request or a response; an attempt outside any tracked call is passed through
 * and counted in `untrackedAttemptCount`.
 */
export function createHfStatsFetch(options?: HfStatsFetchOptions): typeof fetch;
export function createHfStatsFetch(baseFetch?: typeof fetch, options?: HfStatsFetchOptions): typeof fetch;
export function createHfStatsFetch(
  baseOrOptions: typeof fetch | HfStatsFetchOptions = globalThis.fetch,
  fetchOptions: HfStatsFetchOptions = {},
): typeof fetch {
  // `createHfStatsFetch({ track })`: the options alone, over the global fetch.
  const optionsFirst = baseOrOptions !== null && typeof baseOrOptions === 'object';
  const baseFetch = optionsFirst ? globalThis.fetch : baseOrOptions;
  const options = optionsFirst ? baseOrOptions : fetchOptions;
  if (typeof baseFetch !== 'function') {
    throw invalidFetchArgument('baseFetch');
  }
  const unit = options.computeTimeUnit ?? 'auto';
  if (unit !== 'auto' && unit !== 's' && unit !== 'ms') {
    throw invalidFetchArgument('computeTimeUnit');
  }
  const stats = options.stats === undefined ? undefined : recorderOf(options.stats);
  if (options.stats !== undefined && stats === undefined) {
    throw invalidFetchArgument('stats');
  }
  const track = resolveFetchTrack(options.track);
  const includeStreamUsage = options.includeStreamUsage ?? false;
  if (typeof includeStreamUsage !== 'boolean') {
    throw invalidFetchArgument('includeStreamUsage');
  }
  const untracked = (): HfCallRecorder | undefined => stats ?? latestRecorder();
  callContext.enabled = true;
  const tracked = async function hfStatsFetch(
    input: Parameters<typeof fetch>[0],
    init?: Parameters<typeof fetch>[1],
  ): Promise<Response> {
    const call = callContext.current();
    let facts: HfRequestFacts | undefined;
    let sent = init;
    if (call !== undefined) {
      // Statistics never change the outcome of the request they observe (no closure: this runs on every attempt).
      try {
        facts = readRequestFacts(input, init);
        if (includeStreamUsage) {
          sent = withStreamUsage(input, init);
        }
      } catch (error) {
        untracked()?.reportFailure(error);
      }
    }
    let response: Response;
    try {
      response = await baseFetch(input, sent);
    } catch (error) {
      countAttempt(call, undefined, facts, unit, untracked);
      throw error;
    }
    countAttempt(call, response, facts, unit, untracked);
    return response;
  };
  const counting = track === undefined ? tracked : countingFetch(tracked, track, stats);
  trackedFetches.add(counting);
  return counting;
}

/** Each request to a matching URL made outside a tracked call becomes one call of its own. */
function countingFetch(attempt: typeof fetch, track: FetchTrack, stats: HfCallRecorder | undefined): typeof fetch {
  const site: ClientCallSite = {
    stats,
    usageOf: openAiUsageOf,
    refusal: 'promise',
    observe: observeResponse,
    join: (_outer, result) => result,
  };
  return function hfStatsCallFetch(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) {
    const url = urlOf(input);
    if (url === undefined || !matchesSafely(track, url, stats)) {
      return attempt(input, init);
    }
    const run = (body: unknown) =>
      runClientCall(
        site,
        () => requestShape(url, body, track),
        () => attempt(input, init),
      ) as Promise<Response>;
    const body = requestBodyOf(input, init);
    // A `Request`'s body (axios's fetch adapter sends one) is read from a copy before the call starts.
    return body instanceof Promise ? body.then(run, () => run(undefined)) : run(body);
  };
}

const trackedFetches = new WeakSet<object>();

/** True for a fetch made by {@link createHfStatsFetch}: wrapping it again would count each attempt twice. */
export function isHfStatsFetch(candidate: unknown): boolean {
  return typeof candidate === 'function' && trackedFetches.has(candidate);
}

/** A `urls` predicate that throws leaves the request an attempt: statistics never fail a request. */
function matchesSafely(track: FetchTrack, url: string, stats: HfCallRecorder | undefined): boolean {
  try {
    return track.matches(url);
  } catch (error) {
    (stats ?? latestRecorder())?.reportFailure(error);
    return false;
  }
}

/** Counts one attempt: the call's, else untracked. Statistics never change the outcome of the request they observe. */
function countAttempt(
  call: PendingCall | undefined,
  /** Undefined when no response came. Whatever the base fetch answered: read only in here. */
  response: Response | undefined,
  facts: HfRequestFacts | undefined,
  unit: HfComputeTimeUnit,
  untracked: () => HfCallRecorder | undefined,
): void {
  try {
    if (call === undefined) {
      untracked()?.recordUntrackedAttempt();
    } else {
      call.recordAttempt(
        response?.status,
        response === undefined ? undefined : readComputeHeaders(response.headers, unit),
        facts,
      );
    }
  } catch (error) {
    untracked()?.reportFailure(error);
  }
}
