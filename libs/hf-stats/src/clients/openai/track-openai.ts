import { createHfStatsFetch, isHfStatsFetch } from '../../fetch/hf-stats-fetch.js';
import type { HfStatsService } from '../../hf-stats.service.js';
import { invalidClientArgument } from '../../hf-stats.messages.js';
import type { HfTokenUsage } from '../../stats/usage.js';
import { recorderOption, runClientCall, type ClientCallSite } from '../client-call.js';
import { inputTextsOf, modelOf } from '../input-texts.js';
import { joinApiPromise, observeApiPromise } from './observe-api-promise.js';
import { chatUsageOf, responsesUsageOf } from './openai-usage.js';

/** Options of {@link trackOpenAI}. */
export interface TrackOpenAIOptions {
  /** The app whose figures the calls go to (several apps in one process). Default: the most recent app running. */
  stats?: HfStatsService;
  /**
   * Ask for the usage chunk of every streamed chat completion (`stream_options: { include_usage: true }`,
   * added to requests that lack it), so that streamed tokens are measured. It adds a last chunk whose
   * `choices` is empty: code that reads `chunk.choices[0]` must allow for it. Default `false`.
   */
  includeStreamUsage?: boolean;
}

/** The parts of an `openai` client that are tracked: typed by shape, so the library needs no `openai` types. */
type Resource = Record<string, unknown>;

/** Resource path, operation, tokens: the methods tracked. */
const TRACKED_METHODS: ReadonlyArray<
  [path: string[], operation: string, usageOf: (value: unknown) => HfTokenUsage | undefined]
> = [
  [['chat', 'completions'], 'chat-completion', chatUsageOf],
  [['embeddings'], 'feature-extraction', chatUsageOf],
  [['responses'], 'responses', responsesUsageOf],
  [['completions'], 'text-generation', chatUsageOf],
];

const trackedClients = new WeakSet<object>();

function resourceAt(client: object, path: readonly string[]): Resource | undefined {
  let node: unknown = client;
  for (const key of path) {
    node = node !== null && typeof node === 'object' ? (node as Resource)[key] : undefined;
  }
  return node !== null && typeof node === 'object' ? (node as Resource) : undefined;
}

/**
 * Tracks the official `openai` SDK (pointed at Hugging Face's router, `baseURL:
 * 'https://router.huggingface.co/v1'`): `chat.completions.create` (streamed or not),
 * `embeddings.create`, `responses.create` and `completions.create` each count as one call; the
 * SDK's own retries (429 and 5xx, twice by default) are attempts of that call, through a tracked
 * `fetch` put in the client's place. Returns the same client, its promises and streams unchanged.
 * Streamed tokens come from the final usage chunk: OpenAI sends it when asked with
 * `stream_options: { include_usage: true }`.
 *
 * @example const openai = trackOpenAI(new OpenAI({ baseURL: 'https://router.huggingface.co/v1', apiKey: process.env.HF_TOKEN }));
 */
export function trackOpenAI<TClient extends object>(client: TClient, options: TrackOpenAIOptions = {}): TClient {
  const chat = resourceAt(client, ['chat', 'completions']);
  if (client === null || typeof client !== 'object' || typeof chat?.create !== 'function') {
    throw invalidClientArgument('trackOpenAI', 'a client of the openai package (new OpenAI(...))');
  }
  if (trackedClients.has(client)) {
    return client;
  }
  const recorder = recorderOption('trackOpenAI', options.stats);
  trackedClients.add(client);
  const holder = client as { fetch?: unknown; withOptions?: unknown };
  if (typeof holder.fetch === 'function' && !isHfStatsFetch(holder.fetch)) {
    holder.fetch = createHfStatsFetch(holder.fetch as typeof fetch, {
      stats: options.stats,
      includeStreamUsage: options.includeStreamUsage,
    });
  }
  for (const [path, operation, usageOf] of TRACKED_METHODS) {
    const resource = resourceAt(client, path);
    const create = resource?.create;
    if (resource === undefined || typeof create !== 'function') {
      continue;
    }
    const site: ClientCallSite = {
      stats: recorder,
      usageOf,
      refusal: 'promise',
      observe: observeApiPromise,
      join: joinApiPromise,
    };
    const tracked = function (this: unknown, ...args: unknown[]): unknown {
      const params = args[0];
      return runClientCall(
        site,
        () => ({ operation, model: modelOf(params), ...inputTextsOf(params) }),
        () => (create as (...a: unknown[]) => unknown).apply(this, args),
      );
    };
    Object.defineProperty(resource, 'create', {
      value: tracked,
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
  const withOptions = holder.withOptions;
  if (typeof withOptions === 'function') {
    // A client derived with other options is tracked too.
    Object.defineProperty(client, 'withOptions', {
      value: (...args: unknown[]) =>
        trackOpenAI((withOptions as (...a: unknown[]) => object).apply(client, args), options),
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
  return client;
}
