import { Body, Controller, HttpCode, HttpStatus, Post, UseFilters } from '@nestjs/common';
import { HfUpstreamExceptionFilter } from '../hf/hf-upstream-exception.filter.js';
import { EmbeddingsBodyPipe } from './embeddings-body.pipe.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from './embeddings.interfaces.js';
import { EmbeddingsService } from './embeddings.service.js';

@Controller('embeddings')
@UseFilters(HfUpstreamExceptionFilter)
export class EmbeddingsController {
  constructor(private readonly embeddings: EmbeddingsService) {}

  /** `POST /embeddings` with `{ "texts": [...] }` or `{ "inputs": ... }`: one vector per text. */
  @Post()
  @HttpCode(HttpStatus.OK)
  async embed(@Body(EmbeddingsBodyPipe) body: EmbeddingsRequest): Promise<EmbeddingsResponse> {
    const embeddings = await this.embeddings.embed(body.texts);
    return { model: this.embeddings.model, dimensions: embeddings[0]?.length ?? 0, embeddings };
  }
}
