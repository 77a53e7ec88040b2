import fs from 'node:fs';
import { Logger, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdminKeyGuard } from './fixtures/admin-key.guard.js';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { createWorkAppModule } from './fixtures/work.app.js';

const README = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const GUARD_SOURCE = fs.readFileSync(new URL('./fixtures/admin-key.guard.ts', import.meta.url), 'utf8');

describe('the README guard (AdminKeyGuard), over real HTTP', () => {
  it('is the guard the README shows', () => {
    expect(README).toContain(GUARD_SOURCE.trim());
  });

  describe.each(ADAPTERS)('on %s', (adapter) => {
    let app: INestApplication | undefined;

    beforeEach(async () => {
      app = await createApp(createWorkAppModule({ guards: [AdminKeyGuard] }), adapter);
    });

    afterEach(async () => {
      vi.unstubAllEnvs();
      await app?.close();
      app = undefined;
    });

    it.each([undefined, ''])('refuses every request when ADMIN_KEY is %j', async (key) => {
      vi.stubEnv('ADMIN_KEY', key);
      const url = await app!.getUrl();
      await request(url).get('/hf-stats').expect(403);
      await request(url).get('/hf-stats').set('x-admin-key', '').expect(403);
      await request(url).get('/hf-stats').set('x-admin-key', 'undefined').expect(403);
      await request(url).get('/hf-stats/dashboard').expect(403);
    });

    it('lets in the configured key only', async () => {
      vi.stubEnv('ADMIN_KEY', 's3cret-key');
      const url = await app!.getUrl();
      await request(url).get('/hf-stats').set('x-admin-key', 's3cret-key').expect(200);
      await request(url).get('/hf-stats/sessions/none').set('x-admin-key', 's3cret-key').expect(404);
      for (const wrong of ['s3cret-kez', 's3cret', 's3cret-key-and-more', 'S3CRET-KEY', 's3cret-keY']) {
        await request(url).get('/hf-stats').set('x-admin-key', wrong).expect(403);
      }
      await request(url).get('/hf-stats').expect(403);
    });
  });
});

describe('the startup warning for unguarded routes in production', () => {
  let app: INestApplication | undefined;
  let warn: ReturnType<typeof vi.spyOn>;

  beforeEach(() => {
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    warn.mockRestore();
    await app?.close();
    app = undefined;
  });

  const unguardedWarnings = () =>
    warn.mock.calls.filter((call: unknown[]) => String(call[0]).includes('with no guards of HfStatsModule'));

  it('warns once, naming the routes, when NODE_ENV is production and the module has no guards', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    app = await createApp(createWorkAppModule({ metrics: { prometheus: true } }), 'express');
    expect(unguardedWarnings()).toHaveLength(1);
    expect(String(unguardedWarnings()[0]?.[0])).toContain('/hf-stats, /hf-stats/metrics serve the statistics');
    expect(String(unguardedWarnings()[0]?.[0])).toContain('publicRoutes: true');
  });

  it.each<[string, string | undefined, Parameters<typeof createWorkAppModule>[0]]>([
    ['the module has guards', 'production', { guards: [AdminKeyGuard] }],
    ['the routes are declared public', 'production', { publicRoutes: true }],
    ['there are no routes', 'production', { controller: false }],
    ['NODE_ENV is not production', 'development', {}],
    ['NODE_ENV is unset', undefined, {}],
  ])('stays silent when %s', async (_case, nodeEnv, options) => {
    vi.stubEnv('NODE_ENV', nodeEnv);
    app = await createApp(createWorkAppModule(options), 'express');
    expect(unguardedWarnings()).toHaveLength(0);
  });

  it('refuses a publicRoutes that is not a boolean', async () => {
    await expect(createApp(createWorkAppModule({ publicRoutes: 'yes' as never }), 'express')).rejects.toThrow(
      'nestjs-hf-stats: invalid option "publicRoutes": got "yes", expected true or false.',
    );
  });
});
