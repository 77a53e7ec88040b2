import {
  BadRequestException,
  Controller,
  Get,
  NotFoundException,
  Param,
  Query,
  UseGuards,
  type CanActivate,
  type Type,
} from '@nestjs/common';
import { UNKNOWN_SESSION } from './hf-stats.messages.js';
import { HfStatsService } from './hf-stats.service.js';
import type { HfStatsRecorder } from './recording/hf-stats.recorder.js';
import { recorderOf } from './recording/recorder-of.js';
import { fetchSession, fetchSessionPage, fetchSnapshot } from './recording/stats-reader.js';
import type { HfSessionPageQuery } from './sessions/session-page.js';
import { isSessionQueryProblem, sessionQueryOf } from './sessions/session-query.js';
import type { HfSessionPage, HfSessionStats, HfStatsSnapshot } from './stats/hf-stats.interfaces.js';

/**
 * `GET /hf-stats` (global figures and one page of sessions), `GET /hf-stats/sessions` (a page of sessions)
 * and `GET /hf-stats/sessions/:id`, mounted at the configured path. Both listings take `?limit=` (default
 * 100, at most 1,000), `?active=true|false`, `?prefix=` (of the session id) and `?cursor=` (a `nextCursor`).
 */
export class HfStatsControllerBase {
  private readonly recorder: HfStatsRecorder;

  constructor(protected readonly stats: HfStatsService) {
    this.recorder = recorderOf(stats) as HfStatsRecorder;
  }

  /** With the Redis store, the page of sessions is read from the whole cluster (any replica answers the same). */
  getStats(query: Record<string, unknown> = {}): Promise<HfStatsSnapshot> {
    return fetchSnapshot(this.recorder, this.sessionQuery(query));
  }

  getSessions(query: Record<string, unknown> = {}): Promise<HfSessionPage> {
    return fetchSessionPage(this.recorder, this.sessionQuery(query));
  }

  async getSession(sessionId: string): Promise<HfSessionStats> {
    const session = typeof sessionId === 'string' ? await fetchSession(this.recorder, sessionId) : undefined;
    if (session === undefined) {
      // The id is not echoed: it is user input.
      throw new NotFoundException(UNKNOWN_SESSION);
    }
    return session;
  }

  protected sessionQuery(query: Record<string, unknown>): HfSessionPageQuery {
    const resolved = sessionQueryOf(query, this.recorder.options.sessionIdMaxLength);
    if (isSessionQueryProblem(resolved)) {
      // The message names the parameter and what is allowed, never the value: it is user input.
      throw new BadRequestException(resolved.problem);
    }
    return resolved;
  }
}

/**
 * The controller class for a path and guards. Made per module definition because a controller's
 * path and guards are fixed when its class is decorated.
 */
export function createHfStatsController(
  path: string,
  guards: Array<Type<CanActivate> | CanActivate>,
): Type<HfStatsControllerBase> {
  @Controller(path)
  @UseGuards(...guards)
  class HfStatsController extends HfStatsControllerBase {
    // Declared here so that TypeScript emits the parameter types Nest injects by.
    // oxlint-disable-next-line no-useless-constructor
    constructor(stats: HfStatsService) {
      super(stats);
    }

    @Get()
    override getStats(@Query() query: Record<string, unknown>): Promise<HfStatsSnapshot> {
      return super.getStats(query);
    }

    @Get('sessions')
    override getSessions(@Query() query: Record<string, unknown>): Promise<HfSessionPage> {
      return super.getSessions(query);
    }

    @Get('sessions/:id')
    override getSession(@Param('id') sessionId: string): Promise<HfSessionStats> {
      return super.getSession(sessionId);
    }
  }
  return HfStatsController;
}
