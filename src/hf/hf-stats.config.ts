import { Logger } from '@nestjs/common';
import type { HfStatsModuleOptions, HfStatsStaticOptions } from 'nestjs-hf-stats';
import { EXAMPLE_HF_PRICES } from './hf-pricing.js';

/** What the app's `HfStatsModule.forRootAsync` factory gives: every option that may come from the environment. */
export type HfStatsAppOptions = Omit<HfStatsModuleOptions, keyof HfStatsStaticOptions>;

const logger = new Logger('HfStatsConfig');

/**
 * `HF_STATS_BUDGET_MAX_CALLS`: tracked calls a session may make before the app warns about it,
 * once per session; unset (or empty) for no budget.
 * @throws Error naming the variable when it is not a positive integer.
 */
export function loadBudgetMaxCalls(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.HF_STATS_BUDGET_MAX_CALLS?.trim();
  if (raw === undefined || raw === '') {
    return undefined;
  }
  const maxCalls = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(maxCalls) || maxCalls < 1) {
    throw new Error(`HF_STATS_BUDGET_MAX_CALLS must be a positive integer (calls per session), got "${raw}".`);
  }
  return maxCalls;
}

/**
 * The statistics options of the app, read from the environment when the app starts: the example
 * price table, the statistics log at its default place, and an optional per-session budget.
 */
export function loadHfStatsOptions(env: NodeJS.ProcessEnv = process.env): HfStatsAppOptions {
  const maxCalls = loadBudgetMaxCalls(env);
  if (maxCalls !== undefined) {
    logger.log(
      `HF_STATS_BUDGET_MAX_CALLS=${maxCalls}: a warning when a session goes past ${maxCalls} Hugging Face calls (calls still go through)`,
    );
  }
  return {
    // The library's defaults: a JSON line per call in logs/hf_api_stats.log, to follow with `tail -F`.
    log: true,
    // A copy: the option takes a mutable array, and the table is shared.
    pricing: [...EXAMPLE_HF_PRICES],
    ...(maxCalls === undefined ? {} : { budget: { maxCalls, onExceed: 'warn' as const } }),
  };
}
