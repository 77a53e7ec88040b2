import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXAMPLE_HF_PRICES } from './hf-pricing.js';
import { loadBudgetMaxCalls, loadHfStatsOptions } from './hf-stats.config.js';

describe('loadHfStatsOptions', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prices calls with the example table and keeps the default log, with no budget and no log line by default', () => {
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const options = loadHfStatsOptions({});
    expect(options).toEqual({ log: true, pricing: [...EXAMPLE_HF_PRICES] });
    expect(options.pricing).not.toBe(EXAMPLE_HF_PRICES);
    expect(log).not.toHaveBeenCalled();
  });

  it('sets a per-session budget in warn mode from HF_STATS_BUDGET_MAX_CALLS, and says so at startup', () => {
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const options = loadHfStatsOptions({ HF_STATS_BUDGET_MAX_CALLS: ' 25 ' });
    expect(options.budget).toEqual({ maxCalls: 25, onExceed: 'warn' });
    expect(log).toHaveBeenCalledOnce();
    expect(log.mock.calls[0]?.[0]).toContain('HF_STATS_BUDGET_MAX_CALLS=25');
  });
});

describe('loadBudgetMaxCalls', () => {
  it('treats an unset or empty variable as no budget', () => {
    expect(loadBudgetMaxCalls({})).toBeUndefined();
    expect(loadBudgetMaxCalls({ HF_STATS_BUDGET_MAX_CALLS: '  ' })).toBeUndefined();
  });

  it.each(['0', '-3', '2.5', '1e3', 'ten', '99999999999999999999'])('refuses %j, naming the variable', (value) => {
    expect(() => loadBudgetMaxCalls({ HF_STATS_BUDGET_MAX_CALLS: value })).toThrow(
      `HF_STATS_BUDGET_MAX_CALLS must be a positive integer (calls per session), got "${value}".`,
    );
  });
});
