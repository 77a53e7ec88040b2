import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { CHAT_ROLES, type ChatMessage, type ChatRequest, type ChatRole } from './chat.interfaces.js';

export const MAX_CHAT_MESSAGES = 64;
export const MAX_CHAT_CONTENT_LENGTH = 32_768;
export const MAX_CHAT_TOKENS = 4_096;

const EXPECTED = `expected {"messages": [{"role": "user", "content": "..."}], "max_tokens"?: 1..${MAX_CHAT_TOKENS}}`;

function invalid(reason: string): BadRequestException {
  // The messages are never echoed: they are user input.
  return new BadRequestException(`Invalid body: ${reason}; ${EXPECTED}.`);
}

function isChatRole(value: unknown): value is ChatRole {
  return (CHAT_ROLES as readonly unknown[]).includes(value);
}

/** Validates a `POST /chat` body by hand. Answers 400 with the reason otherwise. */
@Injectable()
export class ChatBodyPipe implements PipeTransform<unknown, ChatRequest> {
  transform(body: unknown): ChatRequest {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw invalid('the body must be a JSON object');
    }
    const { messages, max_tokens: maxTokens } = body as { messages?: unknown; max_tokens?: unknown };
    if (!Array.isArray(messages) || messages.length === 0 || messages.length > MAX_CHAT_MESSAGES) {
      throw invalid(`"messages" must be an array of 1 to ${MAX_CHAT_MESSAGES} messages`);
    }
    const parsed = messages.map((message: unknown, index): ChatMessage => {
      if (message === null || typeof message !== 'object') {
        throw invalid(`"messages[${index}]" must be an object`);
      }
      const { role, content } = message as { role?: unknown; content?: unknown };
      if (!isChatRole(role)) {
        throw invalid(`"messages[${index}].role" must be one of ${CHAT_ROLES.join(', ')}`);
      }
      if (typeof content !== 'string' || content.length > MAX_CHAT_CONTENT_LENGTH) {
        throw invalid(`"messages[${index}].content" must be a string of at most ${MAX_CHAT_CONTENT_LENGTH} characters`);
      }
      return { role, content };
    });
    if (!parsed.some((message) => message.role === 'user' && message.content.trim() !== '')) {
      throw invalid('"messages" must hold at least one non-blank user message');
    }
    if (
      maxTokens !== undefined &&
      !(typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens >= 1 && maxTokens <= MAX_CHAT_TOKENS)
    ) {
      throw invalid(`"max_tokens" must be an integer from 1 to ${MAX_CHAT_TOKENS}`);
    }
    return { messages: parsed, maxTokens };
  }
}
