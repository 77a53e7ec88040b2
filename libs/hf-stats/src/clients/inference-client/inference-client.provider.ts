import { Inject, type Provider } from '@nestjs/common';
import { HF_STATS_OPTIONS } from '../../hf-stats.internal-constants.js';
import type { HfStatsSettings } from '../../hf-stats.options.js';
import { HfStatsService } from '../../hf-stats.service.js';
import { importOptionalPeer } from '../../utils/optional-peer.js';
import { trackInferenceClient } from './track-inference-client.js';

/** DI token of the tracked `InferenceClient` of the `inferenceClient` option. */
export const HF_INFERENCE_CLIENT = Symbol('nestjs-hf-stats:InferenceClient');

type InferenceClientModule = {
  InferenceClient: new (accessToken?: string, options?: Record<string, unknown>) => object;
};

/**
 * Injects the tracked `InferenceClient` that `HfStatsModule.forRoot({ inferenceClient: { ... } })`
 * makes: `constructor(@InjectInferenceClient() private readonly hf: InferenceClient) {}`. Without
 * that option, the injected value is `null`.
 */
export function InjectInferenceClient(): PropertyDecorator & ParameterDecorator {
  return Inject(HF_INFERENCE_CLIENT);
}

/** Made at startup, only when the option is given: `@huggingface/inference` is an optional peer. */
export const inferenceClientProvider: Provider = {
  provide: HF_INFERENCE_CLIENT,
  inject: [HF_STATS_OPTIONS, HfStatsService],
  useFactory: async (settings: HfStatsSettings, stats: HfStatsService): Promise<object | null> => {
    const client = settings.inferenceClient;
    if (client === undefined) {
      return null;
    }
    const { InferenceClient } = await importOptionalPeer<InferenceClientModule>(
      '@huggingface/inference',
      'inferenceClient',
    );
    return trackInferenceClient(new InferenceClient(client.accessToken, client.options), { stats });
  },
};
