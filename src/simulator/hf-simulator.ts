import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestedFailureStatus } from './failure-marker.js';
import { pseudoEmbedding } from './pseudo-embedding.js';
import { simulateCompletion, type SimulatedChatMessage, type SimulatedCompletion } from './simulated-chat.js';
import {
  autoProviderOf,
  namedProvider,
  SIMULATED_COMPUTE,
  simulatedPriceTable,
  type SimulatedProvider,
} from './simulated-router.js';

/** Options of {@link startHfSimulator}. */
export interface HfSimulatorOptions {
  /** Port on 127.0.0.1. Default 0: a free port chosen by the system. */
  port?: number;
  /**
   * Delay before each inference answer, in milliseconds: a fixed number, or `[min, max]` drawn
   * uniformly per request. Default `[20, 60]`; use 0 in tests.
   */
  latencyMs?: number | readonly [number, number];
  /** Share of inference requests (0 to 1) answered 503 at random. Default 0. */
  failureRate?: number;
  /** Length of the embedding vectors. Default 384, as sentence-transformers/all-MiniLM-L6-v2. */
  dimensions?: number;
  /** Models `GET /v1/models` lists (the router's price table). Default: the default chat model. */
  tableModels?: readonly string[];
}

/** A running simulator. */
export interface HfSimulator {
  /** Base URL, to use as `endpointUrl` (`HF_ENDPOINT_URL`): `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** HTTP requests received so far, whatever their route or outcome. */
  readonly requestCount: number;
  /** Stops listening and drops open connections; resolves once the server is closed. Idempotent. */
  close(): Promise<void>;
}

/** Largest request body read; larger ones get 413, as a real server would refuse them. */
const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_LATENCY_MS: readonly [number, number] = [20, 60];
const DEFAULT_DIMENSIONS = 384;
const DEFAULT_CHAT_MODEL = 'simulated-chat-model';

/** An answer with a status and a JSON error body, thrown out of the request handling. */
class SimulatedHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorType?: string,
  ) {
    super(message);
  }
}

interface ResolvedOptions {
  port: number;
  latency: readonly [number, number];
  failureRate: number;
  dimensions: number;
}

function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function resolveOptions(options: HfSimulatorOptions): ResolvedOptions {
  const { port = 0, latencyMs = DEFAULT_LATENCY_MS, failureRate = 0, dimensions = DEFAULT_DIMENSIONS } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`startHfSimulator: invalid "port": expected an integer from 0 to 65535, got ${String(port)}.`);
  }
  const latency: readonly [number, number] = typeof latencyMs === 'number' ? [latencyMs, latencyMs] : latencyMs;
  if (
    !Array.isArray(latency) ||
    latency.length !== 2 ||
    !isNonNegativeNumber(latency[0]) ||
    !isNonNegativeNumber(latency[1]) ||
    latency[0] > latency[1]
  ) {
    throw new TypeError(
      'startHfSimulator: invalid "latencyMs": expected a number >= 0 or [min, max] with 0 <= min <= max.',
    );
  }
  if (!isNonNegativeNumber(failureRate) || failureRate > 1) {
    throw new TypeError(
      `startHfSimulator: invalid "failureRate": expected a number from 0 to 1, got ${String(failureRate)}.`,
    );
  }
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 8192) {
    throw new TypeError(
      `startHfSimulator: invalid "dimensions": expected an integer from 1 to 8192, got ${String(dimensions)}.`,
    );
  }
  return { port, latency, failureRate, dimensions };
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even past the limit: leaving the loop early would destroy the socket before the 413 is sent.
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= MAX_BODY_BYTES) {
      chunks.push(buffer);
    }
  }
  if (size > MAX_BODY_BYTES) {
    throw new SimulatedHttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new SimulatedHttpError(400, 'Request body is not valid JSON', 'Validation');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `inputs` as feature-extraction servers take it: one string, or an array of strings. */
function parseInputs(body: unknown): string | string[] {
  const inputs = isRecord(body) ? body.inputs : undefined;
  if (typeof inputs === 'string') {
    return inputs;
  }
  if (Array.isArray(inputs) && inputs.length > 0 && inputs.every((input) => typeof input === 'string')) {
    return inputs;
  }
  throw new SimulatedHttpError(
    422,
    'Input validation error: `inputs` must be a string or a non-empty array of strings',
    'Validation',
  );
}

interface ChatRequest {
  model: string;
  messages: SimulatedChatMessage[];
  maxTokens: number | undefined;
  stream: boolean;
}

/** The text of a message's content: a string, or the text parts of an array of parts. */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') {
    return content;
  }
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
      .filter((text) => text !== '')
      .join('\n');
  }
  return content === undefined || content === null ? '' : undefined;
}

function parseChatRequest(body: unknown): ChatRequest {
  if (!isRecord(body) || !Array.isArray(body.messages) || body.messages.length === 0) {
    throw new SimulatedHttpError(422, 'Input validation error: `messages` must be a non-empty array', 'Validation');
  }
  const messages = body.messages.map((message: unknown, index): SimulatedChatMessage => {
    const content = isRecord(message) ? contentText(message.content) : undefined;
    if (!isRecord(message) || typeof message.role !== 'string' || content === undefined) {
      throw new SimulatedHttpError(
        422,
        `Input validation error: messages[${index}] must be { role: string, content: string | parts }`,
        'Validation',
      );
    }
    return { role: message.role, content };
  });
  const { max_tokens: maxTokens } = body;
  if (maxTokens !== undefined && maxTokens !== null && !(Number.isInteger(maxTokens) && (maxTokens as number) > 0)) {
    throw new SimulatedHttpError(422, 'Input validation error: `max_tokens` must be a positive integer', 'Validation');
  }
  return {
    model: typeof body.model === 'string' && body.model !== '' ? body.model : DEFAULT_CHAT_MODEL,
    messages,
    maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
    stream: body.stream === true,
  };
}

type Route = 'feature-extraction' | 'tei-embed' | 'chat-completions' | 'health' | 'price-table';

/** `/<provider>/v1/chat/completions`: the router's path for a named provider. */
const NAMED_CHAT = /^\/([a-z0-9-]+)\/v1\/chat\/completions$/;

/** The routes `@huggingface/inference` calls with an `endpointUrl`, and their TEI counterparts. */
function routeOf(pathname: string): Route | undefined {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || /^\/models\/.+\/pipeline\/feature-extraction$/.test(path)) {
    return 'feature-extraction';
  }
  if (path === '/embed') {
    return 'tei-embed';
  }
  if (path === '/v1/chat/completions' || NAMED_CHAT.test(path)) {
    return 'chat-completions';
  }
  if (path === '/v1/models') {
    return 'price-table';
  }
  if (path === '/health') {
    return 'health';
  }
  return undefined;
}

function providerOfChat(url: string, model: string): SimulatedProvider {
  const named = NAMED_CHAT.exec(new URL(url, 'http://127.0.0.1').pathname.replace(/\/+$/, ''));
  return (named === null ? undefined : namedProvider(named[1])) ?? autoProviderOf(model);
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) {
    return;
  }
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    ...headers,
  });
  response.end(payload);
}

/** The completion as server-sent events, one chunk per word, as TGI streams it. */
function sendChatStream(
  response: ServerResponse,
  request: ChatRequest,
  completion: SimulatedCompletion,
  headers: Record<string, string>,
): void {
  if (response.headersSent || response.destroyed) {
    return;
  }
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...headers,
  });
  const base = {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    system_fingerprint: 'hf-simulator',
  };
  const event = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }], ...extra })}\n\n`;
  const words = completion.content.split(' ');
  let body = event({ delta: { role: 'assistant', content: '' } });
  words.forEach((word, index) => {
    body += event({ delta: { content: index === 0 ? word : ` ${word}` } });
  });
  // TGI sends usage with the last chunk; OpenAI-style clients read it from there too.
  body += event({ delta: {}, finish_reason: completion.finishReason }, { usage: completion.usage });
  body += 'data: [DONE]\n\n';
  response.end(body);
}

/**
 * Starts a local server that answers like the Hugging Face Inference API and Text Embeddings
 * Inference, for offline runs, demos and tests. Bound to 127.0.0.1 only.
 *
 * - `POST /` (what `featureExtraction` sends with an `endpointUrl`), `POST /models/<id>/pipeline/feature-extraction`:
 *   `{ inputs: string | string[] }` answers one vector for a string, an array of vectors for an array.
 * - `POST /embed` (TEI): the same body, always an array of vectors.
 * - `POST /v1/chat/completions`: OpenAI-compatible, with `usage`; `stream: true` answers server-sent events.
 * - `GET /health`: 200.
 *
 * Every answer carries `x-request-id`; inference answers carry `x-compute-time` (seconds). An input
 * or message containing `[fail:NNN]` (400 to 599) is answered with that status and `{ "error": "..." }`.
 */
export async function startHfSimulator(options: HfSimulatorOptions = {}): Promise<HfSimulator> {
  const config = resolveOptions(options);
  // Aborted by close(), so that requests waiting out their latency end at once instead of holding the process.
  const closing = new AbortController();
  // Every request waiting out its latency listens to it: many at once is normal, not a leak.
  setMaxListeners(0, closing.signal);
  let requestCount = 0;

  const latencyOfNextAnswer = (): number => {
    const [min, max] = config.latency;
    return Math.round(min + Math.random() * (max - min));
  };

  const answer = async (request: IncomingMessage, response: ServerResponse, requestId: string): Promise<void> => {
    const route = routeOf(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    if (route === undefined) {
      throw new SimulatedHttpError(404, 'Not found');
    }
    if (route === 'health' || route === 'price-table') {
      if (request.method !== 'GET') {
        throw new SimulatedHttpError(405, 'Method not allowed');
      }
      const table = simulatedPriceTable(options.tableModels ?? [DEFAULT_CHAT_MODEL]);
      sendJson(response, 200, route === 'health' ? { status: 'ok' } : table, { 'x-request-id': requestId });
      return;
    }
    if (request.method !== 'POST') {
      throw new SimulatedHttpError(405, 'Method not allowed');
    }
    const body = await readJsonBody(request);
    const chat = route === 'chat-completions' ? parseChatRequest(body) : undefined;
    const inputs = chat === undefined ? parseInputs(body) : [];
    const batch = typeof inputs === 'string' ? [inputs] : inputs;
    const texts = chat === undefined ? batch : chat.messages.map((message) => message.content);

    // Chat goes to a provider as the router's would (the named one, else the auto-routed one); the rest to hf-inference.
    const served = chat === undefined ? undefined : providerOfChat(request.url ?? '/', chat.model);
    const latencyMs = Math.round(latencyOfNextAnswer() * (served?.latencyFactor ?? 1));
    if (latencyMs > 0) {
      await sleep(latencyMs, undefined, { signal: closing.signal });
    }
    const headers: Record<string, string> = {
      'x-request-id': requestId,
      'x-compute-time': (latencyMs / 1000).toFixed(3),
      'x-inference-provider': served?.name ?? SIMULATED_COMPUTE.provider,
    };
    if (served === undefined) {
      headers['x-compute-type'] = SIMULATED_COMPUTE.computeType;
    }
    const failure = requestedFailureStatus(texts) ?? (Math.random() < config.failureRate ? 503 : undefined);
    if (failure !== undefined) {
      sendJson(response, failure, { error: `Simulated failure (${failure})` }, headers);
      return;
    }
    if (chat !== undefined) {
      const completion = simulateCompletion(chat.messages, chat.maxTokens);
      if (chat.stream) {
        sendChatStream(response, chat, completion, headers);
        return;
      }
      sendJson(
        response,
        200,
        {
          id: `chatcmpl-${randomUUID()}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: chat.model,
          system_fingerprint: 'hf-simulator',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: completion.content },
              logprobs: null,
              finish_reason: completion.finishReason,
            },
          ],
          usage: completion.usage,
        },
        headers,
      );
      return;
    }
    const vectors = batch.map((text) => pseudoEmbedding(text, config.dimensions));
    // The Inference API answers a single string with a single vector; TEI always with a batch.
    sendJson(
      response,
      200,
      route === 'feature-extraction' && typeof inputs === 'string' ? vectors[0] : vectors,
      headers,
    );
  };

  const server = createServer((request, response) => {
    requestCount += 1;
    const requestId = randomUUID();
    answer(request, response, requestId).catch((error: unknown) => {
      if (closing.signal.aborted) {
        response.destroy();
        return;
      }
      if (error instanceof SimulatedHttpError) {
        const body =
          error.errorType === undefined
            ? { error: error.message }
            : { error: error.message, error_type: error.errorType };
        sendJson(response, error.status, body, { 'x-request-id': requestId });
        return;
      }
      sendJson(response, 500, { error: 'Simulator internal error' }, { 'x-request-id': requestId });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requestCount() {
      return requestCount;
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Keep-alive connections of clients would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
