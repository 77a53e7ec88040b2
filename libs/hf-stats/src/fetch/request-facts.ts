import { boundedName } from '../stats/call-names.js';

/** What a tracked fetch reads of the request it passes on: never a text, a token or another header. */
export interface HfRequestFacts {
  /** `X-HF-Bill-To` (the client's `billTo`), bounded like a model name. */
  billTo: string | undefined;
  /** The request goes to a dedicated Inference Endpoint. */
  endpoint: boolean;
}

const ENDPOINT_HOST = /\.endpoints\.huggingface\.cloud$/i;
const ENDPOINT_TEXT = /endpoints\.huggingface\.cloud/i;
/** What the URL parser may turn into host letters: percent escapes, removed tabs and newlines, Unicode (IDNA). */
const HOST_REWRITES = /[%\t\n\r\u0080-\uffff]/;
/** A header name `Headers` accepts (an HTTP token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value `Headers` accepts as it is, but for surrounding whitespace: printable ASCII and tabs. */
const PLAIN_HEADER_VALUE = /^[\t\x20-\x7e]*$/;
const BILL_TO = 'x-hf-bill-to';
/** {@link billToOfRecord} could not read the headers the way `Headers` would: ask `Headers`. */
const ASK_HEADERS = Symbol('ask Headers');

function urlOf(input: Parameters<typeof fetch>[0]): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/** Whether the request goes to an Inference Endpoint's host; the URL is parsed only when its text could name one. */
function isEndpointRequest(input: Parameters<typeof fetch>[0]): boolean {
  try {
    const url = urlOf(input);
    if (typeof url === 'string' && !ENDPOINT_TEXT.test(url) && !HOST_REWRITES.test(url)) {
      // Without escapes, whitespace or Unicode the host is a piece of the text, up to ASCII case.
      return false;
    }
    return ENDPOINT_HOST.test(new URL(url).hostname);
  } catch {
    // A relative or malformed URL is the base fetch's to refuse, not ours.
    return false;
  }
}

/**
 * `X-HF-Bill-To` of a plain-object `headers` (what the Hugging Face client sends) as `new Headers(headers)` reads
 * it, without building one: every name a token and every value plain ASCII, so that `Headers` would take them as
 * they are; else {@link ASK_HEADERS}.
 */
function billToOfRecord(headers: object): string | undefined | typeof ASK_HEADERS {
  const prototype: unknown = Object.getPrototypeOf(headers);
  if ((prototype !== Object.prototype && prototype !== null) || Object.getOwnPropertySymbols(headers).length > 0) {
    return ASK_HEADERS;
  }
  let value: string | undefined;
  const record = headers as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const text = record[name];
    if (typeof text !== 'string' || !HEADER_NAME.test(name) || !PLAIN_HEADER_VALUE.test(text)) {
      return ASK_HEADERS;
    }
    if (name.length === BILL_TO.length && name.toLowerCase() === BILL_TO) {
      // `Headers` joins the values of names that differ only in case, in the record's order.
      value = value === undefined ? text.trim() : `${value}, ${text.trim()}`;
    }
  }
  return value;
}

function billToOf(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): string | undefined {
  const headers = init?.headers ?? (input instanceof Request ? input.headers : undefined);
  if (headers === undefined) {
    return undefined;
  }
  let value: string | undefined;
  const fromRecord =
    headers !== null && typeof headers === 'object' && !(headers instanceof Headers) && !Array.isArray(headers)
      ? billToOfRecord(headers)
      : ASK_HEADERS;
  if (fromRecord === ASK_HEADERS) {
    value = (headers instanceof Headers ? headers : new Headers(headers)).get(BILL_TO)?.trim();
  } else {
    value = fromRecord?.trim();
  }
  return value === undefined || value === '' ? undefined : boundedName(value);
}

/** Reads the facts of a request; throws on malformed input, which the caller counts as an internal error. */
export function readRequestFacts(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): HfRequestFacts {
  const endpoint = isEndpointRequest(input);
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
