import { Inject, Injectable } from '@nestjs/common';
import { InferenceClientProviderOutputError } from '@huggingface/inference';
import { TrackHFCall } from 'nestjs-hf-stats';
import { HF_CLIENT, type HfClient } from '../hf/hf-client.provider.js';
import type { ChatMessage, ChatResponse } from './chat.interfaces.js';

/** Tokens generated when the client names no limit: enough for a short answer, bounded in cost. */
export const DEFAULT_MAX_TOKENS = 512;

export interface ChatOptions {
  maxTokens?: number;
}

/** Chat completions through the Hugging Face OpenAI-compatible chat-completion task. */
@Injectable()
export class ChatService {
  constructor(@Inject(HF_CLIENT) private readonly hf: HfClient) {}

  /** The assistant's answer to `messages`. Rejects with the client's error when the call fails. */
  @TrackHFCall<[ChatMessage[], ChatOptions?]>({
    operation: 'chat-completion',
    model(this: ChatService) {
      return this.hf.chatModel;
    },
    texts: (messages) => messages.length,
    characters: (messages) => messages.reduce((sum, message) => sum + message.content.length, 0),
    // The method answers the app's shape, not the client's OpenAI `usage`, which the library reads by default.
    usage: (result) => {
      const { usage } = result as ChatResponse;
      return { inputTokens: usage.promptTokens, outputTokens: usage.completionTokens };
    },
  })
  async chat(messages: ChatMessage[], options: ChatOptions = {}): Promise<ChatResponse> {
    const output = await this.hf.inference.chatCompletion(
      { model: this.hf.chatModel, messages, max_tokens: options.maxTokens ?? DEFAULT_MAX_TOKENS },
      this.hf.callOptions(),
    );
    const choice = output.choices[0];
    const content = choice?.message.content;
    if (typeof content !== 'string') {
      throw new InferenceClientProviderOutputError('Expected a chat completion with a text message');
    }
    return {
      id: output.id,
      model: output.model,
      message: { role: 'assistant', content },
      finishReason: choice.finish_reason,
      usage: {
        promptTokens: output.usage.prompt_tokens,
        completionTokens: output.usage.completion_tokens,
        totalTokens: output.usage.total_tokens,
      },
    };
  }
}
