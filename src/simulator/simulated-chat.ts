import { createHash } from 'node:crypto';

/** A chat message as OpenAI-compatible clients send it: text, or parts of which the text ones count. */
export interface SimulatedChatMessage {
  role: string;
  content: string;
}

export interface SimulatedUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface SimulatedCompletion {
  content: string;
  finishReason: 'stop' | 'length';
  usage: SimulatedUsage;
}

const REPLIES = [
  'This answer comes from the local Hugging Face simulator, not from a model.',
  'The simulator derives its replies from a hash of the conversation, so they are deterministic.',
  'Set HF_TOKEN or HF_ENDPOINT_URL to talk to a real model instead.',
  'Latency and failures are simulated too, which makes the statistics worth reading.',
];

const OVERHEAD_TOKENS_PER_MESSAGE = 3;

function wordCount(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** Tokens estimated from words: English runs at about four tokens per three words. */
export function estimateTokens(text: string): number {
  return Math.ceil((wordCount(text) * 4) / 3);
}

/**
 * A deterministic reply to `messages`, cut to `maxTokens` when given, with an OpenAI-style usage
 * object estimated from word counts.
 */
export function simulateCompletion(
  messages: readonly SimulatedChatMessage[],
  maxTokens: number | undefined,
): SimulatedCompletion {
  const digest = createHash('sha256');
  for (const message of messages) {
    digest.update(`${message.role}\u0000${message.content}\u0001`);
  }
  const seed = digest.digest().readUInt32LE(0);
  const lastUserWords = wordCount(messages.findLast((message) => message.role === 'user')?.content ?? '');
  const sentences = [
    `You sent ${messages.length} message${messages.length === 1 ? '' : 's'}; the last one from the user had ${lastUserWords} word${lastUserWords === 1 ? '' : 's'}.`,
    REPLIES[seed % REPLIES.length],
    REPLIES[(seed >>> 8) % REPLIES.length],
  ];
  let words = [...new Set(sentences)].join(' ').split(' ');
  let finishReason: SimulatedCompletion['finishReason'] = 'stop';
  if (maxTokens !== undefined) {
    const allowedWords = Math.max(1, Math.floor((maxTokens * 3) / 4));
    if (words.length > allowedWords) {
      words = words.slice(0, allowedWords);
      finishReason = 'length';
    }
  }
  const content = words.join(' ');
  const promptTokens = messages.reduce(
    (sum, message) => sum + estimateTokens(message.content) + OVERHEAD_TOKENS_PER_MESSAGE,
    0,
  );
  const completionTokens = Math.min(estimateTokens(content), maxTokens ?? Number.POSITIVE_INFINITY);
  return {
    content,
    finishReason,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}
