import { Controller, Get, NotFoundException, Param, UseGuards, type CanActivate, type Type } from '@nestjs/common';
import { HfStatsService } from './hf-stats.service.js';
import type { HfSessionStats, HfStatsSnapshot } from './stats/hf-stats.interfaces.js';

/** `GET /hf-stats` and `GET /hf-stats/sessions/:id`, mounted at the configured path. */
export class HfStatsControllerBase {
  constructor(protected readonly stats: HfStatsService) {}

  getStats(): HfStatsSnapshot {
    return this.stats.getSnapshot();
  }

  getSession(sessionId: string): HfSessionStats {
    const session = this.stats.getSessionStats(sessionId);
    if (session === undefined) {
      // The id is not echoed: it is user input.
      throw new NotFoundException('Unknown session');
    }
    return session;
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
    override getStats(): HfStatsSnapshot {
      return super.getStats();
    }

    @Get('sessions/:id')
    override getSession(@Param('id') sessionId: string): HfSessionStats {
      return super.getSession(sessionId);
    }
  }
  return HfStatsController;
}
