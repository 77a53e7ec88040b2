import type { HfPriceRule } from 'nestjs-hf-stats';
import { DEFAULT_CHAT_MODEL } from './hf.config.js';

// EXAMPLE PRICES: illustrative figures, in US dollars, that show the shape of a price table. They are
// not Hugging Face's rates. Replace them with your own, from Hugging Face's pricing page and the usage
// your billing page shows:
// - the hf-inference provider bills compute time: price it with `perComputeSecond` (the library reads
//   the `x-compute-time` header of every answer);
// - chat providers bill tokens: price them with `perInputToken` and `perOutputToken` (the library reads
//   the `usage` of every completion).
// An Inference Endpoint bills its uptime by the hour, not per call: per-call prices only spread that bill.

/** Example price of the chat model: $0.20 per million input tokens, $0.60 per million output tokens. */
export const EXAMPLE_CHAT_PRICE = {
  model: DEFAULT_CHAT_MODEL,
  perInputToken: 0.2 / 1_000_000,
  perOutputToken: 0.6 / 1_000_000,
} as const satisfies HfPriceRule;

/** Example price of sentence-transformers embeddings on hf-inference: $0.00012 per second of compute. */
export const EXAMPLE_EMBEDDING_PRICE = {
  model: 'sentence-transformers/*',
  perComputeSecond: 0.000_12,
} as const satisfies HfPriceRule;

/**
 * The example app's price table (illustrative, see above). First match wins, so an exact name goes
 * before a glob that would also match it. A call no rule prices counts in `unpricedCallCount`, never
 * as $0: set `HF_CHAT_MODEL` or `HF_EMBEDDING_MODEL` to another model and add a rule for it.
 */
export const EXAMPLE_HF_PRICES: readonly HfPriceRule[] = [EXAMPLE_CHAT_PRICE, EXAMPLE_EMBEDDING_PRICE];
