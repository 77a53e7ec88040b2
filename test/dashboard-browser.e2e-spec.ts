import type { INestApplication } from '@nestjs/common';
import { HfStatsService, type HfStatsSnapshot } from 'nestjs-hf-stats';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';
import { createApp } from './fixtures/create-app.js';
import { createDashboardAppModule } from './fixtures/dashboard/dashboard-app.js';
import { browserSkipReason, launchChromium } from './fixtures/dashboard/browser.js';
import { deleteKeys, isRedisReachable, SHARED_REDIS_URL, uniquePrefix } from './fixtures/redis/redis-support.js';

const OUTPUT_DIR = resolve(import.meta.dirname, '..', 'test-output');
/** Shown as text, or it would set `window.__pwned`. */
const HOSTILE_MODEL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

const skipReason = browserSkipReason();
/** The Redis store's case needs the shared Redis; the others run without it. */
const redisEnabled = await isRedisReachable();
if (skipReason !== undefined) {
  console.warn(`dashboard-browser.e2e-spec.ts skipped: ${skipReason}`);
}

interface OpenedPage {
  page: Page;
  /** Console errors, page errors and failed requests, CSP violations included. */
  problems: string[];
  /** Every URL the page asked for. */
  requested: string[];
}

/** One tracked call through the fixture app's route. */
async function embed(url: string, sessionId: string | undefined, model: string, texts: string[]): Promise<void> {
  const post = request(url).post('/embed');
  if (sessionId !== undefined) {
    post.set('x-session-id', sessionId);
  }
  await post.send({ model, texts }).expect(200);
}

describe.skipIf(skipReason !== undefined)('the dashboard in headless Chromium', () => {
  let simulator: HfSimulator;
  let browser: Browser;
  let app: INestApplication | undefined;
  let opened: OpenedPage | undefined;

  beforeAll(async () => {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    [simulator, browser] = await Promise.all([startHfSimulator({ latencyMs: 0 }), launchChromium()]);
  });
  afterAll(async () => {
    await Promise.all([browser?.close(), simulator?.close()]);
  });
  afterEach(async () => {
    await opened?.page.close();
    opened = undefined;
    await app?.close();
    app = undefined;
  });

  const open = async (
    url: string,
    { fakeClock = false, pagePath = '/hf-stats/dashboard' } = {},
  ): Promise<OpenedPage> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    if (fakeClock) {
      // The page's 5 s refresh timer runs on this clock: the spec moves it, instead of waiting.
      await page.clock.install();
    }
    const problems: string[] = [];
    const requested: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (failed) => problems.push(`request failed: ${failed.url()}`));
    page.on('request', (sent) => requested.push(sent.url()));
    opened = { page, problems, requested };
    const response = await page.goto(`${url}${pagePath}`);
    expect(response?.status()).toBe(200);
    // The script marks each refresh it rendered.
    await page.waitForSelector('body[data-loaded]');
    return opened;
  };

  it('shows the figures of GET /hf-stats, sorts and filters sessions, and keeps a hostile model name as text', async () => {
    app = await createApp(createDashboardAppModule(simulator.url), 'express');
    const url = await app.getUrl();
    // Known traffic: three sessions of different sizes, a failure, a call without a session, a hostile model name.
    for (let i = 0; i < 5; i += 1) {
      await embed(url, 'alpha', 'BAAI/bge-small-en-v1.5', ['a', 'b', 'c']);
    }
    await embed(url, 'beta', 'BAAI/bge-small-en-v1.5', ['x']);
    await embed(url, 'beta', 'sentence-transformers/all-MiniLM-L6-v2', ['[fail:500]']);
    for (let i = 0; i < 3; i += 1) {
      await embed(url, 'gamma', 'sentence-transformers/all-MiniLM-L6-v2', ['y', 'z']);
    }
    await embed(url, 'delta', HOSTILE_MODEL, ['q']);
    await embed(url, undefined, 'BAAI/bge-small-en-v1.5', ['no session']);
    const snapshot = (await request(url).get('/hf-stats').expect(200)).body as HfStatsSnapshot;
    expect(snapshot.global.callCount).toBe(12);
    expect(snapshot.global.textCount).toBe(15 + 2 + 6 + 1 + 1);

    const { page, problems } = await open(url);

    // Headline figures: the raw value of each card is the JSON's.
    const figure = (name: string) => page.getAttribute(`[data-figure="${name}"]`, 'data-value');
    const { global } = snapshot;
    expect(await figure('calls')).toBe(String(global.callCount));
    expect(await figure('texts')).toBe(String(global.textCount));
    expect(await figure('tokens')).toBe(String(global.inputTokens + global.outputTokens));
    expect(await figure('errors')).toBe(String(global.errorCount));
    expect(await figure('cost')).toBe(String(global.estimatedCostUsd));
    expect(await figure('p95')).toBe(String(global.p95TimeMs));
    expect(await page.textContent('[data-figure="calls"]')).toBe('12');
    expect(await page.textContent('[data-figure="errors"]')).toBe('1');
    expect(await page.isHidden('#empty')).toBe(true);
    // The charts have bars: the calls of this minute.
    expect(await page.locator('#chart-calls rect.bar-calls').count()).toBeGreaterThan(0);
    expect(await page.locator('#chart-calls rect.bar-errors').count()).toBeGreaterThan(0);

    // Sessions: one row each, active first (all are active here).
    const ids = () =>
      page.locator('#sessions tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-session')));
    expect(new Set(await ids())).toEqual(new Set(snapshot.sessions.map((session) => session.sessionId)));
    expect(await ids()).toHaveLength(snapshot.sessions.length);
    await page.click('button[data-sort="callCount"]');
    expect(await ids()).toEqual(['alpha', 'gamma', 'beta', 'delta']);
    expect(await page.getAttribute('button[data-sort="callCount"]', 'aria-sort')).toBe('descending');
    await page.click('button[data-sort="callCount"]');
    expect(await ids()).toEqual(['delta', 'beta', 'gamma', 'alpha']);
    await page.click('button[data-sort="textCount"]');
    expect(await ids()).toEqual(['alpha', 'gamma', 'beta', 'delta']);
    // The filter is a session-id prefix, searched by the server.
    await page.fill('#filter', 'alp');
    await expect.poll(ids).toEqual(['alpha']);
    await page.fill('#filter', 'nobody');
    await expect.poll(ids).toEqual([]);
    expect(await page.isVisible('#sessions-empty')).toBe(true);
    await page.fill('#filter', '');
    await expect.poll(async () => (await ids()).length).toBe(4);

    // A click opens the session's figures and per-model split.
    await page.click('#sessions tbody tr[data-session="beta"]');
    expect(await page.textContent('#detail-id')).toBe('beta');
    const detailModels = await page.locator('#detail-models tbody td:first-child').allTextContents();
    expect(detailModels.toSorted()).toEqual(
      Object.keys(snapshot.sessions.find((s) => s.sessionId === 'beta')!.byModel).toSorted(),
    );

    // The hostile model name is text: in the table as typed, no element made of it, nothing run.
    const models = await page.locator('#models tbody td:first-child').allTextContents();
    expect(models).toContain(HOSTILE_MODEL);
    expect(await page.locator('#models img, #models script, img').count()).toBe(0);
    expect(await page.evaluate(() => Reflect.get(globalThis, '__pwned'))).toBeUndefined();
    expect(await page.locator('#errors tbody td').first().textContent()).toBe('failed: 500');
    // One row per provider that served the calls, as GET /hf-stats counts them.
    const providers = await page.locator('#providers tbody td:first-child').allTextContents();
    expect(providers.toSorted()).toEqual(Object.keys(snapshot.global.byProvider).toSorted());
    expect(providers.length).toBeGreaterThan(0);

    await page.screenshot({ path: resolve(OUTPUT_DIR, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('shows a clear empty state before any call, without a broken chart', async () => {
    app = await createApp(createDashboardAppModule(simulator.url), 'express');
    const { page, problems } = await open(await app.getUrl());
    expect(await page.isVisible('#empty')).toBe(true);
    expect(await page.textContent('#empty')).toContain('No Hugging Face calls recorded yet');
    expect(await page.textContent('[data-figure="calls"]')).toBe('0');
    expect(await page.textContent('[data-figure="p95"]')).toBe('–');
    for (const chart of ['#chart-calls', '#chart-p95', '#chart-cost']) {
      expect(await page.textContent(`${chart} .nodata`)).toBe('No calls in the last 60 minutes');
      expect(await page.locator(`${chart} rect, ${chart} path`).count()).toBe(0);
    }
    expect(await page.textContent('#session-count')).toBe('(none yet)');
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'dashboard-empty.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('refreshes every 5 s, and says so on the page when a refresh is refused', async () => {
    app = await createApp(createDashboardAppModule(simulator.url), 'express');
    const url = await app.getUrl();
    const { page, problems } = await open(url, { fakeClock: true });
    expect(await page.textContent('[data-figure="calls"]')).toBe('0');
    await embed(url, 'late', 'm', ['a', 'b']);
    await page.clock.runFor(5_000);
    await page.waitForSelector('[data-figure="calls"][data-value="1"]');
    expect(await page.textContent('[data-figure="texts"]')).toBe('2');

    await page.route('**/hf-stats/timeline*', (route) => route.fulfill({ status: 403, body: '{}' }));
    await page.clock.runFor(5_000);
    await page.waitForSelector('#status.error');
    expect(await page.textContent('#status')).toMatch(/^Cannot refresh: HTTP 403 from \/hf-stats\/timeline/);
    // The last figures stay on screen.
    expect(await page.textContent('[data-figure="calls"]')).toBe('1');
    expect(problems).toEqual([
      'console error: Failed to load resource: the server responded with a status of 403 (Forbidden)',
    ]);
  });

  it('pages the sessions on the server: next and previous, counts from the server, never the whole list', async () => {
    app = await createApp(createDashboardAppModule(simulator.url), 'express');
    const url = await app.getUrl();
    const stats = app.get(HfStatsService);
    for (let i = 0; i < 120; i += 1) {
      stats.record({ sessionId: `user-${String(i).padStart(3, '0')}`, durationMs: 2, texts: 1, model: 'm' });
    }
    for (let i = 0; i < 20; i += 1) {
      stats.endSession(`user-${String(i).padStart(3, '0')}`);
    }
    const { page, problems, requested } = await open(url);
    const ids = () =>
      page.locator('#sessions tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-session')));
    const expected = (await request(url).get('/hf-stats/sessions?limit=1000').expect(200)).body.sessions.map(
      (session: { sessionId: string }) => session.sessionId,
    ) as string[];
    const size = Number(await page.getAttribute('body', 'data-page-size'));
    expect(size).toBe(50);

    expect(await ids()).toEqual(expected.slice(0, 50));
    expect(await page.textContent('#session-count')).toBe('(100 active, 120 retained)');
    expect(await page.textContent('#page-info')).toBe('1–50 of 120');
    expect(await page.isDisabled('#page-prev')).toBe(true);
    await page.click('#page-next');
    await expect.poll(ids).toEqual(expected.slice(50, 100));
    expect(await page.textContent('#page-info')).toBe('51–100 of 120');
    await page.click('#page-next');
    await expect.poll(ids).toEqual(expected.slice(100));
    expect(await page.isDisabled('#page-next')).toBe(true);
    await page.click('#page-prev');
    await expect.poll(ids).toEqual(expected.slice(50, 100));

    // The state filter and the prefix search are the server's, and start again at the first page.
    await page.selectOption('#state', 'ended');
    await expect.poll(ids).toEqual(expected.slice(100));
    expect(await page.textContent('#page-info')).toBe('1–20 of 20');
    await page.selectOption('#state', 'all');
    await page.fill('#filter', 'user-11');
    const prefixed = (await request(url).get('/hf-stats/sessions?prefix=user-11').expect(200)).body.sessions.map(
      (session: { sessionId: string }) => session.sessionId,
    ) as string[];
    expect(prefixed.toSorted()).toEqual(Array.from({ length: 10 }, (_, k) => `user-11${k}`));
    await expect.poll(ids).toEqual(prefixed);

    // A session off the page shown keeps its details open: they come from GET sessions/:id.
    await page.click('#sessions tbody tr[data-session="user-115"]');
    expect(await page.textContent('#detail-id')).toBe('user-115');
    await page.fill('#filter', 'user-00');
    await expect.poll(async () => (await ids()).length).toBe(10);
    await page.waitForSelector('#detail:not([hidden])');
    expect(await page.textContent('#detail-id')).toBe('user-115');

    // Every listing request was bounded.
    const listings = requested.filter((asked) => /\/hf-stats(\/sessions)?(\?|$)/.test(asked));
    expect(listings.length).toBeGreaterThan(0);
    for (const asked of listings) {
      expect(new URL(asked).searchParams.get('limit')).toBe('50');
    }
    expect(problems).toEqual([]);

    // Once the session is gone (here: reset), its details close and the page stops asking for it.
    stats.reset();
    await page.fill('#filter', '');
    await page.waitForSelector('#detail[hidden]', { state: 'attached' });
    expect(await page.textContent('#session-count')).toBe('(none yet)');
    const asked = requested.length;
    await page.fill('#filter', 'x');
    await expect.poll(() => requested.length).toBeGreaterThanOrEqual(asked + 2);
    expect(requested.slice(asked).some((sent) => sent.includes('/sessions/'))).toBe(false);
    // The 404 of the last look for it (twice if a timed refresh ran at the same moment).
    expect(new Set(problems)).toEqual(
      new Set(['console error: Failed to load resource: the server responded with a status of 404 (Not Found)']),
    );
  });

  it('loads at <path>/dashboard/ (trailing slash) and with timelineMinutes below 60', async () => {
    app = await createApp(createDashboardAppModule(simulator.url, { timelineMinutes: 15 }), 'express');
    const url = await app.getUrl();
    await embed(url, 's', 'm', ['a']);
    const { page, problems } = await open(url, { pagePath: '/hf-stats/dashboard/' });
    expect(await page.textContent('[data-figure="calls"]')).toBe('1');
    expect(await page.locator('#chart-calls rect.bar-calls').count()).toBe(1);
    expect(await page.getAttribute('#status', 'class')).toBe('status');
    expect(problems).toEqual([]);
  });

  it('applies its whole stylesheet: every rule of app.css parses, its colours reach the page', async () => {
    app = await createApp(createDashboardAppModule(simulator.url), 'express');
    const url = await app.getUrl();
    const { page, problems } = await open(url);
    const css = (await request(url).get('/hf-stats/dashboard/app.css').expect(200)).text;
    // A rule the browser cannot parse is dropped silently: count the top-level rules both ways.
    const written = css.replaceAll(/\/\*[\s\S]*?\*\//g, '').match(/^[^\s}][^{]*\{/gm) ?? [];
    const parsed = await page.evaluate('document.styleSheets[0].cssRules.length');
    expect(parsed).toBe(written.length);
    // The colours come from the :root custom properties, light or dark.
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(['rgb(246, 247, 249)', 'rgb(16, 20, 27)']).toContain(background);
    expect(problems).toEqual([]);
  });

  it.runIf(redisEnabled)(
    'with the Redis store, lists and charts the sessions and calls another replica served',
    async () => {
      const prefix = uniquePrefix();
      // listedSessions: 1, so that what a flush reads back (the most recent session) cannot be what lists them.
      const store = {
        type: 'redis',
        url: SHARED_REDIS_URL,
        keyPrefix: prefix,
        flushIntervalMs: 60_000,
        listedSessions: 1,
      } as const;
      const other = await createApp(createDashboardAppModule(simulator.url, { store }), 'express');
      try {
        app = await createApp(createDashboardAppModule(simulator.url, { store }), 'express');
        const otherUrl = await other.getUrl();
        await embed(otherUrl, 'served-elsewhere', 'BAAI/bge-small-en-v1.5', ['a', 'b']);
        await embed(otherUrl, 'served-elsewhere-too', 'BAAI/bge-small-en-v1.5', ['c']);
        await other.get(HfStatsService).flush();
        await app.get(HfStatsService).flush();

        const { page, problems } = await open(await app.getUrl());
        const ids = (): Promise<Array<string | null>> =>
          page.locator('#sessions tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-session')));
        // Most recently active first.
        expect(await ids()).toEqual(['served-elsewhere-too', 'served-elsewhere']);
        await page.click('#sessions tbody tr[data-session="served-elsewhere"]');
        expect(await page.textContent('#detail-id')).toBe('served-elsewhere');
        // The charts are the cluster's: this replica made no call.
        expect(await page.locator('#chart-calls rect.bar-calls').count()).toBeGreaterThan(0);
        expect(problems).toEqual([]);
      } finally {
        await other.close();
        await deleteKeys(SHARED_REDIS_URL, prefix);
      }
    },
  );

  it('runs no inline script injected into the page: its CSP refuses it', async () => {
    app = await createApp(createDashboardAppModule(simulator.url), 'express');
    const { page, problems } = await open(await app.getUrl());
    // A string, evaluated in the page: the specs compile without the DOM types.
    const ran = await page.evaluate(`(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inline = 1';
      document.body.appendChild(script);
      return window.__inline;
    })()`);
    expect(ran).toBeUndefined();
    expect(problems.some((problem) => problem.includes('Content Security Policy'))).toBe(true);
  });
});
