import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ClsModule } from 'nestjs-cls';
import { createHfStatsController } from './hf-stats.controller.js';
import { HfStatsInterceptor } from './hf-stats.interceptor.js';
import { HF_STATS_OPTIONS } from './hf-stats.internal-constants.js';
import {
  resolveHfStatsOptions,
  type HfStatsModuleAsyncOptions,
  type HfStatsModuleOptions,
  type HfStatsStaticOptions,
} from './hf-stats.options.js';
import { HfStatsScheduler } from './hf-stats.scheduler.js';
import { HfStatsService } from './hf-stats.service.js';
import { HfStatsLogService } from './logging/hf-stats-log.service.js';
import { createHfStatsStore } from './stores/create-hf-stats-store.js';
import { HfStatsStore } from './stores/hf-stats-store.js';
import { HfStatsMetricsModule } from './metrics/hf-stats-metrics.module.js';
import { createHfStatsDashboardController } from './dashboard/hf-stats-dashboard.controller.js';
import { HfStatsTimelineService } from './dashboard/hf-stats-timeline.service.js';

/**
 * Hugging Face call statistics for a NestJS app. Import `HfStatsModule.forRoot()` once, in the root
 * module; it is global, so `HfStatsService` can be injected anywhere.
 */
@Module({})
export class HfStatsModule {
  /** Configures the module with options known up front. Invalid options fail at startup. */
  static forRoot(options: HfStatsModuleOptions = {}): DynamicModule {
    return HfStatsModule.define(options, {
      provide: HF_STATS_OPTIONS,
      useFactory: () => resolveHfStatsOptions(options),
    });
  }

  /**
   * Configures the module from a factory (for example over `ConfigService`). `controller`, `path`,
   * `guards` and `globalInterceptor` shape the module itself, so they are given here, not by the factory.
   */
  static forRootAsync(options: HfStatsModuleAsyncOptions): DynamicModule {
    const { imports = [], inject = [], useFactory, ...staticOptions } = options;
    return HfStatsModule.define(
      staticOptions,
      {
        provide: HF_STATS_OPTIONS,
        inject,
        useFactory: async (...args: never[]) =>
          resolveHfStatsOptions({ ...(await useFactory(...args)), ...pickStatic(staticOptions) }),
      },
      imports,
    );
  }

  private static define(
    options: HfStatsStaticOptions,
    optionsProvider: Provider,
    imports: DynamicModule['imports'] = [],
  ): DynamicModule {
    // Validates the options that shape the module now; the rest are validated by the provider at startup.
    const shape = resolveHfStatsOptions(pickStatic(options));
    const providers: Provider[] = [
      optionsProvider,
      { provide: HfStatsStore, inject: [HF_STATS_OPTIONS], useFactory: createHfStatsStore },
      HfStatsService,
      HfStatsInterceptor,
      HfStatsLogService,
      HfStatsScheduler,
      HfStatsTimelineService,
    ];
    if (shape.globalInterceptor) {
      providers.push({ provide: APP_INTERCEPTOR, useExisting: HfStatsInterceptor });
    }
    return {
      module: HfStatsModule,
      global: true,
      // forFeature provides ClsService without mounting a CLS context, so it never clashes with the app's ClsModule.forRoot().
      imports: [ClsModule.forFeature(), HfStatsMetricsModule.register(shape.metrics, shape.guards), ...imports],
      controllers: shape.controller
        ? [
            createHfStatsController(shape.path, shape.guards),
            createHfStatsDashboardController(shape.path, shape.guards),
          ]
        : [],
      providers,
      exports: [HfStatsService, HfStatsInterceptor, HfStatsTimelineService],
    };
  }
}

function pickStatic(options: HfStatsStaticOptions): HfStatsStaticOptions {
  const { controller, path, guards, globalInterceptor, metrics } = options;
  return Object.fromEntries(
    Object.entries({ controller, path, guards, globalInterceptor, metrics }).filter(([, value]) => value !== undefined),
  ) as HfStatsStaticOptions;
}
