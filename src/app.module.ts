import { Module } from '@nestjs/common';
import { HfStatsModule } from 'nestjs-hf-stats';
import { ChatModule } from './chat/chat.module.js';
import { EmbeddingsModule } from './embeddings/embeddings.module.js';

/** The example app: embeddings and chat over Hugging Face, with their statistics at `GET /hf-stats`. */
@Module({
  imports: [HfStatsModule.forRoot(), EmbeddingsModule, ChatModule],
})
export class AppModule {}
