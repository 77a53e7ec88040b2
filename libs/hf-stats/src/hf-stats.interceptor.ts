import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { HfStatsService } from './hf-stats.service.js';

/**
 * Binds each request to its session (the `x-session-id` header by default), so that the tracked
 * calls made while handling it count in that session. Bound to every route by `HfStatsModule`
 * unless `globalInterceptor: false`; then use `@UseInterceptors(HfStatsInterceptor)` where needed.
 */
@Injectable()
export class HfStatsInterceptor implements NestInterceptor {
  // Only the exported, global HfStatsService: `@UseInterceptors(HfStatsInterceptor)` instantiates
  // this class in the app's own modules, where nothing else of ours is visible.
  constructor(private readonly stats: HfStatsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const sessionId = this.sessionIdOf(context);
    if (sessionId === undefined) {
      return next.handle();
    }
    return new Observable((subscriber) => this.stats.withSession(sessionId, () => next.handle().subscribe(subscriber)));
  }

  /** Reads the raw session id of a request. Override to read it another way. */
  protected readSessionId(context: ExecutionContext): unknown {
    const { resolveSessionId, sessionHeader } = this.stats.options;
    if (resolveSessionId !== undefined) {
      return resolveSessionId(context);
    }
    if (context.getType() !== 'http') {
      return undefined;
    }
    const request = context.switchToHttp().getRequest<{ headers?: Record<string, unknown> } | undefined>();
    return request?.headers?.[sessionHeader];
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
