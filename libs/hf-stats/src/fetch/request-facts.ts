import { boundedName } from '../stats/call-names.js';

/** What a tracked fetch reads of the request it passes on: never a text, a token or another header. */
export interface HfRequestFacts {
  /** `X-HF-Bill-To` (the client's `billTo`), bounded like a model name. */
  billTo: string | undefined;
  /** The request goes to a dedicated Inference Endpoint. */
  endpoint: boolean;
}

const ENDPOINT_HOST = /\.endpoints\.huggingface\.cloud$/i;

function urlOf(input: Parameters<typeof fetch>[0]): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

function billToOf(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): string | undefined {
  const headers = init?.headers ?? (input instanceof Request ? input.headers : undefined);
  if (headers === undefined) {
    return undefined;
  }
  const value = (headers instanceof Headers ? headers : new Headers(headers)).get('x-hf-bill-to')?.trim();
  return value === undefined || value === '' ? undefined : boundedName(value);
}

/** Reads the facts of a request; throws on malformed input, which the caller counts as an internal error. */
export function readRequestFacts(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): HfRequestFacts {
  let endpoint = false;
  try {
    endpoint = ENDPOINT_HOST.test(new URL(urlOf(input)).hostname);
  } catch {
    // A relative or malformed URL is the base fetch's to refuse, not ours.
  }
  return { billTo: billToOf(input, init), endpoint };
}

const CHAT_COMPLETIONS = /\/chat\/completions\/?(?:\?.*)?$/;

/**
 * The request with `stream_options: { include_usage: true }` added, when it is a streamed chat completion
 * (a JSON string body with `stream: true`) that has no `stream_options.include_usage` of its own; else
 * `init` as it was. The one change the module makes to a request, and only on the `includeStreamUsage` opt-in.
 */
export function withStreamUsage(
  input: Parameters<typeof fetch>[0],
  init: RequestInit | undefined,
): RequestInit | undefined {
  if (typeof init?.body !== 'string' || !CHAT_COMPLETIONS.test(urlOf(input))) {
    return init;
  }
  let body: unknown;
  try {
    body = JSON.parse(init.body);
  } catch {
    return init;
  }
  if (body === null || typeof body !== 'object' || (body as { stream?: unknown }).stream !== true) {
    return init;
  }
  const options = (body as { stream_options?: unknown }).stream_options;
  if (options !== undefined && (options === null || typeof options !== 'object' || 'include_usage' in options)) {
    return init;
  }
  const streamOptions = { ...options, include_usage: true };
  return { ...init, body: JSON.stringify({ ...body, stream_options: streamOptions }) };
}
