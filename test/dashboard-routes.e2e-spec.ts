import { Injectable, type CanActivate, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { HfStatsSnapshot, HfTimeline } from 'nestjs-hf-stats';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { createDashboardAppModule } from './fixtures/dashboard/dashboard-app.js';

@Injectable()
class AdminKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-admin-key'] === 'secret';
  }
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
