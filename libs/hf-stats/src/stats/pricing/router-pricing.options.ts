import { invalidOption } from '../../hf-stats.messages.js';
import { integerOption, mergeOntoDefaults } from '../../utils/option-checks.js';

/** Options of `routerPricing`: Hugging Face's price table as a price source. */
export interface HfRouterPricingOptions {
  /** Where the table is read. Default `'https://router.huggingface.co/v1/models'`. */
  url?: string;
  /** How often it is read again, in milliseconds. Default 86400000 (24 h), at least 60000 (1 min). */
  refreshIntervalMs?: number;
  /** How long one read may take before it counts as failed. Default 10000 (10 s). */
  timeoutMs?: number;
}

/** The `routerPricing` settings in force. */
export class HfRouterPricingSettings {
  url = 'https://router.huggingface.co/v1/models';
  refreshIntervalMs = 86_400_000;
  timeoutMs = 10_000;
}

const KNOWN = `one of the known options (${Object.keys(new HfRouterPricingSettings()).join(', ')})`;

/** `true` takes the defaults; `false` or absent: off (the default). */
export function resolveHfRouterPricingOptions(
  options: boolean | HfRouterPricingOptions | undefined,
): HfRouterPricingSettings | undefined {
  if (options === undefined || options === false) {
    return undefined;
  }
  if (options === true) {
    return new HfRouterPricingSettings();
  }
  if (options === null || typeof options !== 'object') {
    throw invalidOption('routerPricing', options, 'true, false or an object { url?, refreshIntervalMs?, timeoutMs? }');
  }
  const resolved = mergeOntoDefaults(
    new HfRouterPricingSettings(),
    options as Record<string, unknown>,
    'routerPricing.',
    KNOWN,
  );
  let url: URL | undefined;
  try {
    url = typeof resolved.url === 'string' ? new URL(resolved.url) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw invalidOption('routerPricing.url', resolved.url, 'an http or https URL');
  }
  integerOption('routerPricing.refreshIntervalMs', resolved.refreshIntervalMs, 60_000, 'an integer >= 60000 (1 min)');
  integerOption('routerPricing.timeoutMs', resolved.timeoutMs, 1, 'an integer number of milliseconds >= 1');
  return resolved;
}
