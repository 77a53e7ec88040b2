import { createHfStatsFetch, isHfStatsFetch } from '../../fetch/hf-stats-fetch.js';
import type { HfStatsService } from '../../hf-stats.service.js';
import { invalidClientArgument } from '../../hf-stats.messages.js';
import { defaultProvider } from '../../stats/call-arguments.js';
import { HF_ENDPOINT, type PendingCall } from '../../stats/pending-call.js';
import { openAiUsageOf, type HfTokenUsage } from '../../stats/usage.js';
import { recorderOption, runClientCall, safeUsage, type ClientCallSite } from '../client-call.js';
import { inputTextsOf, modelOf } from '../input-texts.js';

/** Options of {@link trackInferenceClient}. */
export interface TrackInferenceClientOptions {
  /**
   * The app whose figures the calls go to: give it when one process runs several apps. Default: the
   * most recent app still running, looked up per call.
   */
  stats?: HfStatsService;
}

type AnyTask = (params: unknown, options?: Record<string, unknown>) => unknown;
type ClientShape = { defaultOptions?: { fetch?: unknown; endpointUrl?: unknown }; endpoint?: unknown };

const trackedClients = new WeakSet<object>();

/** The provider a call names, as the decorator reads it: `params.provider` (not `auto`), else `hf-endpoint` for an endpoint. */
function providerOf(params: unknown, endpointUrl: unknown): string | undefined {
  const fields = params !== null && typeof params === 'object' ? (params as { endpointUrl?: unknown }) : {};
  return (
    defaultProvider([params], () => undefined) ??
    (typeof (fields.endpointUrl ?? endpointUrl) === 'string' ? HF_ENDPOINT : undefined)
  );
}

/** `chatCompletionStream` → `chat-completion`: the Hub's task names; a stream is the same task. */
function operationOf(method: string): string {
  return method.replace(/Stream$/, '').replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** Inside a decorated call the stream's chunks still report their tokens, to the outer call. */
function joinStreamOrPromise(
  outer: PendingCall,
  result: unknown,
  usageOf: (value: unknown) => HfTokenUsage | undefined,
): unknown {
  const source = result as AsyncIterable<unknown>;
  if (result === null || typeof result !== 'object' || typeof source[Symbol.asyncIterator] !== 'function') {
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        (value) => outer.joinUsage(safeUsage(usageOf, value)),
        () => undefined,
      );
    }
    return result;
  }
  return (async function* joined() {
    for await (const chunk of source) {
      outer.joinUsage(safeUsage(usageOf, chunk));
      yield chunk;
    }
  })();
}

/**
 * Tracks every task method of an `@huggingface/inference` `InferenceClient` (`featureExtraction`,
 * `chatCompletion`, `chatCompletionStream`, `textGeneration`, ... every task it has) as one call:
 * operation from the task, model from `params.model`, texts and characters from the inputs, tokens
 * from the result or a stream's last chunk, attempts (its silent 503 retries included) and compute
 * headers through a tracked fetch. Returns a client of the same type that shares the original's
 * token and options; the original is left as it was.
 *
 * @example const hf = trackInferenceClient(new InferenceClient(process.env.HF_TOKEN));
 */
export function trackInferenceClient<TClient extends object>(
  client: TClient,
  options: TrackInferenceClientOptions = {},
): TClient {
  if (client === null || typeof client !== 'object') {
    throw invalidClientArgument('trackInferenceClient', 'an InferenceClient');
  }
  if (trackedClients.has(client)) {
    return client;
  }
  const recorder = recorderOption('trackInferenceClient', options.stats);
  const shape = client as ClientShape;
  const ownFetch = shape.defaultOptions?.fetch;
  const endpointUrl = shape.defaultOptions?.endpointUrl;
  // Looked up per request, so that a fetch replaced later (a test's stub) is still the one used.
  const baseFetch: typeof fetch = (input, init) =>
    (typeof ownFetch === 'function' ? (ownFetch as typeof fetch) : globalThis.fetch)(input, init);
  const trackedFetch = isHfStatsFetch(ownFetch)
    ? (ownFetch as typeof fetch)
    : createHfStatsFetch(baseFetch, { stats: options.stats });
  const tracked = Object.create(client) as TClient;
  for (const name of Object.getOwnPropertyNames(client)) {
    const task = (client as Record<string, unknown>)[name];
    if (typeof task !== 'function') {
      continue;
    }
    const site: ClientCallSite = {
      stats: recorder,
      usageOf: openAiUsageOf,
      refusal: name.endsWith('Stream') ? 'iterable' : 'promise',
      canWait: !name.endsWith('Stream'),
      join: joinStreamOrPromise,
    };
    const operation = operationOf(name);
    const method = function (this: unknown, params: unknown, callOptions?: Record<string, unknown>): unknown {
      const fetchOption = callOptions?.fetch;
      const perCall =
        typeof fetchOption === 'function' && !isHfStatsFetch(fetchOption)
          ? createHfStatsFetch(fetchOption as typeof fetch, { stats: options.stats })
          : (fetchOption ?? trackedFetch);
      return runClientCall(
        site,
        () => ({
          operation,
          model: modelOf(params),
          provider: providerOf(params, endpointUrl),
          ...inputTextsOf(params),
        }),
        () => (task as AnyTask)(params, { ...callOptions, fetch: perCall }),
      );
    };
    Object.defineProperty(method, 'name', { value: name });
    Object.defineProperty(tracked, name, { value: method, enumerable: false, configurable: true, writable: true });
  }
  const endpoint = shape.endpoint;
  if (typeof endpoint === 'function') {
    // `endpoint(url)` makes a new client: tracked too.
    Object.defineProperty(tracked, 'endpoint', {
      value: (url: string) => trackInferenceClient((endpoint as (url: string) => object).call(client, url), options),
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
  trackedClients.add(tracked);
  return tracked;
}
