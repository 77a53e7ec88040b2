import { Logger, type FactoryProvider } from '@nestjs/common';
import { InferenceClient, type Options } from '@huggingface/inference';
import { createHfStatsFetch } from 'nestjs-hf-stats';
import { startHfSimulator, type HfSimulator } from '../simulator/hf-simulator.js';
import { HF_REQUEST_TIMEOUT_MS, loadHfConfig, type HfConfig } from './hf.config.js';

/** Injection token of the {@link HfClient}. */
export const HF_CLIENT = Symbol('HF_CLIENT');

/** Where the calls go: the Hugging Face Inference API, an endpoint of the user's, or the local simulator. */
export type HfBackend = 'inference-api' | 'endpoint' | 'simulator';

/** The configured Hugging Face client and what the services need to call it. */
export interface HfClient {
  readonly inference: InferenceClient;
  readonly backend: HfBackend;
  readonly embeddingModel: string;
  readonly chatModel: string;
  /**
   * The provider to name in feature-extraction calls: `hf-inference` on the Inference API, where
   * sentence-transformers models are served; none with an endpoint URL, which the client refuses
   * alongside a provider.
   */
  readonly embeddingProvider: 'hf-inference' | undefined;
  /** The simulator the client talks to, when the app started one. */
  readonly simulator: HfSimulator | undefined;
  /** Options for every call: no endless retry on 503 (the client's default), and a deadline. */
  callOptions(): Options;
  /** Stops the simulator, if the app started one. */
  close(): Promise<void>;
}

const logger = new Logger('HfClient');

function callOptions(): Options {
  return { retry_on_error: false, signal: AbortSignal.timeout(HF_REQUEST_TIMEOUT_MS) };
}

/** Builds the client for `config`, starting the local simulator when neither a token nor an endpoint is set. */
export async function createHfClient(config: HfConfig): Promise<HfClient> {
  const models = { embeddingModel: config.embeddingModel, chatModel: config.chatModel, callOptions };
  // Attributes every HTTP attempt of a tracked call to it: attempts, 429s, status codes, request id, compute time.
  const trackedFetch = createHfStatsFetch();
  if (config.endpointUrl !== undefined) {
    // Only the origin is logged: the token never is, and a path or query may hold credentials.
    logger.log(`Using the Hugging Face endpoint at ${new URL(config.endpointUrl).origin}`);
    return {
      ...models,
      inference: new InferenceClient(config.token, { endpointUrl: config.endpointUrl, fetch: trackedFetch }),
      backend: 'endpoint',
      embeddingProvider: undefined,
      simulator: undefined,
      close: () => Promise.resolve(),
    };
  }
  if (config.token !== undefined) {
    logger.log('Using the Hugging Face Inference API with HF_TOKEN');
    return {
      ...models,
      inference: new InferenceClient(config.token, { fetch: trackedFetch }),
      backend: 'inference-api',
      embeddingProvider: 'hf-inference',
      simulator: undefined,
      close: () => Promise.resolve(),
    };
  }
  const simulator = await startHfSimulator();
  logger.log(`No HF_TOKEN or HF_ENDPOINT_URL: using the local Hugging Face simulator at ${simulator.url}`);
  return {
    ...models,
    inference: new InferenceClient(undefined, { endpointUrl: simulator.url, fetch: trackedFetch }),
    backend: 'simulator',
    embeddingProvider: undefined,
    simulator,
    close: () => simulator.close(),
  };
}

/** Provides {@link HF_CLIENT} from the environment (see `loadHfConfig`), read when the app starts. */
export const hfClientProvider: FactoryProvider<Promise<HfClient>> = {
  provide: HF_CLIENT,
  useFactory: () => createHfClient(loadHfConfig()),
};
