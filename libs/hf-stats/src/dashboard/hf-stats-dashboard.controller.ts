import {
  BadRequestException,
  Controller,
  Get,
  Header,
  Query,
  UseGuards,
  type CanActivate,
  type Type,
} from '@nestjs/common';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard-page.js';
import { DASHBOARD_JS } from './dashboard-script.js';
import { DASHBOARD_CSS } from './dashboard-style.js';
import { HfStatsTimelineService } from './hf-stats-timeline.service.js';
import type { HfTimeline } from './timeline.interfaces.js';

/** `GET <path>/timeline`, `GET <path>/dashboard` and the dashboard's script and stylesheet. */
export class HfStatsDashboardControllerBase {
  constructor(protected readonly timeline: HfStatsTimelineService) {}

  getTimeline(minutes: string | undefined): HfTimeline {
    const max = this.timeline.maxMinutes;
    if (minutes === undefined) {
      return this.timeline.getTimeline();
    }
    const value = /^[0-9]{1,6}$/.test(minutes) ? Number(minutes) : Number.NaN;
    if (!(value >= 1 && value <= max)) {
      // The value is not echoed: it is user input.
      throw new BadRequestException(`minutes must be an integer from 1 to ${max} (the timelineMinutes option)`);
    }
    return this.timeline.getTimeline(value);
  }
}

// `Header` works on Express and Fastify alike; the page is small and changes with the package, so no caching.
const NO_STORE = ['cache-control', 'no-store'] as const;
const NOSNIFF = ['x-content-type-options', 'nosniff'] as const;

/**
 * The dashboard controller for a path and guards: made per module definition, beside the JSON
 * controller and with the same path and guards, so that the page is protected exactly like the figures.
 */
export function createHfStatsDashboardController(
  path: string,
  guards: Array<Type<CanActivate> | CanActivate>,
): Type<HfStatsDashboardControllerBase> {
  @Controller(path)
  @UseGuards(...guards)
  class HfStatsDashboardController extends HfStatsDashboardControllerBase {
    // Declared here so that TypeScript emits the parameter types Nest injects by.
    // oxlint-disable-next-line no-useless-constructor
    constructor(timeline: HfStatsTimelineService) {
      super(timeline);
    }

    @Get('timeline')
    override getTimeline(@Query('minutes') minutes: string | undefined): HfTimeline {
      return super.getTimeline(typeof minutes === 'string' ? minutes : minutes === undefined ? undefined : '');
    }

    @Get('dashboard')
    @Header('content-type', 'text/html; charset=utf-8')
    @Header('content-security-policy', DASHBOARD_CSP)
    @Header(...NO_STORE)
    @Header(...NOSNIFF)
    @Header('referrer-policy', 'no-referrer')
    @Header('x-frame-options', 'DENY')
    getPage(): string {
      return DASHBOARD_HTML;
    }

    @Get('dashboard/app.js')
    @Header('content-type', 'text/javascript; charset=utf-8')
    @Header(...NO_STORE)
    @Header(...NOSNIFF)
    getScript(): string {
      return DASHBOARD_JS;
    }

    @Get('dashboard/app.css')
    @Header('content-type', 'text/css; charset=utf-8')
    @Header(...NO_STORE)
    @Header(...NOSNIFF)
    getStyle(): string {
      return DASHBOARD_CSS;
    }
  }
  return HfStatsDashboardController;
}
