import { Body, Controller, HttpCode, HttpStatus, Post, UseFilters } from '@nestjs/common';
import { HfUpstreamExceptionFilter } from '../hf/hf-upstream-exception.filter.js';
import { ChatBodyPipe } from './chat-body.pipe.js';
import type { ChatRequest, ChatResponse } from './chat.interfaces.js';
import { ChatService } from './chat.service.js';

@Controller('chat')
@UseFilters(HfUpstreamExceptionFilter)
export class ChatController {
  constructor(private readonly chatService: ChatService) {}

  /** `POST /chat` with `{ "messages": [...], "max_tokens"?: n }`: the assistant's answer. */
  @Post()
  @HttpCode(HttpStatus.OK)
  chat(@Body(ChatBodyPipe) body: ChatRequest): Promise<ChatResponse> {
    return this.chatService.chat(body.messages, { maxTokens: body.maxTokens });
  }
}
