import { Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createHfStatsFetch, HfStatsModule, HfStatsService, TrackHFCall } from 'nestjs-hf-stats';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { FakeHfClient } from './fixtures/fake-hf.client.js';
import { createWorkAppModule } from './fixtures/work.app.js';

const ONE_CALL = { calls: [['a', 'b']] };

describe.each(ADAPTERS)('several apps in one process (%s)', (adapter) => {
  const apps: INestApplication[] = [];

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  const boot = async (): Promise<INestApplication> => {
    const app = await createApp(createWorkAppModule(), adapter);
    apps.push(app);
    return app;
  };

  it("counts each app's calls in its own module only", async () => {
    const first = await boot();
    const second = await boot();
    await request(first.getHttpServer()).post('/work').set('x-session-id', 'one').send(ONE_CALL).expect(201);
    await request(second.getHttpServer()).post('/work').set('x-session-id', 'two').send(ONE_CALL).expect(201);
    await request(second.getHttpServer()).post('/work').set('x-session-id', 'two').send(ONE_CALL).expect(201);
    expect(first.get(HfStatsService).getGlobalStats().callCount).toBe(1);
    expect(second.get(HfStatsService).getGlobalStats().callCount).toBe(2);
    expect(first.get(HfStatsService).getSessionStats('one')?.textCount).toBe(2);
    expect(first.get(HfStatsService).getSessionStats('two')).toBeUndefined();
  });

  it('keeps counting in one app after the app created last is closed', async () => {
    const first = await boot();
    const last = await boot();
    await last.close();
    apps.splice(apps.indexOf(last), 1);
    await request(first.getHttpServer()).post('/work').set('x-session-id', 'one').send(ONE_CALL).expect(201);
    expect(first.get(HfStatsService).getSessionStats('one')?.callCount).toBe(1);
    expect(first.get(HfStatsService).getGlobalStats().callCount).toBe(1);
  });

  it('keeps counting in the app created last after the first one is closed', async () => {
    const first = await boot();
    const last = await boot();
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    await request(last.getHttpServer()).post('/work').set('x-session-id', 'two').send(ONE_CALL).expect(201);
    expect(last.get(HfStatsService).getSessionStats('two')?.callCount).toBe(1);
  });

  it('counts a call on an instance not made by Nest in the most recent app still running', async () => {
    const first = await boot();
    const last = await boot();
    const outside = new FakeHfClient();
    await outside.featureExtraction({ model: 'm', inputs: ['x'] });
    expect(last.get(HfStatsService).getGlobalStats().callCount).toBe(1);
    await last.close();
    apps.splice(apps.indexOf(last), 1);
    await outside.featureExtraction({ model: 'm', inputs: ['x'] });
    expect(first.get(HfStatsService).getGlobalStats().callCount).toBe(1);
  });
});

describe('the tracked fetch with several apps in one process', () => {
  let simulator: HfSimulator;
  const apps: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    simulator = await startHfSimulator();
  });

  afterAll(async () => {
    await simulator.close();
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  const FETCH = Symbol('FETCH');

  @Injectable()
  class Caller {
    constructor(@Inject(FETCH) private readonly trackedFetch: typeof fetch) {}

    @TrackHFCall({ model: 'tracked' })
    async tracked(url: string): Promise<number> {
      return (await this.trackedFetch(url)).status;
    }

    async untracked(url: string): Promise<number> {
      return (await this.trackedFetch(url)).status;
    }
  }

  const boot = async () => {
    @Module({
      imports: [HfStatsModule.forRoot({ log: false, controller: false })],
      providers: [
        Caller,
        {
          provide: FETCH,
          inject: [HfStatsService],
          useFactory: (stats: HfStatsService) => createHfStatsFetch(fetch, { stats }),
        },
      ],
    })
    class FetchAppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [FetchAppModule] }).compile();
    await moduleRef.init();
    apps.push(moduleRef);
    return moduleRef;
  };

  it("counts each app's attempts, tracked and untracked, in its own module", async () => {
    const first = await boot();
    const second = await boot();
    const url = `${simulator.url}/health`;
    await first.get(Caller).tracked(url);
    await first.get(Caller).untracked(url);
    await first.get(Caller).untracked(url);
    await second.get(Caller).untracked(url);
    expect(first.get(HfStatsService).getSnapshot()).toMatchObject({ untrackedAttemptCount: 2 });
    expect(first.get(HfStatsService).getGlobalStats()).toMatchObject({ callCount: 1, attemptCount: 1 });
    expect(second.get(HfStatsService).getSnapshot()).toMatchObject({ untrackedAttemptCount: 1 });
    await second.close();
    apps.splice(apps.indexOf(second), 1);
    await first.get(Caller).untracked(url);
    expect(first.get(HfStatsService).getSnapshot()).toMatchObject({ untrackedAttemptCount: 3 });
  });
});

describe('HfStatsModule defined more than once, or with module-shaping options in the factory', () => {
  it('refuses forRoot() imported twice in one app at startup', async () => {
    @Module({ imports: [HfStatsModule.forRoot({ log: false })], providers: [FakeHfClient], exports: [FakeHfClient] })
    class FeatureModule {}

    @Module({ imports: [HfStatsModule.forRoot({ log: false }), FeatureModule] })
    class TwiceModule {}

    const moduleRef = await Test.createTestingModule({ imports: [TwiceModule] }).compile();
    await expect(moduleRef.init()).rejects.toThrow(/HfStatsModule is imported 2 times in one app/);
    await moduleRef.close();
  });

  it.each(['guards', 'path', 'metrics', 'controller', 'globalInterceptor'])(
    'forRootAsync: refuses "%s" returned by the factory, naming where it belongs',
    async (field) => {
      const value = {
        guards: [],
        path: 'x',
        metrics: { prometheus: true },
        controller: false,
        globalInterceptor: false,
      }[field];
      @Module({
        imports: [
          // Plain JavaScript (or a cast) can return any field.
          HfStatsModule.forRootAsync({ useFactory: (): object => ({ log: false, [field]: value }) }),
        ],
      })
      class AsyncModule {}

      await expect(Test.createTestingModule({ imports: [AsyncModule] }).compile()).rejects.toThrow(
        `nestjs-hf-stats: forRootAsync: "${field}" shapes the module, so the factory can't give it: pass it to HfStatsModule.forRootAsync({ ${field}, useFactory }) beside useFactory.`,
      );
    },
  );
});
