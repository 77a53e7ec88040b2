import { invalidOption } from '../../hf-stats.messages.js';
import { objectOption } from '../../utils/option-checks.js';

/**
 * The `inferenceClient` option of `HfStatsModule.forRoot()`: the module provides a tracked
 * `InferenceClient` made with these, injected with `@InjectInferenceClient()`.
 */
export interface HfInferenceClientOptions {
  /** Hugging Face access token (`hf_...`). Default none: an endpoint that needs none. */
  accessToken?: string;
  /** Same as `accessToken`. */
  token?: string;
  /** An Inference Endpoint, TEI or TGI server every call goes to. */
  endpointUrl?: string;
  /** Any other option of `InferenceClient` (`billTo`, `retry_on_error`, `fetch`, ...), passed as is. */
  [option: string]: unknown;
}

/** The client's constructor arguments, checked at startup. */
export interface HfInferenceClientSettings {
  accessToken: string | undefined;
  options: Record<string, unknown>;
}

export function resolveInferenceClientOptions(value: unknown): HfInferenceClientSettings | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value === 'string') {
    // A token given in the object's place stays out of the message.
    throw invalidOption(
      'inferenceClient',
      'a string, not shown',
      'an object of InferenceClient options ({ accessToken })',
    );
  }
  const { accessToken, token, ...options } = objectOption(
    'inferenceClient',
    value,
    'an object of InferenceClient options',
  );
  for (const [field, given] of [
    ['accessToken', accessToken],
    ['token', token],
    ['endpointUrl', options.endpointUrl],
  ] as const) {
    if (given !== undefined && typeof given !== 'string') {
      throw invalidOption(`inferenceClient.${field}`, given, 'a string');
    }
  }
  if (accessToken !== undefined && token !== undefined && accessToken !== token) {
    throw invalidOption('inferenceClient.token', '(hidden)', 'the same value as accessToken, or only one of them');
  }
  return { accessToken: (accessToken ?? token) as string | undefined, options };
}
