import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { HF_CLIENT, hfClientProvider, type HfClient } from './hf-client.provider.js';

/** The Hugging Face client, shared by the feature modules. */
@Module({
  providers: [hfClientProvider],
  exports: [HF_CLIENT],
})
export class HfModule implements OnApplicationShutdown {
  constructor(@Inject(HF_CLIENT) private readonly client: HfClient) {}

  // At shutdown rather than at module destroy: the HTTP server has stopped taking requests by then.
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
