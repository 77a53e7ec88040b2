import type { INestApplication } from '@nestjs/common';
import { HfStatsService, type HfSessionPage, type HfSessionStats, type HfStatsSnapshot } from 'nestjs-hf-stats';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { createDashboardAppModule } from './fixtures/dashboard/dashboard-app.js';
import { deleteKeys, redisTestsEnabled, SHARED_REDIS_URL, uniquePrefix } from './fixtures/redis/redis-support.js';

const redisEnabled = await redisTestsEnabled('sessions-paging.e2e-spec');

/** The order the routes promise: active first, then the most recently active, ties by id. */
function listingOrder(a: HfSessionStats, b: HfSessionStats): number {
  if (a.active !== b.active) {
    return a.active ? -1 : 1;
  }
  const byActivity = Date.parse(b.lastActivityAt) - Date.parse(a.lastActivityAt);
  if (byActivity !== 0) {
    return byActivity;
  }
  return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
}

/** Every page of `route` (with `query`), following nextCursor; at most 1,000 pages. */
async function allPages(url: string, route: string, query: Record<string, string>): Promise<HfSessionPage[]> {
  const pages: HfSessionPage[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(cursor === null ? query : { ...query, cursor });
    const page = (await request(url).get(`${route}?${params.toString()}`).expect(200)).body as HfSessionPage;
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 1000);
  return pages;
}

/** `count` sessions with one call each (in three models), `ended` of them ended; in id order. */
function seed(stats: HfStatsService, count: number, ended: number): void {
  for (let i = 0; i < count; i += 1) {
    const sessionId = `s-${String(i).padStart(5, '0')}`;
    stats.record({ sessionId, durationMs: 1 + (i % 7), texts: 1, model: `model-${i % 3}` });
    if (i < ended) {
      stats.endSession(sessionId);
    }
  }
}

describe('paged session listing', () => {
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
    it('GET /hf-stats answers the first 100 sessions with the counts; ?limit and ?active select', async () => {
      app = await createApp(createDashboardAppModule(simulator.url), adapter);
      const url = await app.getUrl();
      seed(app.get(HfStatsService), 250, 40);

      const snapshot = (await request(url).get('/hf-stats').expect(200)).body as HfStatsSnapshot;
      expect(snapshot.global.callCount).toBe(250);
      expect(snapshot.sessions).toHaveLength(100);
      expect(snapshot).toMatchObject({ sessionCount: 250, activeSessionCount: 210, matchCount: 250 });
      expect(typeof snapshot.nextCursor).toBe('string');
      expect(snapshot.sessions.every((session) => session.active)).toBe(true);

      const ten = (await request(url).get('/hf-stats?limit=10').expect(200)).body as HfStatsSnapshot;
      expect(ten.sessions.map((s) => s.sessionId)).toEqual(snapshot.sessions.slice(0, 10).map((s) => s.sessionId));

      const ended = (await request(url).get('/hf-stats/sessions?active=false&limit=1000').expect(200))
        .body as HfSessionPage;
      expect(ended.sessions).toHaveLength(40);
      expect(ended.sessions.every((session) => !session.active)).toBe(true);
      expect(ended).toMatchObject({ matchCount: 40, sessionCount: 250, activeSessionCount: 210, nextCursor: null });

      const active = (await request(url).get('/hf-stats/sessions?active=true&limit=1000').expect(200))
        .body as HfSessionPage;
      expect(active.sessions).toHaveLength(210);
      expect(active.sessions.every((session) => session.active)).toBe(true);

      const prefixed = (await request(url).get('/hf-stats/sessions?prefix=s-001').expect(200)).body as HfSessionPage;
      expect(prefixed.sessions.map((s) => s.sessionId).toSorted()).toEqual(
        Array.from({ length: 100 }, (_, i) => `s-${String(100 + i).padStart(5, '0')}`),
      );
      expect(prefixed.matchCount).toBe(100);

      // One session by id still answers in full.
      const one = (await request(url).get('/hf-stats/sessions/s-00077').expect(200)).body as HfSessionStats;
      expect(one).toMatchObject({ sessionId: 's-00077', active: true, callCount: 1 });
    });

    it('pages through every session once, in order, following nextCursor', async () => {
      app = await createApp(createDashboardAppModule(simulator.url), adapter);
      const url = await app.getUrl();
      const stats = app.get(HfStatsService);
      seed(stats, 257, 57);
      const expected = stats
        .listSessions()
        .toSorted(listingOrder)
        .map((s) => s.sessionId);
      expect(expected).toHaveLength(257);

      const pages = await allPages(url, '/hf-stats/sessions', { limit: '20' });
      expect(pages).toHaveLength(13);
      expect(pages.slice(0, -1).every((page) => page.sessions.length === 20)).toBe(true);
      expect(pages.at(-1)!.nextCursor).toBeNull();
      expect(pages.flatMap((page) => page.sessions.map((s) => s.sessionId))).toEqual(expected);

      // GET /hf-stats pages the same way, global figures on each page.
      const viaSnapshot = await allPages(url, '/hf-stats', { limit: '100' });
      expect(viaSnapshot.flatMap((page) => page.sessions.map((s) => s.sessionId))).toEqual(expected);
    });

    it('keyset paging stays stable while sessions are added and used between pages', async () => {
      app = await createApp(createDashboardAppModule(simulator.url), adapter);
      const url = await app.getUrl();
      const stats = app.get(HfStatsService);
      seed(stats, 300, 0);
      const before = stats.listSessions().map((s) => s.sessionId);

      const first = (await request(url).get('/hf-stats/sessions?limit=100').expect(200)).body as HfSessionPage;
      const seen = first.sessions.map((s) => s.sessionId);
      // Between two pages: 50 new sessions, and 10 of the listed ones used again (both move to the front).
      for (let i = 0; i < 50; i += 1) {
        stats.record({ sessionId: `new-${i}`, durationMs: 1 });
      }
      for (const sessionId of seen.slice(0, 10)) {
        stats.record({ sessionId, durationMs: 1 });
      }
      const rest = await allPages(url, '/hf-stats/sessions', { limit: '100', cursor: first.nextCursor! });
      const listed = [...seen, ...rest.flatMap((page) => page.sessions.map((s) => s.sessionId))];
      // No session twice (offset paging would repeat 50), and every session that existed is listed.
      expect(new Set(listed).size).toBe(listed.length);
      expect(listed.toSorted()).toEqual(before.toSorted());
    });

    it('refuses a bad limit, active, prefix or cursor with a 400 that does not echo it', async () => {
      app = await createApp(createDashboardAppModule(simulator.url), adapter);
      const url = await app.getUrl();
      seed(app.get(HfStatsService), 3, 0);
      const bad = [
        'limit=0',
        'limit=1001',
        'limit=abc',
        'limit=1.5',
        'limit=-1',
        'limit=',
        'limit=1&limit=2',
        'active=yes',
        'active=',
        'cursor=not-a-cursor',
        'cursor=%F0%9F%92%A9SECRET',
        `cursor=${'A'.repeat(5000)}`,
        `cursor=${Buffer.from('[1,"x","y"]').toString('base64url')}`,
        `cursor=${Buffer.from('{"__proto__":1}').toString('base64url')}`,
        `prefix=${'p'.repeat(200)}`,
      ];
      for (const route of ['/hf-stats', '/hf-stats/sessions']) {
        for (const query of bad) {
          const response = await request(url).get(`${route}?${query}`).expect(400);
          const message = String(response.body.message);
          expect(message).toMatch(/^(limit|active|cursor|prefix) /);
          expect(message).not.toMatch(/abc|yes|SECRET|not-a-cursor|AAAA|ppp|1001|1\.5/);
        }
      }
      const limits = (await request(url).get('/hf-stats/sessions?limit=1001').expect(400)).body.message;
      expect(limits).toBe('limit must be an integer from 1 to 1000');
    });

    it('sessions that used many models make shorter pages, never an answer over 1 MB', async () => {
      app = await createApp(createDashboardAppModule(simulator.url), adapter);
      const url = await app.getUrl();
      const stats = app.get(HfStatsService);
      // 150 sessions, each with 51 models of 200-character names: about 30 KB of JSON per session.
      for (let i = 0; i < 150; i += 1) {
        for (let m = 0; m < 51; m += 1) {
          stats.record({ sessionId: `heavy-${i}`, durationMs: 1, model: `${'m'.repeat(195)}-${m}` });
        }
      }
      const snapshot = await request(url).get('/hf-stats').expect(200);
      expect(Buffer.byteLength(snapshot.text)).toBeLessThan(1_000_000);
      const first = snapshot.body as HfStatsSnapshot;
      expect(first.sessions.length).toBeGreaterThan(0);
      expect(first.sessions.length).toBeLessThan(100);
      expect(first.nextCursor).not.toBeNull();
      // The budget follows the limit: 6 KB per session asked for.
      const small = await request(url).get('/hf-stats/sessions?limit=20').expect(200);
      expect(Buffer.byteLength(small.text)).toBeLessThan(20 * 6 * 1024 + 1024);
      expect((small.body as HfSessionPage).sessions.length).toBeLessThan(20);
      // A session larger than the whole budget still gets a page of its own.
      const one = (await request(url).get('/hf-stats/sessions?limit=1').expect(200)).body as HfSessionPage;
      expect(one.sessions).toHaveLength(1);
      const pages = await allPages(url, '/hf-stats/sessions', { limit: '20' });
      const listed = pages.flatMap((page) => page.sessions.map((s) => s.sessionId));
      expect(listed).toEqual(
        stats
          .listSessions()
          .toSorted(listingOrder)
          .map((s) => s.sessionId),
      );
      expect(listed).toHaveLength(150);
    });

    it('with 10,000 sessions (the default maxSessions) the default answer stays under 1 MB', async () => {
      app = await createApp(createDashboardAppModule(simulator.url), adapter);
      const url = await app.getUrl();
      seed(app.get(HfStatsService), 10_000, 2_000);

      const response = await request(url).get('/hf-stats').expect(200);
      expect(Buffer.byteLength(response.text)).toBeLessThan(1_000_000);
      const body = response.body as HfStatsSnapshot;
      expect(body).toMatchObject({ sessionCount: 10_000, activeSessionCount: 8_000 });
      expect(body.sessions).toHaveLength(100);

      const largest = await request(url).get('/hf-stats/sessions?limit=1000').expect(200);
      expect((largest.body as HfSessionPage).sessions).toHaveLength(1000);
      expect(Buffer.byteLength(largest.text)).toBeLessThan(10_000_000);
    });
  });
});

describe.runIf(redisEnabled)('paged session listing with the Redis store', () => {
  let simulator: HfSimulator;
  const apps: INestApplication[] = [];
  const prefix = uniquePrefix();

  beforeAll(async () => {
    simulator = await startHfSimulator({ latencyMs: 0 });
  });
  afterAll(async () => {
    for (const app of apps) {
      await app.close();
    }
    await deleteKeys(SHARED_REDIS_URL, prefix);
    await simulator.close();
  });

  it('pages the cluster sessions (read back from Redis and buffered here) in the same order, each once', async () => {
    const store = { type: 'redis', url: SHARED_REDIS_URL, keyPrefix: prefix, listedSessions: 1000 } as const;
    for (let i = 0; i < 2; i += 1) {
      apps.push(await createApp(createDashboardAppModule(simulator.url, { store }), i === 0 ? 'express' : 'fastify'));
    }
    const [a, b] = apps.map((app) => app.get(HfStatsService));
    for (let i = 0; i < 60; i += 1) {
      a.record({ sessionId: `a-${i}`, durationMs: 1, model: 'm' });
      b.record({ sessionId: `b-${i}`, durationMs: 1, model: 'm' });
    }
    a.endSession('a-0');
    await a.flush();
    await b.flush();
    // Buffered on b, not yet flushed: listed too.
    b.record({ sessionId: 'b-late', durationMs: 1 });

    const url = await apps[1].getUrl();
    const pages = await allPages(url, '/hf-stats/sessions', { limit: '25' });
    const listed = pages.flatMap((page) => page.sessions);
    expect(listed.map((s) => s.sessionId)).toEqual(listed.toSorted(listingOrder).map((s) => s.sessionId));
    expect(new Set(listed.map((s) => s.sessionId)).size).toBe(121);
    expect(listed.at(-1)).toMatchObject({ sessionId: 'a-0', active: false });
    expect(pages[0]).toMatchObject({ sessionCount: 121, activeSessionCount: 120, matchCount: 121 });
    expect(listed.find((s) => s.sessionId === 'a-7')).toMatchObject({ callCount: 1 });

    const onlyA = (await request(url).get('/hf-stats/sessions?prefix=a-&active=true&limit=1000').expect(200))
      .body as HfSessionPage;
    expect(onlyA.sessions).toHaveLength(59);
    expect(onlyA.matchCount).toBe(59);
  });
});
