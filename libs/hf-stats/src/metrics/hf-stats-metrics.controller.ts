import { Controller, Get, Header, UseGuards, type CanActivate, type Type } from '@nestjs/common';
import { HfStatsPrometheusService, PROMETHEUS_CONTENT_TYPE } from './hf-stats-prometheus.service.js';

/**
 * `GET /hf-stats/metrics` (or `metrics.prometheus.path`): the Prometheus text format, behind the
 * module's `guards`. Made per module definition, like the stats controller.
 */
export function createHfStatsMetricsController(
  path: string,
  guards: Array<Type<CanActivate> | CanActivate>,
): Type<unknown> {
  @Controller(path)
  @UseGuards(...guards)
  class HfStatsMetricsController {
    constructor(private readonly prometheus: HfStatsPrometheusService) {}

    @Get()
    @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
    @Header('Cache-Control', 'no-store')
    metrics(): Promise<string> {
      return this.prometheus.metricsText();
    }
  }
  return HfStatsMetricsController;
}
