import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HF_STATS_OPTIONS } from '../../hf-stats.internal-constants.js';
import { routerPricingFailed } from '../../hf-stats.messages.js';
import type { HfStatsSettings } from '../../hf-stats.options.js';
import { RouterPriceTable, type HfRouterPriceLookup, type HfTokenPrice } from './router-price-table.js';

/** What `routerPricing` holds now: what a team reconciling its bill checks first. */
export interface HfRouterPricingStatus {
  enabled: boolean;
  /** ISO 8601 time the table in force was read; null before the first good read. */
  loadedAt: string | null;
  modelCount: number;
  priceCount: number;
  /** Good reads so far. */
  refreshCount: number;
  /** Failed reads so far (each one warning in the log); the last good table stays in force. */
  failureCount: number;
}

/**
 * Hugging Face's price table (`routerPricing`), read at startup and every `refreshIntervalMs` with the
 * module's own request (the global `fetch`, never a tracked one: it is not a Hugging Face call). A failed
 * read is one warning and keeps the last good table; the table lives in memory only, so after a restart
 * calls are unpriced by it until the first good read.
 */
@Injectable()
export class HfRouterPricing implements HfRouterPriceLookup, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HfStats');
  private table: RouterPriceTable | undefined = undefined;
  private loadedAt = 0;
  private refreshCount = 0;
  private failureCount = 0;
  private timer: ReturnType<typeof setInterval> | undefined = undefined;

  constructor(@Inject(HF_STATS_OPTIONS) private readonly options: HfStatsSettings) {}

  get status(): HfRouterPricingStatus {
    return {
      enabled: this.options.routerPricing !== undefined,
      loadedAt: this.loadedAt === 0 ? null : new Date(this.loadedAt).toISOString(),
      modelCount: this.table?.modelCount ?? 0,
      priceCount: this.table?.priceCount ?? 0,
      refreshCount: this.refreshCount,
      failureCount: this.failureCount,
    };
  }

  /** Reads the table before the app serves, so that its first calls are priced; a failure does not stop startup. */
  async onApplicationBootstrap(): Promise<void> {
    const settings = this.options.routerPricing;
    if (settings === undefined) {
      return;
    }
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.warn(error));
    }, settings.refreshIntervalMs);
    this.timer.unref?.();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the table once; true when a good one is in force after it. Never throws. */
  async refresh(): Promise<boolean> {
    const settings = this.options.routerPricing;
    if (settings === undefined) {
      return false;
    }
    try {
      const response = await globalThis.fetch(settings.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      const table = RouterPriceTable.parse(await response.json());
      if (table === undefined) {
        throw new Error("not in the router's shape { data: [{ id, providers }] }");
      }
      this.table = table;
      this.loadedAt = Date.now();
      this.refreshCount += 1;
      return true;
    } catch (error) {
      this.warn(error);
      return false;
    }
  }

  priceOf(model: string, provider: string): HfTokenPrice | undefined {
    return this.table?.priceOf(model, provider);
  }

  private warn(error: unknown): void {
    this.failureCount += 1;
    const settings = this.options.routerPricing;
    this.logger.warn(routerPricingFailed(settings?.url ?? '', error, this.table?.modelCount));
  }
}
