import type { HfTokenUsage } from '../../stats/usage.js';

function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function usageFrom(input: unknown, output: unknown): HfTokenUsage | undefined {
  const inputTokens = tokenCount(input);
  const outputTokens = tokenCount(output);
  return inputTokens === undefined && outputTokens === undefined ? undefined : { inputTokens, outputTokens };
}

/**
 * The tokens of a LangChain `LLMResult`: `llmOutput.tokenUsage` (`promptTokens`, `completionTokens`),
 * else the first generation's `message.usage_metadata` (`input_tokens`, `output_tokens`), which a
 * streamed run carries.
 */
export function langChainUsageOf(output: unknown): HfTokenUsage | undefined {
  if (output === null || typeof output !== 'object') {
    return undefined;
  }
  const { llmOutput, generations } = output as { llmOutput?: unknown; generations?: unknown };
  const tokenUsage = (llmOutput as { tokenUsage?: Record<string, unknown> } | null | undefined)?.tokenUsage;
  const fromOutput = usageFrom(tokenUsage?.promptTokens, tokenUsage?.completionTokens);
  if (fromOutput !== undefined) {
    return fromOutput;
  }
  const first =
    Array.isArray(generations) && Array.isArray(generations[0]) ? (generations[0][0] as unknown) : undefined;
  const metadata = (first as { message?: { usage_metadata?: Record<string, unknown> } } | undefined)?.message
    ?.usage_metadata;
  return usageFrom(metadata?.input_tokens, metadata?.output_tokens);
}
