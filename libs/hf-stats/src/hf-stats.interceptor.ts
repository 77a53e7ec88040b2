import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { Observable } from 'rxjs';
import { HF_STATS_OPTIONS, SESSION_ID_CLS_KEY } from './hf-stats.internal-constants.js';
import { HfStatsOptions } from './hf-stats.options.js';
import { HfStatsService } from './hf-stats.service.js';

/**
 * Binds each request to its session (the `x-session-id` header by default), so that the tracked
 * calls made while handling it count in that session. Bound to every route by `HfStatsModule`
 * unless `globalInterceptor: false`; then use `@UseInterceptors(HfStatsInterceptor)` where needed.
 */
@Injectable()
export class HfStatsInterceptor implements NestInterceptor {
  constructor(
    private readonly stats: HfStatsService,
    private readonly cls: ClsService,
    @Inject(HF_STATS_OPTIONS) private readonly options: HfStatsOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const sessionId = this.sessionIdOf(context);
    if (sessionId === undefined) {
      return next.handle();
    }
    if (this.cls.isActive()) {
      // The app runs its own CLS context for this request (ClsModule middleware, guard or interceptor).
      this.cls.set(SESSION_ID_CLS_KEY, sessionId);
      return next.handle();
    }
    return new Observable((subscriber) =>
      this.cls.run(() => {
        this.cls.set(SESSION_ID_CLS_KEY, sessionId);
        return next.handle().subscribe(subscriber);
      }),
    );
  }

  /** Reads the session id of a request. Override to read it another way. */
  protected readSessionId(context: ExecutionContext): unknown {
    if (this.options.resolveSessionId !== undefined) {
      return this.options.resolveSessionId(context);
    }
    if (context.getType() !== 'http') {
      return undefined;
    }
    const request = context.switchToHttp().getRequest<{ headers?: Record<string, unknown> } | undefined>();
    return request?.headers?.[this.options.sessionHeader];
  }

  private sessionIdOf(context: ExecutionContext): string | undefined {
    try {
      return this.stats.acceptSessionId(this.readSessionId(context));
    } catch (error) {
      this.stats.reportFailure(error);
      return undefined;
    }
  }
}
