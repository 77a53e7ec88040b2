import { Injectable, type HttpServer } from '@nestjs/common';
import { RequestTiming } from './metrics/server-timing.js';
import { HfStatsRecorder } from './recording/hf-stats.recorder.js';
import { runInRequestContext } from './sessions/request-context.js';

/** A Node.js-style `next`, Express's or Fastify's hook `done`. */
type Next = (error?: unknown) => void;

interface HeadersOf {
  headers?: Record<string, unknown>;
}

/** The part of a Fastify instance the binding uses. */
interface FastifyHooks {
  addHook(name: 'preHandler', hook: (request: HeadersOf, reply: { raw: unknown }, done: Next) => void): unknown;
}

/** The part of an Express app the binding uses. */
interface ExpressUse {
  use(handler: (request: HeadersOf, response: unknown, next: Next) => void): unknown;
}

/**
 * Binds each HTTP request to its session (the `sessionHeader`) and its `Server-Timing`, as `HfStatsInterceptor`
 * does, but from the HTTP server's own request pipeline: an interceptor costs every route of the app an rxjs
 * pipeline and an execution context per request, even one that makes no tracked call. On Express, a middleware
 * added before the app's own (after Nest's body parsers); on Fastify, a `preHandler` hook (after body parsing,
 * whose stream events would lose an async context opened earlier). Either runs the rest of the request in the
 * nestjs-cls store (`runInRequestContext`), opened only when there is a session or a header to time.
 */
@Injectable()
export class HfStatsHttpBinding {
  private readonly reportFailure = (error: unknown): void => this.recorder.reportFailure(error);

  constructor(private readonly recorder: HfStatsRecorder) {}

  /** The handler of a Nest middleware, for HTTP adapters other than Express and Fastify. */
  readonly middleware = (request: HeadersOf, response: unknown, next: Next): void => {
    this.enter(request, response, next);
  };

  /** Binds every request of an Express or Fastify app; false for any other adapter (then use `middleware`). */
  bind(adapter: HttpServer | undefined): boolean {
    const type = adapter?.getType?.();
    if (type === 'express') {
      (adapter!.getInstance() as ExpressUse).use(this.middleware);
      return true;
    }
    if (type === 'fastify') {
      (adapter!.getInstance() as FastifyHooks).addHook('preHandler', (request, reply, done) =>
        this.enter(request, reply.raw, done),
      );
      return true;
    }
    return false;
  }

  private enter(request: HeadersOf, response: unknown, next: Next): void {
    const { serverTiming, sessionHeader } = this.recorder.options;
    let sessionId: string | undefined;
    try {
      sessionId = this.recorder.acceptSessionId(request.headers?.[sessionHeader]);
    } catch (error) {
      this.recorder.reportFailure(error);
    }
    if (sessionId === undefined && !serverTiming) {
      next();
      return;
    }
    const timing = serverTiming ? new RequestTiming(response, this.reportFailure) : undefined;
    runInRequestContext(this.recorder.cls, sessionId, timing, next);
  }
}
