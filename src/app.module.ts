import { Module } from '@nestjs/common';
import { HfStatsModule } from 'nestjs-hf-stats';
import { ChatModule } from './chat/chat.module.js';
import { EmbeddingsModule } from './embeddings/embeddings.module.js';
import { loadHfStatsOptions } from './hf/hf-stats.config.js';

/** The example app: embeddings and chat over Hugging Face, with their statistics at `GET /hf-stats`. */
@Module({
  imports: [
    // forRootAsync rather than forRoot, so that the environment is read when the app starts, as the HF client's is.
    HfStatsModule.forRootAsync({ useFactory: () => loadHfStatsOptions() }),
    EmbeddingsModule,
    ChatModule,
  ],
})
export class AppModule {}
