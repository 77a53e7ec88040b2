import {
  Inject,
  Logger,
  Module,
  Optional,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { ClsModule } from 'nestjs-cls';
import { createHfStatsController } from './hf-stats.controller.js';
import { HfStatsInterceptor } from './hf-stats.interceptor.js';
import { HfStatsExplorer } from './hf-stats.explorer.js';
import { HfStatsHttpBinding } from './hf-stats.http-binding.js';
import { HF_STATS_OPTIONS } from './hf-stats.internal-constants.js';
import { asyncStaticOption, unguardedRoutes } from './hf-stats.messages.js';
import {
  HfStatsSettings,
  resolveHfStatsOptions,
  type HfStatsModuleAsyncOptions,
  type HfStatsModuleOptions,
  type HfStatsStaticOptions,
} from './hf-stats.options.js';
import { HfStatsScheduler } from './hf-stats.scheduler.js';
import { HfStatsService } from './hf-stats.service.js';
import { HfRouterPricing } from './stats/pricing/hf-router-pricing.service.js';
import { HfStatsRecorder } from './recording/hf-stats.recorder.js';
import { HfStatsServerTiming } from './metrics/server-timing.js';
import { HfStatsLogService } from './logging/hf-stats-log.service.js';
import { createHfStatsStore } from './stores/create-hf-stats-store.js';
import { HfStatsStore } from './stores/hf-stats-store.js';
import { HfStatsMetricsModule } from './metrics/hf-stats-metrics.module.js';
import { createHfStatsDashboardController } from './dashboard/hf-stats-dashboard.controller.js';
import { HfStatsTimelineService } from './dashboard/hf-stats-timeline.service.js';
import { HF_INFERENCE_CLIENT, inferenceClientProvider } from './clients/inference-client/inference-client.provider.js';

/**
 * Hugging Face call statistics for a NestJS app. Import `HfStatsModule.forRoot()` once, in the root
 * module; it is global, so `HfStatsService` can be injected anywhere. A second import in the same app
 * fails at startup (the copies would split the figures); several apps in one process count apart.
 */
@Module({})
export class HfStatsModule implements NestModule, OnModuleInit {
  // Optional: a bare `imports: [HfStatsModule]` (without forRoot) provides nothing, as before.
  constructor(
    @Optional() @Inject(HF_STATS_OPTIONS) private readonly options?: HfStatsSettings,
    @Optional() private readonly binding?: HfStatsHttpBinding,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /**
   * Binds every HTTP request to its session (`globalInterceptor`), before the app's routes are registered: from
   * the HTTP server's pipeline, unless `resolveSessionId` needs the interceptor's `ExecutionContext`.
   */
  configure(consumer: MiddlewareConsumer): void {
    const { options, binding } = this;
    if (options === undefined || binding === undefined || !bindsHttpDirectly(options)) {
      return;
    }
    if (!binding.bind(this.adapterHost?.httpAdapter)) {
      consumer.apply(binding.middleware).forRoutes('{*path}');
    }
  }

  /** In production, warns once when the module's routes have no guards and are not declared public. */
  onModuleInit(): void {
    const { options } = this;
    if (
      options === undefined ||
      process.env.NODE_ENV !== 'production' ||
      options.publicRoutes ||
      options.guards.length > 0
    ) {
      return;
    }
    const prometheusPath = options.metrics.prometheus === false ? undefined : options.metrics.prometheus.path;
    const paths = [
      ...(options.controller ? [options.path] : []),
      ...(prometheusPath === undefined ? [] : [prometheusPath]),
    ];
    if (paths.length > 0) {
      new Logger('HfStats').warn(unguardedRoutes(paths));
    }
  }

  /** Configures the module with options known up front. Invalid options fail at startup. */
  static forRoot(options: HfStatsModuleOptions = {}): DynamicModule {
    return HfStatsModule.define(options, {
      provide: HF_STATS_OPTIONS,
      useFactory: () => resolveHfStatsOptions(options),
    });
  }

  /**
   * Configures the module from a factory (for example over `ConfigService`). `controller`, `path`,
   * `guards`, `globalInterceptor` and `metrics` shape the module itself, so they are given here, beside
   * `useFactory`; the factory returning one of them fails at startup rather than being ignored.
   */
  static forRootAsync(options: HfStatsModuleAsyncOptions): DynamicModule {
    const { imports = [], inject = [], useFactory, ...staticOptions } = options;
    return HfStatsModule.define(
      staticOptions,
      {
        provide: HF_STATS_OPTIONS,
        inject,
        useFactory: async (...args: never[]) => {
          const dynamic: unknown = await useFactory(...args);
          if (dynamic !== null && typeof dynamic === 'object') {
            // Plain JavaScript, or a cast, can return them: they would be ignored, and the endpoint served unguarded.
            const misplaced = STATIC_OPTION_KEYS.find((key) => key in dynamic);
            if (misplaced !== undefined) {
              throw asyncStaticOption(misplaced);
            }
          }
          return resolveHfStatsOptions({ ...(dynamic as HfStatsModuleOptions), ...pickStatic(staticOptions) });
        },
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
      HfRouterPricing,
      HfStatsRecorder,
      HfStatsServerTiming,
      HfStatsService,
      HfStatsInterceptor,
      HfStatsHttpBinding,
      HfStatsLogService,
      HfStatsScheduler,
      HfStatsTimelineService,
      HfStatsExplorer,
      inferenceClientProvider,
    ];
    if (shape.globalInterceptor) {
      // Decided once the options are resolved (`resolveSessionId` may come from forRootAsync's factory); null: none.
      providers.push({
        provide: APP_INTERCEPTOR,
        inject: [HF_STATS_OPTIONS, HfStatsInterceptor],
        useFactory: (settings: HfStatsSettings, interceptor: HfStatsInterceptor) =>
          settings.globalInterceptor && !bindsHttpDirectly(settings) ? interceptor : null,
      });
    }
    return {
      module: HfStatsModule,
      global: true,
      // forFeature provides ClsService without mounting a CLS context, so it never clashes with the app's ClsModule.forRoot().
      imports: [
        ClsModule.forFeature(),
        DiscoveryModule,
        HfStatsMetricsModule.register(shape.metrics, shape.guards),
        ...imports,
      ],
      controllers: shape.controller
        ? [
            createHfStatsController(shape.path, shape.guards),
            createHfStatsDashboardController(shape.path, shape.guards),
          ]
        : [],
      providers,
      // The recorder is exported for the metrics module; apps can't name it (index.ts doesn't export it).
      exports: [
        HfStatsService,
        HfStatsRecorder,
        HfStatsInterceptor,
        HfStatsTimelineService,
        HfRouterPricing,
        HF_INFERENCE_CLIENT,
      ],
    };
  }
}

/** Whether requests are bound by `HfStatsHttpBinding`, not the global interceptor: only `resolveSessionId` needs it. */
function bindsHttpDirectly(settings: HfStatsSettings): boolean {
  return settings.globalInterceptor && settings.resolveSessionId === undefined;
}

const STATIC_OPTION_KEYS = ['controller', 'path', 'guards', 'globalInterceptor', 'metrics'] as const;

function pickStatic(options: HfStatsStaticOptions): HfStatsStaticOptions {
  const { controller, path, guards, globalInterceptor, metrics } = options;
  return Object.fromEntries(
    Object.entries({ controller, path, guards, globalInterceptor, metrics }).filter(([, value]) => value !== undefined),
  ) as HfStatsStaticOptions;
}
