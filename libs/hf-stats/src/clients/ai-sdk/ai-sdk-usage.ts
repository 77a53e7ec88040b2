import type { HfTokenUsage } from '../../stats/usage.js';

function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** A count of the AI SDK: a number (specification v2) or `{ total }` (v3). */
function countOf(value: unknown): number | undefined {
  if (value !== null && typeof value === 'object') {
    return tokenCount((value as { total?: unknown }).total);
  }
  return tokenCount(value);
}

/**
 * The AI SDK's own usage shape, in a generate result or a stream's `finish` part:
 * `usage.inputTokens` / `usage.outputTokens` (numbers, or `{ total }` since v3); an embedding
 * result's `usage.tokens`.
 */
export function aiSdkUsageOf(value: unknown): HfTokenUsage | undefined {
  const usage = value !== null && typeof value === 'object' ? (value as { usage?: unknown }).usage : undefined;
  if (usage === null || typeof usage !== 'object') {
    return undefined;
  }
  const { inputTokens: input, outputTokens: output, tokens } = usage as Record<string, unknown>;
  const inputTokens = countOf(input) ?? tokenCount(tokens);
  const outputTokens = countOf(output);
  return inputTokens === undefined && outputTokens === undefined ? undefined : { inputTokens, outputTokens };
}
