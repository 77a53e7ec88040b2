/** A provider the simulator pretends routes chat to: its latency relative to the base, and its prices. */
export interface SimulatedProvider {
  name: string;
  /** Multiplies the simulator's latency for the calls it serves. */
  latencyFactor: number;
  /** Illustrative US dollars per million tokens, as the router's table states prices. Not real rates. */
  input: number;
  output: number;
}

/** Illustrative providers (not Hugging Face's rates): one fast and dear, one slow and cheap. */
export const SIMULATED_PROVIDERS: readonly SimulatedProvider[] = [
  { name: 'together', latencyFactor: 0.6, input: 0.3, output: 0.9 },
  { name: 'novita', latencyFactor: 1.4, input: 0.15, output: 0.45 },
];

/** The provider `hf-inference` answers for the feature-extraction routes, with the hardware it bills. */
export const SIMULATED_COMPUTE = { provider: 'hf-inference', computeType: 'cpu' } as const;

/** The provider auto-routing picks for a model: the same for the same name, so runs are reproducible. */
export function autoProviderOf(model: string): SimulatedProvider {
  let hash = 0;
  for (let i = 0; i < model.length; i++) {
    hash = (hash * 31 + model.charCodeAt(i)) >>> 0;
  }
  return SIMULATED_PROVIDERS[hash % SIMULATED_PROVIDERS.length];
}

/** A named provider of the router's path (`/<provider>/v1/chat/completions`), if the simulator knows it. */
export function namedProvider(name: string): SimulatedProvider | undefined {
  return SIMULATED_PROVIDERS.find((provider) => provider.name === name);
}

/** `GET /v1/models` in the router's shape: every model served by every simulated provider, with its price. */
export function simulatedPriceTable(models: readonly string[]): unknown {
  return {
    object: 'list',
    data: models.map((id) => ({
      id,
      object: 'model',
      owned_by: id.split('/')[0],
      providers: SIMULATED_PROVIDERS.map((provider) => ({
        provider: provider.name,
        status: 'live',
        pricing: { input: provider.input, output: provider.output },
      })),
    })),
  };
}
