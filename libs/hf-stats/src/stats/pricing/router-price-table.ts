/** Prices of one (model, provider) in Hugging Face's table: US dollars per million tokens. */
export interface HfTokenPrice {
  input: number;
  output: number;
}

/** What the pricing engine asks of a price table. */
export interface HfRouterPriceLookup {
  priceOf(model: string, provider: string): HfTokenPrice | undefined;
}

/** Most (model, provider) prices a table keeps: far above what the router lists, a bound against a bad answer. */
export const MAX_TABLE_PRICES = 100_000;

function isPrice(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Hugging Face's price table as `GET https://router.huggingface.co/v1/models` answers it:
 * `{ data: [{ id, providers: [{ provider, pricing: { input, output } }] }] }`, prices in US dollars per
 * million tokens. Entries without a valid price (providers that bill otherwise) are left out, so their
 * calls stay unpriced rather than priced at $0.
 */
export class RouterPriceTable implements HfRouterPriceLookup {
  private constructor(
    private readonly prices: ReadonlyMap<string, ReadonlyMap<string, HfTokenPrice>>,
    /** Prices kept, over every model. */
    readonly priceCount: number,
  ) {}

  get modelCount(): number {
    return this.prices.size;
  }

  /** Reads a table from the router's JSON; undefined when it is not in that shape. Never throws. */
  static parse(body: unknown): RouterPriceTable | undefined {
    const data = (body as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) {
      return undefined;
    }
    const prices = new Map<string, Map<string, HfTokenPrice>>();
    let count = 0;
    for (const entry of data as unknown[]) {
      const { id, providers } = (entry ?? {}) as { id?: unknown; providers?: unknown };
      if (typeof id !== 'string' || !Array.isArray(providers)) {
        continue;
      }
      for (const offer of providers as unknown[]) {
        const { provider, pricing } = (offer ?? {}) as { provider?: unknown; pricing?: unknown };
        const { input, output } = (pricing ?? {}) as { input?: unknown; output?: unknown };
        if (typeof provider !== 'string' || !isPrice(input) || !isPrice(output) || count >= MAX_TABLE_PRICES) {
          continue;
        }
        let byProvider = prices.get(id);
        if (byProvider === undefined) {
          byProvider = new Map();
          prices.set(id, byProvider);
        }
        if (!byProvider.has(provider)) {
          count += 1;
        }
        byProvider.set(provider, { input, output });
      }
    }
    return new RouterPriceTable(prices, count);
  }

  priceOf(model: string, provider: string): HfTokenPrice | undefined {
    return this.prices.get(model)?.get(provider);
  }
}
