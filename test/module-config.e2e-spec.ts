import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Post,
  UseInterceptors,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ClsModule, ClsService } from 'nestjs-cls';
import { HfStatsInterceptor, HfStatsModule, HfStatsService } from 'nestjs-hf-stats';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from './fixtures/create-app.js';
import { FakeHfClient } from './fixtures/fake-hf.client.js';
import { createWorkAppModule, WorkController, WorkService } from './fixtures/work.app.js';

const ONE_CALL = { calls: [['a', 'b']] };

@Injectable()
class AdminKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-admin-key'] === 'secret';
  }
}

describe('module configuration', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const boot = async (module: new () => object): Promise<string> => {
    app = await createApp(module, 'express');
    return app.getUrl();
  };

  it('controller: false removes the endpoints, the statistics still work', async () => {
    const url = await boot(createWorkAppModule({ controller: false }));
    await request(url).post('/work').set('x-session-id', 's').send(ONE_CALL).expect(201);
    await request(url).get('/hf-stats').expect(404);
    expect(app!.get(HfStatsService).getSessionStats('s')?.callCount).toBe(1);
  });

  it('path moves the endpoints', async () => {
    const url = await boot(createWorkAppModule({ path: 'internal/hf-usage' }));
    await request(url).post('/work').set('x-session-id', 's').send(ONE_CALL).expect(201);
    await request(url).get('/hf-stats').expect(404);
    const response = await request(url).get('/internal/hf-usage').expect(200);
    expect(response.body.global.callCount).toBe(1);
    await request(url).get('/internal/hf-usage/sessions/s').expect(200);
  });

  it('guards protect the endpoints', async () => {
    const url = await boot(createWorkAppModule({ guards: [AdminKeyGuard] }));
    await request(url).get('/hf-stats').expect(403);
    await request(url).get('/hf-stats/sessions/s').expect(403);
    await request(url).get('/hf-stats').set('x-admin-key', 'secret').expect(200);
  });

  it('sessionHeader and resolveSessionId choose where the session comes from', async () => {
    let url = await boot(createWorkAppModule({ sessionHeader: 'X-Task-Id' }));
    await request(url).post('/work').set('x-task-id', 'task').set('x-session-id', 'ignored').send(ONE_CALL).expect(201);
    expect(
      app!
        .get(HfStatsService)
        .listSessions()
        .map((session) => session.sessionId),
    ).toEqual(['task']);
    await app!.close();

    url = await boot(
      createWorkAppModule({
        resolveSessionId: (context) => context.switchToHttp().getRequest<{ query: { task?: string } }>().query.task,
      }),
    );
    await request(url).post('/work?task=from-query').send(ONE_CALL).expect(201);
    expect(
      app!
        .get(HfStatsService)
        .listSessions()
        .map((session) => session.sessionId),
    ).toEqual(['from-query']);
  });

  it('globalInterceptor: false leaves binding to the app (@UseInterceptors)', async () => {
    @Controller('bound')
    @UseInterceptors(HfStatsInterceptor)
    class BoundController {
      constructor(private readonly client: FakeHfClient) {}

      @Post()
      async run(): Promise<void> {
        await this.client.featureExtraction({ model: 'm', inputs: ['x'] });
      }
    }

    @Module({
      imports: [HfStatsModule.forRoot({ globalInterceptor: false, log: false })],
      controllers: [WorkController, BoundController],
      providers: [FakeHfClient, WorkService],
    })
    class ManualModule {}

    const url = await boot(ManualModule);
    await request(url).post('/work').set('x-session-id', 'unbound').send(ONE_CALL).expect(201);
    await request(url).post('/bound').set('x-session-id', 'bound').expect(201);
    const stats = app!.get(HfStatsService);
    expect(stats.getSessionStats('unbound')).toBeUndefined();
    expect(stats.getSessionStats('bound')?.callCount).toBe(1);
    expect(stats.getGlobalStats().callCount).toBe(2);
  });

  it('works the same in an app that runs its own ClsModule.forRoot(), whose context values survive', async () => {
    @Controller('cls')
    class ClsController {
      constructor(
        private readonly client: FakeHfClient,
        private readonly cls: ClsService,
        private readonly stats: HfStatsService,
      ) {}

      @Get()
      async run(): Promise<{ user: string | undefined; session: string | undefined }> {
        await this.client.featureExtraction({ model: 'm', inputs: ['x'] });
        return { user: this.cls.get<string>('user'), session: this.stats.currentSessionId() };
      }
    }

    @Module({
      imports: [
        ClsModule.forRoot({
          global: true,
          middleware: {
            mount: true,
            setup: (cls, req: { headers: Record<string, string> }) => cls.set('user', req.headers['x-user']),
          },
        }),
        HfStatsModule.forRoot({ log: false }),
      ],
      controllers: [ClsController],
      providers: [FakeHfClient],
    })
    class AppWithClsModule {}

    const url = await boot(AppWithClsModule);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request(url)
          .get('/cls')
          .set('x-user', `user-${i}`)
          .set('x-session-id', `session-${i % 4}`),
      ),
    );
    responses.forEach((response, i) => {
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ user: `user-${i}`, session: `session-${i % 4}` });
    });
    const stats = app!.get(HfStatsService);
    expect(stats.listSessions().map((session) => session.callCount)).toEqual([5, 5, 5, 5]);
  });

  it('forRootAsync takes its options from injected providers', async () => {
    const CONFIG = Symbol('CONFIG');

    @Module({ providers: [{ provide: CONFIG, useValue: { header: 'x-job-id' } }], exports: [CONFIG] })
    class ConfigModule {}

    @Injectable()
    class Probe {
      constructor(@Inject(CONFIG) readonly config: { header: string }) {}
    }

    @Module({
      imports: [
        HfStatsModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: async (config: { header: string }) => ({
            sessionHeader: config.header,
            maxSessions: 50,
            log: false,
          }),
          path: 'async-stats',
        }),
        ConfigModule,
      ],
      controllers: [WorkController],
      providers: [FakeHfClient, WorkService, Probe],
    })
    class AsyncModule {}

    const url = await boot(AsyncModule);
    await request(url).post('/work').set('x-job-id', 'job').send(ONE_CALL).expect(201);
    const response = await request(url).get('/async-stats/sessions/job').expect(200);
    expect(response.body.callCount).toBe(1);
  });

  it.each<[string, () => object]>([
    ['forRoot', () => HfStatsModule.forRoot({ maxSessions: -5 })],
    ['forRootAsync', () => HfStatsModule.forRootAsync({ useFactory: () => ({ maxSessions: -5 }) })],
  ])('%s: invalid options fail at startup with an error naming the option', async (_name, definition) => {
    @Module({ imports: [definition() as never] })
    class InvalidModule {}

    await expect(Test.createTestingModule({ imports: [InvalidModule] }).compile()).rejects.toThrow(
      'nestjs-hf-stats: invalid option "maxSessions": got -5, expected a positive integer.',
    );
  });

  it('refuses an invalid static option as soon as the module is defined', () => {
    expect(() => HfStatsModule.forRootAsync({ useFactory: () => ({}), path: '../x' })).toThrow(/invalid option "path"/);
  });
});
