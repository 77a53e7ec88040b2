import {
  BadRequestException,
  Controller,
  Get,
  Header,
  Query,
  Req,
  UseGuards,
  type CanActivate,
  type Type,
} from '@nestjs/common';
import { MAX_SESSION_PAGE_SIZE } from '../sessions/session-query.js';
import { dashboardAssets, dashboardPage } from './dashboard-assets.js';
import type { DashboardPageConfig } from './dashboard.interfaces.js';
import { HfStatsTimelineService } from './hf-stats-timeline.service.js';
import type { HfTimeline } from './timeline.interfaces.js';
import { timelineMinutesProblem, timelineModelsProblem } from '../hf-stats.messages.js';

/** Minutes the charts show, when `timelineMinutes` allows. */
const DASHBOARD_TIMELINE_MINUTES = 60;
/** Rows of the sessions table: one page asked of the server at each refresh. */
const DASHBOARD_PAGE_SIZE = 50;

/** Everything from the module's own origin; no inline script or style, no eval, no framing. */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** `GET <path>/timeline`, `GET <path>/dashboard` and the dashboard's script and stylesheet. */
export class HfStatsDashboardControllerBase {
  /** The page at `<path>/dashboard` and at `<path>/dashboard/`: the same but for where its files are. */
  private readonly pages: Record<'dashboard/' | '', string>;
  private readonly script: string;
  private readonly style: string;

  constructor(protected readonly timeline: HfStatsTimelineService) {
    // Read from `assets/` once (the first controller of the process) and filled in here, once per module.
    const assets = dashboardAssets();
    const config: DashboardPageConfig = {
      timelineMinutes: Math.min(DASHBOARD_TIMELINE_MINUTES, timeline.maxMinutes),
      pageSize: DASHBOARD_PAGE_SIZE,
      maxPageSize: MAX_SESSION_PAGE_SIZE,
    };
    this.pages = {
      'dashboard/': dashboardPage(assets.page, config, 'dashboard/'),
      '': dashboardPage(assets.page, config, ''),
    };
    this.script = assets.script;
    this.style = assets.style;
  }

  /**
   * The page for a request: its files are relative to its URL, and `<path>/dashboard/` (the trailing
   * slash some proxies and users add) is one directory deeper than `<path>/dashboard`.
   */
  getPage(request?: { originalUrl?: string; url?: string }): string {
    const url = request?.originalUrl ?? request?.url ?? '';
    const path = url.split('?', 1)[0];
    return this.pages[path.endsWith('/') ? '' : 'dashboard/'];
  }

  /** `assets/app.js`, as it is on disk. */
  getScript(): string {
    return this.script;
  }

  /** `assets/app.css`, as it is on disk. */
  getStyle(): string {
    return this.style;
  }

  /** With the Redis store, the whole cluster's timeline (any replica answers the same). */
  getTimeline(minutes: unknown, models?: unknown): Promise<HfTimeline> {
    const maxMinutes = this.timeline.maxMinutes;
    const minuteCount = integerParameter(minutes, 1, maxMinutes);
    if (minuteCount === null) {
      // The value is not echoed: it is user input.
      throw new BadRequestException(timelineMinutesProblem(maxMinutes));
    }
    const maxModels = this.timeline.maxModelSeries;
    const modelCount = integerParameter(models, 0, maxModels);
    if (modelCount === null) {
      throw new BadRequestException(timelineModelsProblem(maxModels));
    }
    return this.timeline.fetchTimeline(minuteCount, modelCount);
  }
}

/**
 * A query parameter that must be an integer from `min` to `max`: undefined when absent, null when anything
 * else (a second copy of the parameter arrives as an array).
 */
function integerParameter(raw: unknown, min: number, max: number): number | undefined | null {
  if (raw === undefined) {
    return undefined;
  }
  const value = typeof raw === 'string' && /^[0-9]{1,7}$/.test(raw) ? Number(raw) : Number.NaN;
  return value >= min && value <= max ? value : null;
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
    override getTimeline(@Query('minutes') minutes: unknown, @Query('models') models: unknown): Promise<HfTimeline> {
      return super.getTimeline(minutes, models);
    }

    // Express also answers `dashboard/` here, and so does Fastify with `ignoreTrailingSlash`.
    @Get('dashboard')
    @Header('content-type', 'text/html; charset=utf-8')
    @Header('content-security-policy', DASHBOARD_CSP)
    @Header(...NO_STORE)
    @Header(...NOSNIFF)
    @Header('referrer-policy', 'no-referrer')
    @Header('x-frame-options', 'DENY')
    override getPage(@Req() request: { originalUrl?: string; url?: string }): string {
      return super.getPage(request);
    }

    @Get('dashboard/app.js')
    @Header('content-type', 'text/javascript; charset=utf-8')
    @Header(...NO_STORE)
    @Header(...NOSNIFF)
    override getScript(): string {
      return super.getScript();
    }

    @Get('dashboard/app.css')
    @Header('content-type', 'text/css; charset=utf-8')
    @Header(...NO_STORE)
    @Header(...NOSNIFF)
    override getStyle(): string {
      return super.getStyle();
    }
  }
  return HfStatsDashboardController;
}
