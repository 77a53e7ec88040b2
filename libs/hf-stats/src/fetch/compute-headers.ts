import { boundedName } from '../stats/call-names.js';

/**
 * What one HTTP response of a Hugging Face server says about its own work, read from the headers
 * that the serverless API, Text Generation Inference (TGI) and Text Embeddings Inference (TEI) send.
 */
export interface HfComputeHeaders {
  /** `x-compute-time`, in milliseconds whatever unit the server used. */
  computeTimeMs: number | undefined;
  /** `x-compute-characters`. */
  computeCharacters: number | undefined;
  /** `x-compute-tokens` (TEI). */
  computeTokens: number | undefined;
  /** `x-prompt-tokens` (TGI). */
  promptTokens: number | undefined;
  /** `x-generated-tokens` (TGI). */
  generatedTokens: number | undefined;
  /** `x-queue-time`, milliseconds in TGI and TEI alike. */
  queueTimeMs: number | undefined;
  /** `x-inference-time`, milliseconds in TGI and TEI alike. */
  inferenceTimeMs: number | undefined;
  /** `x-request-id`, trimmed to a safe length and character set. */
  requestId: string | undefined;
  /** `x-inference-provider`: the provider that served the call (the router says which), bounded like a model name. */
  provider: string | undefined;
  /** `x-compute-type`: the hardware an `hf-inference` call ran on (`cpu`, `nvidia-a10g`...), bounded likewise. */
  computeType: string | undefined;
  /** Headers present but not numbers (or not safe request ids): ignored and counted. */
  invalidHeaderCount: number;
}

/** How `x-compute-time` is read: `auto` tells TEI (milliseconds) from the others (seconds). */
export type HfComputeTimeUnit = 'auto' | 's' | 'ms';

const MAX_REQUEST_ID_LENGTH = 128;
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]+$/;

interface HeaderSource {
  get(name: string): string | null;
  has(name: string): boolean;
}

/**
 * TEI writes `x-compute-time` in whole milliseconds and is the only one to send
 * `x-tokenization-time` or `x-compute-tokens`; the serverless API and TGI write seconds (`0.532`).
 */
function computeTimeIsMilliseconds(headers: HeaderSource, unit: HfComputeTimeUnit, hasComputeTokens: boolean): boolean {
  if (unit !== 'auto') {
    return unit === 'ms';
  }
  return hasComputeTokens || headers.has('x-tokenization-time');
}

export function readComputeHeaders(headers: HeaderSource, unit: HfComputeTimeUnit = 'auto'): HfComputeHeaders {
  let invalidHeaderCount = 0;
  // Each read goes through undici's argument checks: every header is read once.
  const number = (raw: string | null, integer: boolean): number | undefined => {
    if (raw === null) {
      return undefined;
    }
    const trimmed = raw.trim();
    const value = trimmed === '' ? Number.NaN : Number(trimmed);
    if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
      invalidHeaderCount += 1;
      return undefined;
    }
    return value;
  };
  const computeTime = number(headers.get('x-compute-time'), false);
  const rawComputeTokens = headers.get('x-compute-tokens');
  const rawRequestId = headers.get('x-request-id')?.trim();
  let requestId: string | undefined;
  if (rawRequestId !== undefined && rawRequestId !== '') {
    if (rawRequestId.length <= MAX_REQUEST_ID_LENGTH && SAFE_REQUEST_ID.test(rawRequestId)) {
      requestId = rawRequestId;
    } else {
      invalidHeaderCount += 1;
    }
  }
  return {
    computeTimeMs:
      computeTime === undefined
        ? undefined
        : computeTimeIsMilliseconds(headers, unit, rawComputeTokens !== null)
          ? computeTime
          : computeTime * 1000,
    computeCharacters: number(headers.get('x-compute-characters'), true),
    computeTokens: number(rawComputeTokens, true),
    promptTokens: number(headers.get('x-prompt-tokens'), true),
    generatedTokens: number(headers.get('x-generated-tokens'), true),
    queueTimeMs: number(headers.get('x-queue-time'), false),
    inferenceTimeMs: number(headers.get('x-inference-time'), false),
    requestId,
    provider: nameHeader(headers, 'x-inference-provider'),
    computeType: nameHeader(headers, 'x-compute-type'),
    invalidHeaderCount,
  };
}

/** A name a server sends (a provider, a hardware type): trimmed and bounded like every name a call record holds. */
function nameHeader(headers: HeaderSource, name: string): string | undefined {
  const value = headers.get(name)?.trim();
  return value === undefined || value === '' ? undefined : boundedName(value);
}
