import { Injectable, type CanActivate, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { HfStatsService, type HfStatsSnapshot, type HfTimeline } from 'nestjs-hf-stats';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';
import { ADAPTERS, createApp, type AdapterName } from './fixtures/create-app.js';
import { createDashboardAppModule } from './fixtures/dashboard/dashboard-app.js';

@Injectable()
class AdminKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-admin-key'] === 'secret';
  }
}

/** An app that serves `/x/` like `/x`: Express does by default, Fastify with `ignoreTrailingSlash`. */
async function createTrailingSlashApp(module: new () => object, adapter: AdapterName): Promise<INestApplication> {
  if (adapter === 'express') {
    return createApp(module, adapter);
  }
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true } }),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  return app;
}

const DASHBOARD_ROUTES = [
  '/hf-stats/timeline',
  '/hf-stats/dashboard',
  '/hf-stats/dashboard/app.js',
  '/hf-stats/dashboard/app.css',
];

describe('dashboard routes', () => {
  let simulator: HfSimulator;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    simulator = await startHfSimulator({ latencyMs: 0 });
  });
  afterAll(async () => {
    await simulator.close();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  describe.each(ADAPTERS)('on %s', (adapter) => {
    it('GET /hf-stats/timeline answers per-minute figures that add up to GET /hf-stats', async () => {
      app = await createApp(createDashboardAppModule(simulator.url), adapter);
      const url = await app.getUrl();
      await request(url)
        .post('/embed')
        .set('x-session-id', 's1')
        .send({ model: 'a', texts: ['x', 'y'] })
        .expect(200);
      await request(url)
        .post('/embed')
        .send({ model: 'b', texts: ['[fail:500]'] })
        .expect(200);

      const snapshot = (await request(url).get('/hf-stats').expect(200)).body as HfStatsSnapshot;
      const timeline = (await request(url).get('/hf-stats/timeline').expect(200)).body as HfTimeline;
      expect(timeline.minutes).toBe(60);
      expect(timeline.global).toHaveLength(60);
      const sum = (key: 'callCount' | 'textCount' | 'errorCount') =>
        timeline.global.reduce((total, point) => total + point[key], 0);
      expect(sum('callCount')).toBe(snapshot.global.callCount);
      expect(sum('callCount')).toBe(2);
      expect(sum('textCount')).toBe(snapshot.global.textCount);
      expect(sum('errorCount')).toBe(1);
      expect(Object.keys(timeline.byModel).toSorted()).toEqual(['a', 'b']);
      const costs = timeline.global.map((point) => point.estimatedCostUsd ?? 0).reduce((a, b) => a + b, 0);
      expect(costs).toBeCloseTo(snapshot.global.estimatedCostUsd!, 12);

      const five = (await request(url).get('/hf-stats/timeline?minutes=5').expect(200)).body as HfTimeline;
      expect(five.global).toHaveLength(5);
    });

    it('refuses a bad minutes value with a clear 400', async () => {
      app = await createApp(createDashboardAppModule(simulator.url, { timelineMinutes: 30 }), adapter);
      for (const minutes of ['0', '31', 'abc', '-1', '1.5', '']) {
        const response = await request(await app.getUrl())
          .get(`/hf-stats/timeline?minutes=${minutes}`)
          .expect(400);
        expect(response.body.message).toBe('minutes must be an integer from 1 to 30 (the timelineMinutes option)');
      }
      const all = await request(await app.getUrl())
        .get('/hf-stats/timeline?minutes=30')
        .expect(200);
      expect(all.body.global).toHaveLength(30);
    });

    it('serves the page, its script and stylesheet under a strict Content-Security-Policy', async () => {
      app = await createApp(createDashboardAppModule(simulator.url), adapter);
      const url = await app.getUrl();
      const page = await request(url).get('/hf-stats/dashboard').expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      // Nothing inline, nothing from another origin.
      expect(page.text).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=|https?:\/\//);
      expect(page.text).toContain('<script src="dashboard/app.js" defer></script>');

      const script = await request(url).get('/hf-stats/dashboard/app.js').expect(200);
      expect(script.headers['content-type']).toMatch(/^text\/javascript/);
      expect(script.text).not.toMatch(/innerHTML|eval\(|new Function/);
      const style = await request(url).get('/hf-stats/dashboard/app.css').expect(200);
      expect(style.headers['content-type']).toMatch(/^text\/css/);
    });
    it('at <path>/dashboard/ (trailing slash) the page loads its script and stylesheet from the right place', async () => {
      // Express answers both URLs by default; Fastify answers `dashboard/` with ignoreTrailingSlash only.
      app = await createTrailingSlashApp(createDashboardAppModule(simulator.url), adapter);
      const url = await app.getUrl();
      for (const pagePath of ['/hf-stats/dashboard', '/hf-stats/dashboard/']) {
        const page = await request(url).get(pagePath).expect(200);
        const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)]
          .map((match) => match[1])
          .filter((asset) => !asset.startsWith('data:'));
        expect(assets).toHaveLength(2);
        for (const asset of assets) {
          const resolved = new URL(asset, `${url}${pagePath}`);
          const answer = await request(url).get(resolved.pathname).expect(200);
          expect(answer.headers['content-type']).toMatch(/^text\/(javascript|css)/);
        }
      }
    });

    it('the page carries the server limits, so the script never asks for more minutes than it keeps', async () => {
      app = await createApp(createDashboardAppModule(simulator.url, { timelineMinutes: 30 }), adapter);
      const page = await request(await app.getUrl())
        .get('/hf-stats/dashboard')
        .expect(200);
      expect(page.text).toMatch(/data-timeline-minutes="30"/);
      expect(page.text).toMatch(/data-max-page-size="1000"/);
      const script = await request(await app.getUrl())
        .get('/hf-stats/dashboard/app.js')
        .expect(200);
      expect(script.text).not.toMatch(/minutes=60|TIMELINE_MINUTES = 60/);
    });

    it('bounds GET /hf-stats/timeline: a week of minutes with 51 models stays a few MB, the top models kept', async () => {
      app = await createApp(
        createDashboardAppModule(simulator.url, { timelineMinutes: 10_080, maxModels: 60 }),
        adapter,
      );
      const url = await app.getUrl();
      const stats = app.get(HfStatsService);
      for (let model = 0; model < 51; model += 1) {
        // model-50 has the most calls, model-0 the fewest.
        for (let call = 0; call <= model; call += 1) {
          stats.record({ durationMs: 1, model: `model-${model}` });
        }
      }
      const response = await request(url).get('/hf-stats/timeline').expect(200);
      const timeline = response.body as HfTimeline;
      expect(timeline.global).toHaveLength(10_080);
      expect(timeline.global.reduce((sum, point) => sum + point.callCount, 0)).toBe((51 * 52) / 2);
      const points = timeline.global.length + Object.values(timeline.byModel).reduce((n, list) => n + list.length, 0);
      expect(points).toBeLessThanOrEqual(20_160);
      expect(Buffer.byteLength(response.text)).toBeLessThan(4_000_000);
      // The series kept are those with the most calls; the rest are counted, their calls are in global.
      expect(Object.keys(timeline.byModel)).toEqual(['model-50']);
      expect(timeline.omittedModelCount).toBe(50);

      // An hour: every model fits; ?models= asks for fewer, 0 for none.
      const hour = (await request(url).get('/hf-stats/timeline?minutes=60').expect(200)).body as HfTimeline;
      expect(Object.keys(hour.byModel)).toHaveLength(51);
      expect(hour.omittedModelCount).toBe(0);
      const top3 = (await request(url).get('/hf-stats/timeline?minutes=60&models=3').expect(200)).body as HfTimeline;
      expect(Object.keys(top3.byModel).toSorted()).toEqual(['model-48', 'model-49', 'model-50']);
      expect(top3.omittedModelCount).toBe(48);
      const none = (await request(url).get('/hf-stats/timeline?minutes=60&models=0').expect(200)).body as HfTimeline;
      expect(none.byModel).toEqual({});
      for (const models of ['-1', 'x', '1.5', '100000']) {
        const refused = await request(url).get(`/hf-stats/timeline?models=${models}`).expect(400);
        expect(refused.body.message).toMatch(/^models must be an integer from 0 to \d+/);
      }
    });
  });

  it('the guards protect the dashboard routes like the JSON ones', async () => {
    app = await createApp(createDashboardAppModule(simulator.url, {}, [AdminKeyGuard]), 'express');
    for (const route of ['/hf-stats', ...DASHBOARD_ROUTES]) {
      await request(await app.getUrl())
        .get(route)
        .expect(403);
      await request(await app.getUrl())
        .get(route)
        .set('x-admin-key', 'secret')
        .expect(200);
    }
  });

  it('controller: false removes the dashboard routes, path moves them', async () => {
    app = await createApp(createDashboardAppModule(simulator.url, { controller: false }), 'express');
    for (const route of DASHBOARD_ROUTES) {
      await request(await app.getUrl())
        .get(route)
        .expect(404);
    }
    await app.close();
    app = await createApp(createDashboardAppModule(simulator.url, { path: 'internal/usage' }), 'express');
    await request(await app.getUrl())
      .get('/hf-stats/dashboard')
      .expect(404);
    await request(await app.getUrl())
      .get('/internal/usage/dashboard')
      .expect(200);
    await request(await app.getUrl())
      .get('/internal/usage/timeline?minutes=2')
      .expect(200);
  });

  it('an invalid timelineMinutes fails at startup, naming the option', async () => {
    for (const timelineMinutes of [0, 1.5, 10_081]) {
      await expect(
        Test.createTestingModule({
          imports: [createDashboardAppModule(simulator.url, { timelineMinutes })],
        }).compile(),
      ).rejects.toThrow(/invalid option "timelineMinutes".*an integer from 1 to 10080/);
    }
  });
});
