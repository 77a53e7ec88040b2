/** Models used when `HF_EMBEDDING_MODEL` / `HF_CHAT_MODEL` are not set. */
export const DEFAULT_EMBEDDING_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
export const DEFAULT_CHAT_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

/** Longest a Hugging Face call may take before it is aborted and counted as a timeout. */
export const HF_REQUEST_TIMEOUT_MS = 30_000;

/** The models called, read from the environment. */
export interface HfModels {
  /** `HF_EMBEDDING_MODEL`. */
  embeddingModel: string;
  /** `HF_CHAT_MODEL`. */
  chatModel: string;
}

/** How the app reaches Hugging Face, read from the environment. */
export interface HfConfig extends HfModels {
  /** `HF_TOKEN`: a Hugging Face access token, for the Inference API or a protected endpoint. */
  token: string | undefined;
  /** `HF_ENDPOINT_URL`: a Text Embeddings Inference server or an Inference Endpoint. */
  endpointUrl: string | undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** Reads `HF_EMBEDDING_MODEL` and `HF_CHAT_MODEL`, with their defaults. */
export function loadHfModels(env: NodeJS.ProcessEnv = process.env): HfModels {
  return {
    embeddingModel: nonEmpty(env.HF_EMBEDDING_MODEL) ?? DEFAULT_EMBEDDING_MODEL,
    chatModel: nonEmpty(env.HF_CHAT_MODEL) ?? DEFAULT_CHAT_MODEL,
  };
}

/**
 * Reads the Hugging Face settings; an empty variable counts as unset.
 * @throws Error naming the variable when `HF_ENDPOINT_URL` is not an http(s) URL.
 */
export function loadHfConfig(env: NodeJS.ProcessEnv = process.env): HfConfig {
  const endpointUrl = nonEmpty(env.HF_ENDPOINT_URL);
  if (endpointUrl !== undefined && !/^https?:$/.test(URL.parse(endpointUrl)?.protocol ?? '')) {
    // The value is not echoed: endpoint URLs sometimes carry credentials.
    throw new Error('HF_ENDPOINT_URL must be an http:// or https:// URL, for example http://127.0.0.1:8080.');
  }
  return {
    token: nonEmpty(env.HF_TOKEN),
    endpointUrl,
    ...loadHfModels(env),
  };
}
