/** Tokens a call used, each undefined when not measured. */
export interface HfTokenUsage {
  inputTokens?: number;
  outputTokens?: number;
}

function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * The tokens of an OpenAI-compatible result (`usage.prompt_tokens`, `usage.completion_tokens`),
 * which chat completions, their final stream chunk and some embedding servers return.
 * Malformed values (strings, negatives, fractions) are unmeasured, never zero.
 */
export function openAiUsageOf(result: unknown): HfTokenUsage | undefined {
  if (result === null || typeof result !== 'object') {
    return undefined;
  }
  const { usage } = result as { usage?: unknown };
  if (usage === null || typeof usage !== 'object') {
    return undefined;
  }
  const { prompt_tokens: prompt, completion_tokens: completion } = usage as Record<string, unknown>;
  const inputTokens = tokenCount(prompt);
  const outputTokens = tokenCount(completion);
  return inputTokens === undefined && outputTokens === undefined ? undefined : { inputTokens, outputTokens };
}

/** A usage value from a user's `usage` function, cleaned the same way. */
export function cleanUsage(usage: unknown): HfTokenUsage | undefined {
  if (usage === null || typeof usage !== 'object') {
    return undefined;
  }
  const { inputTokens, outputTokens } = usage as Record<string, unknown>;
  const cleaned = { inputTokens: tokenCount(inputTokens), outputTokens: tokenCount(outputTokens) };
  return cleaned.inputTokens === undefined && cleaned.outputTokens === undefined ? undefined : cleaned;
}
