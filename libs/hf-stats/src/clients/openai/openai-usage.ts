import { openAiUsageOf, type HfTokenUsage } from '../../stats/usage.js';

function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** The Responses API's `usage` (`input_tokens`, `output_tokens`). */
function responsesUsage(usage: unknown): HfTokenUsage | undefined {
  if (usage === null || typeof usage !== 'object') {
    return undefined;
  }
  const { input_tokens: input, output_tokens: output } = usage as Record<string, unknown>;
  const inputTokens = tokenCount(input);
  const outputTokens = tokenCount(output);
  return inputTokens === undefined && outputTokens === undefined ? undefined : { inputTokens, outputTokens };
}

/**
 * Tokens of a Responses API result, or of its stream's `response.completed` event (which carries the
 * whole response). Malformed counts are unmeasured, never zero.
 */
export function responsesUsageOf(value: unknown): HfTokenUsage | undefined {
  if (value === null || typeof value !== 'object') {
    return undefined;
  }
  const { usage, response } = value as { usage?: unknown; response?: { usage?: unknown } | null };
  return (
    responsesUsage(usage) ??
    (response !== null && typeof response === 'object' ? responsesUsage(response.usage) : undefined)
  );
}

/** Chat completions, their stream's usage chunk, embeddings and legacy completions: OpenAI's `usage`. */
export const chatUsageOf = openAiUsageOf;
