// A consumer of the packed types, compiled by pack-smoke.mjs with `tsc --strict` and `skipLibCheck: false`
// in an app that has none of the optional peers (ioredis, prom-client, @opentelemetry/api), once as ESM
// (.mts) and once as CommonJS (.cts). It touches every public option and every returned shape, so a
// type from an absent peer, or a shape only inferred, fails here. Not run: only type-checked.
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import {
  HfBudgetExceededError,
  HfStatsControllerBase,
  HfStatsModule,
  HfStatsService,
  TrackHFCall,
  createHfStatsFetch,
  type HfPrometheusRegistry,
  type HfRedisClient,
  type HfSessionStats,
  type HfStats,
  type HfStatsModuleOptions,
  type HfStatsSnapshot,
} from 'nestjs-hf-stats';

@Injectable()
export class Embeddings {
  @TrackHFCall<[{ model: string; inputs: string[] }]>({
    operation: 'feature-extraction',
    texts: (request) => request.inputs.length,
  })
  async embed(request: { model: string; inputs: string[] }): Promise<number[][]> {
    return request.inputs.map(() => [0]);
  }
}

@Controller('usage')
export class UsageController extends HfStatsControllerBase {
  // Not useless in Nest: the parameter types of this class's own constructor tell DI what to inject.
  // oxlint-disable-next-line no-useless-constructor
  constructor(stats: HfStatsService) {
    super(stats);
  }

  @Get()
  summary(): { calls: number; partial: boolean } {
    const snapshot: HfStatsSnapshot = this.stats.getSnapshot();
    // `partial` is declared on the snapshot itself (only the Redis store sets it).
    return { calls: snapshot.global.callCount, partial: snapshot.partial ?? false };
  }
}

// What an app passes without installing ioredis's types here: its own client, described by the library.
declare const redisClient: HfRedisClient;
declare const registry: HfPrometheusRegistry;

const options: HfStatsModuleOptions = {
  store: { type: 'redis', client: redisClient, keyPrefix: 'app:' },
  metrics: { prometheus: { registry }, openTelemetry: true },
  tracing: true,
  budget: { maxCalls: 100, onExceed: 'throw' },
  pricing: [{ model: 'BAAI/*', perCall: 0.0001 }],
  log: { path: 'logs/hf.log' },
};

@Module({
  imports: [HfStatsModule.forRoot(options)],
  controllers: [UsageController],
  providers: [Embeddings],
})
export class AppModule {}

export const asyncModule = HfStatsModule.forRootAsync({
  useFactory: async () => ({ store: { type: 'redis' as const, url: 'redis://127.0.0.1:6379' } }),
});

export function read(stats: HfStatsService): [HfStats, HfSessionStats | undefined, HfSessionStats[]] {
  stats.record({ durationMs: 12, texts: 2, model: 'm' });
  return [stats.getGlobalStats(), stats.getSessionStats('task-1'), stats.listSessions({ active: true, limit: 10 })];
}

export const trackedFetch: typeof fetch = createHfStatsFetch(fetch, { computeTimeUnit: 'ms' });

export function isBudgetRefusal(error: unknown): boolean {
  return error instanceof HfBudgetExceededError;
}
