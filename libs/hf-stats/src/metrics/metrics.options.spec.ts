import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { resolveHfStatsOptions } from '../hf-stats.options.js';

describe('metrics, tracing and serverTiming options', () => {
  it('defaults to no exporter, no spans, and the Server-Timing header', () => {
    const options = resolveHfStatsOptions({});
    expect(options.metrics).toEqual({ prometheus: false, openTelemetry: false });
    expect(options.tracing).toBe(false);
    expect(options.serverTiming).toBe(true);
  });

  it('serves Prometheus under the module path by default, or at the given path', () => {
    expect(resolveHfStatsOptions({ metrics: { prometheus: true } }).metrics.prometheus).toEqual({
      path: 'hf-stats/metrics',
      registry: undefined,
    });
    expect(resolveHfStatsOptions({ path: 'internal/stats/', metrics: { prometheus: {} } }).metrics.prometheus).toEqual({
      path: 'internal/stats/metrics',
      registry: undefined,
    });
    expect(resolveHfStatsOptions({ metrics: { prometheus: { path: 'metrics' } } }).metrics.prometheus).toMatchObject({
      path: 'metrics',
    });
  });

  it('serves no route for an app-given registry unless a path is given', () => {
    const registry = new Registry();
    expect(resolveHfStatsOptions({ metrics: { prometheus: { registry } } }).metrics.prometheus).toEqual({
      path: undefined,
      registry,
    });
    expect(resolveHfStatsOptions({ metrics: { prometheus: { registry, path: 'm' } } }).metrics.prometheus).toEqual({
      path: 'm',
      registry,
    });
  });

  it.each([
    [{ metrics: 'yes' }, /invalid option "metrics": got "yes", expected an object/],
    [{ metrics: { grafana: true } }, /invalid option "metrics.grafana"/],
    [
      { metrics: { prometheus: 'on' } },
      /invalid option "metrics.prometheus": got "on", expected true, false or an object/,
    ],
    [{ metrics: { prometheus: { path: '../x' } } }, /invalid option "metrics.prometheus.path"/],
    [
      { metrics: { prometheus: { registry: {} } } },
      /invalid option "metrics.prometheus.registry": got an object, expected a prom-client Registry/,
    ],
    [{ metrics: { openTelemetry: 1 } }, /invalid option "metrics.openTelemetry": got 1, expected true or false/],
    [{ tracing: 'true' }, /invalid option "tracing"/],
    [{ serverTiming: null }, /invalid option "serverTiming": got null, expected true or false/],
  ])('rejects %j with an error naming the option', (options, message) => {
    expect(() => resolveHfStatsOptions(options as never)).toThrow(message);
  });
});
