import { invalidOption } from '../hf-stats.messages.js';
import type { ClientCallShape } from '../clients/client-call.js';
import { inputTextsOf, modelOf } from '../clients/input-texts.js';

/**
 * Which requests a tracked fetch counts as calls by themselves (the `track` option of
 * `createHfStatsFetch`): requests to a TEI or TGI server, an Inference Endpoint, reached with plain
 * `fetch`. A request made inside a tracked call stays an attempt of that call.
 */
export interface HfFetchTrackOptions {
  /**
   * URLs counted: a prefix (`'http://tei:8080'`), a RegExp tested on the whole URL, a list of them,
   * or a predicate. Default: every request made through this fetch.
   */
  urls?: string | RegExp | ReadonlyArray<string | RegExp> | ((url: string) => boolean);
  /** The model of the calls (a TEI or TGI server serves one). Default: the `model` of the JSON body, if any. */
  model?: string;
}

/** The `track` option, checked once. */
export interface FetchTrack {
  matches(url: string): boolean;
  model: string | undefined;
}

const MAX_PARSED_BODY = 1_000_000;

/** Operation by path, in Hugging Face's task names; an unknown path is `http` (no per-path cardinality). */
const OPERATIONS: ReadonlyArray<[RegExp, string]> = [
  [/\/chat\/completions$/, 'chat-completion'],
  [/\/embeddings$/, 'feature-extraction'],
  [/\/completions$/, 'text-generation'],
  [/\/embed(_all|_sparse)?$/, 'feature-extraction'],
  [/\/generate(_stream)?$/, 'text-generation'],
  [/\/rerank$/, 'rerank'],
  [/\/predict$/, 'text-classification'],
  [/\/pipeline\/feature-extraction$/, 'feature-extraction'],
];

function prefixOrPattern(pattern: string | RegExp): (url: string) => boolean {
  return typeof pattern === 'string' ? (url) => url.startsWith(pattern) : (url) => pattern.test(url);
}

export function resolveFetchTrack(track: unknown): FetchTrack | undefined {
  if (track === undefined || track === false) {
    return undefined;
  }
  if (track === true) {
    return { matches: () => true, model: undefined };
  }
  if (track === null || typeof track !== 'object') {
    throw invalidOption('createHfStatsFetch track', track, 'true, false or { urls?, model? }');
  }
  const { urls, model } = track as HfFetchTrackOptions;
  if (model !== undefined && typeof model !== 'string') {
    throw invalidOption('createHfStatsFetch track.model', model, 'a string');
  }
  const list = Array.isArray(urls) ? (urls as unknown[]) : [urls];
  let matches: (url: string) => boolean;
  if (urls === undefined) {
    matches = () => true;
  } else if (typeof urls === 'function') {
    matches = urls;
  } else if (list.every((item): item is string | RegExp => typeof item === 'string' || item instanceof RegExp)) {
    const tests = list.map(prefixOrPattern);
    matches = (url) => tests.some((test) => test(url));
  } else {
    throw invalidOption(
      'createHfStatsFetch track.urls',
      urls,
      'a URL prefix, a RegExp, a list of them, or (url) => boolean',
    );
  }
  return { matches, model };
}

/** The URL of a fetch's input, or undefined when it has none that can be read. */
export function urlOf(input: unknown): string | undefined {
  if (typeof input === 'string') {
    return input;
  }
  if (input instanceof URL) {
    return input.href;
  }
  const url = (input as { url?: unknown } | null)?.url;
  return typeof url === 'string' ? url : undefined;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

function jsonBodyOf(body: unknown): unknown {
  let text: string | undefined;
  if (typeof body === 'string') {
    text = body;
  } else if (body instanceof Uint8Array && body.byteLength <= MAX_PARSED_BODY) {
    text = new TextDecoder().decode(body);
  }
  if (text === undefined || text.length > MAX_PARSED_BODY) {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The body a request sends: `init.body`, else a small `Request`'s body, read from a copy (a promise);
 * undefined when there is none to read.
 */
export function requestBodyOf(input: unknown, init: RequestInit | undefined): unknown {
  if (init?.body !== undefined && init.body !== null) {
    return init.body;
  }
  if (!(input instanceof Request) || input.body === null || input.bodyUsed) {
    return undefined;
  }
  const length = Number(input.headers.get('content-length') ?? 0);
  if (!(length <= MAX_PARSED_BODY)) {
    return undefined;
  }
  try {
    return input.clone().text();
  } catch {
    return undefined;
  }
}

/** What a request sends: operation from its path, model and texts from its JSON body. */
export function requestShape(url: string, requestBody: unknown, track: FetchTrack): ClientCallShape {
  const path = pathOf(url);
  const operation = OPERATIONS.find(([pattern]) => pattern.test(path))?.[1] ?? 'http';
  const body = jsonBodyOf(requestBody);
  return { operation, model: track.model ?? modelOf(body), ...inputTextsOf(body) };
}
