import { Module, type CanActivate, type DynamicModule, type Type } from '@nestjs/common';
import { createHfStatsMetricsController } from './hf-stats-metrics.controller.js';
import { HfStatsOpenTelemetryService } from './hf-stats-open-telemetry.service.js';
import { HfStatsPrometheusService } from './hf-stats-prometheus.service.js';
import type { HfMetricsSettings } from './metrics.options.js';

/**
 * The exporters (Prometheus, OpenTelemetry metrics and spans) and the metrics route. Imported by
 * `HfStatsModule`; its services use only the global `HfStatsService`. Internal.
 */
@Module({})
export class HfStatsMetricsModule {
  static register(metrics: HfMetricsSettings, guards: Array<Type<CanActivate> | CanActivate>): DynamicModule {
    const path = metrics.prometheus === false ? undefined : metrics.prometheus.path;
    return {
      module: HfStatsMetricsModule,
      controllers: path === undefined ? [] : [createHfStatsMetricsController(path, guards)],
      providers: [HfStatsPrometheusService, HfStatsOpenTelemetryService],
    };
  }
}
