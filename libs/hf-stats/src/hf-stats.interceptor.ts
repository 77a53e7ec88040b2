import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable, type Observer, type Subscriber } from 'rxjs';
import { HfStatsService } from './hf-stats.service.js';
import type { HfStatsRecorder } from './recording/hf-stats.recorder.js';
import { recorderOf } from './recording/recorder-of.js';
import { RequestTiming, writeServerTiming } from './metrics/server-timing.js';
import { isRequestTimed, runInRequestContext } from './sessions/request-context.js';

/**
 * Binds each request to its session (the `x-session-id` header by default), so that the tracked
 * calls made while handling it count in that session, and writes its `Server-Timing`.
 *
 * `HfStatsModule` binds every HTTP request without it (`HfStatsHttpBinding`, cheaper: Nest builds an
 * rxjs pipeline per request for any interceptor); it binds this one globally only for `resolveSessionId`,
 * which reads the `ExecutionContext`. With `globalInterceptor: false`, use
 * `@UseInterceptors(HfStatsInterceptor)` where needed.
 */
@Injectable()
export class HfStatsInterceptor implements NestInterceptor {
  // Only the exported, global HfStatsService: `@UseInterceptors(HfStatsInterceptor)` instantiates
  // this class in the app's own modules, where nothing else of ours is visible.
  private readonly recorder: HfStatsRecorder;

  constructor(stats: HfStatsService) {
    this.recorder = recorderOf(stats) as HfStatsRecorder;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const sessionId = this.sessionIdOf(context);
    // The per-request timing exists only when the header is wanted, on HTTP requests not timed already.
    const timing =
      this.recorder.options.serverTiming && context.getType() === 'http' && !isRequestTimed(this.recorder.cls)
        ? new RequestTiming()
        : undefined;
    if (sessionId === undefined && timing === undefined) {
      return next.handle();
    }
    return new Observable((subscriber) =>
      runInRequestContext(this.recorder.cls, sessionId, timing, () =>
        next.handle().subscribe(timing === undefined ? subscriber : this.timingSubscriber(context, timing, subscriber)),
      ),
    );
  }

  /** Reads the raw session id of a request. Override to read it another way. */
  protected readSessionId(context: ExecutionContext): unknown {
    const { resolveSessionId, sessionHeader } = this.recorder.options;
    if (resolveSessionId !== undefined) {
      return resolveSessionId(context);
    }
    if (context.getType() !== 'http') {
      return undefined;
    }
    const request = context.switchToHttp().getRequest<{ headers?: Record<string, unknown> } | undefined>();
    return request?.headers?.[sessionHeader];
  }

  /** Forwards to `subscriber`, writing `Server-Timing` once, before the first value, error or completion reaches Nest. */
  private timingSubscriber(
    context: ExecutionContext,
    timing: RequestTiming,
    subscriber: Subscriber<unknown>,
  ): Partial<Observer<unknown>> {
    let written = false;
    const write = (): void => {
      if (written) {
        return;
      }
      written = true;
      try {
        writeServerTiming(context.switchToHttp().getResponse<unknown>(), timing);
      } catch (error) {
        this.recorder.reportFailure(error);
      }
    };
    return {
      next: (value) => {
        write();
        subscriber.next(value);
      },
      error: (error: unknown) => {
        write();
        subscriber.error(error);
      },
      complete: () => {
        write();
        subscriber.complete();
      },
    };
  }

  private sessionIdOf(context: ExecutionContext): string | undefined {
    try {
      return this.recorder.acceptSessionId(this.readSessionId(context));
    } catch (error) {
      this.recorder.reportFailure(error);
      return undefined;
    }
  }
}
