import {
  Controller,
  Get,
  Injectable,
  Module,
  Res,
  UseGuards,
  UseInterceptors,
  type CanActivate,
  type INestApplication,
} from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { HfStatsInterceptor, HfStatsModule, HfStatsService, type HfStatsModuleOptions } from 'nestjs-hf-stats';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { FakeHfClient } from './fixtures/fake-hf.client.js';
import { WorkController, WorkService } from './fixtures/work.app.js';

/** A guard that makes a tracked call before the handler runs. */
@Injectable()
class CallingGuard implements CanActivate {
  constructor(private readonly client: FakeHfClient) {}

  async canActivate(): Promise<boolean> {
    await this.client.featureExtraction({ model: 'guard-model', inputs: ['g'] });
    return true;
  }
}

@Controller('binding')
class BindingController {
  constructor(
    private readonly client: FakeHfClient,
    private readonly stats: HfStatsService,
  ) {}

  @Get('guarded')
  @UseGuards(CallingGuard)
  guarded(): { session: string | null } {
    return { session: this.stats.currentSessionId() ?? null };
  }

  /** Bound by the interceptor as well as by the module: the header is written once. */
  @Get('intercepted')
  @UseInterceptors(HfStatsInterceptor)
  async intercepted(): Promise<{ session: string | null }> {
    await this.client.featureExtraction({ model: 'm', inputs: ['x'] });
    return { session: this.stats.currentSessionId() ?? null };
  }

  /** Sends the response itself (`@Res()` without passthrough), after one tracked call. */
  @Get('own-response')
  async ownResponse(@Res() response: { status?: unknown; code?: unknown; send(body: string): unknown }): Promise<void> {
    await this.client.featureExtraction({ model: 'm', inputs: ['x'] });
    response.send('sent by the handler');
  }
}

function bindingApp(options: HfStatsModuleOptions = {}, async = false): new () => object {
  @Module({
    imports: [
      async
        ? HfStatsModule.forRootAsync({ useFactory: () => ({ log: false, ...options }) })
        : HfStatsModule.forRoot({ log: false, ...options }),
    ],
    controllers: [WorkController, BindingController],
    providers: [FakeHfClient, WorkService, CallingGuard],
  })
  class BindingAppModule {}
  return BindingAppModule;
}

/** The app's global interceptors, as Nest runs them (it skips the null of a factory that binds none). */
function globalInterceptors(app: INestApplication): unknown[] {
  return app
    .get(ApplicationConfig)
    .getGlobalInterceptors()
    .filter((interceptor) => interceptor !== null && interceptor !== undefined);
}

describe.each(ADAPTERS)('binding each request to its session without a global interceptor (%s)', (adapter) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('binds no global interceptor as shipped, and a POST with a body still counts in its session', async () => {
    app = await createApp(bindingApp(), adapter);
    expect(globalInterceptors(app)).toEqual([]);
    const response = await request(app.getHttpServer())
      .post('/work')
      .set('x-session-id', 'posted')
      .send({ calls: [['a'], ['b', 'c'], ['d']] })
      .expect(201);
    expect(response.body.seen).toEqual(['posted', 'posted', 'posted', 'posted']);
    expect(app.get(HfStatsService).getSessionStats('posted')?.callCount).toBe(3);
  });

  it("counts a guard's tracked call in the request's session and in its Server-Timing", async () => {
    app = await createApp(bindingApp(), adapter);
    const response = await request(app.getHttpServer())
      .get('/binding/guarded')
      .set('x-session-id', 'guarded')
      .expect(200);
    expect(response.body).toEqual({ session: 'guarded' });
    expect(response.headers['server-timing']).toMatch(/^hf;dur=\d+(\.\d)?;desc="1 call"$/);
    expect(app.get(HfStatsService).getSessionStats('guarded')?.callCount).toBe(1);
  });

  it('writes Server-Timing on a response the handler sends itself', async () => {
    app = await createApp(bindingApp(), adapter);
    const response = await request(app.getHttpServer()).get('/binding/own-response').expect(200);
    expect(response.text).toBe('sent by the handler');
    expect(response.headers['server-timing']).toMatch(/desc="1 call"$/);
  });

  it('keeps the global interceptor for resolveSessionId, which reads the ExecutionContext', async () => {
    app = await createApp(
      bindingApp({
        resolveSessionId: (context) => `${context.getClass().name}-${context.getHandler().name}`,
      }),
      adapter,
    );
    expect(globalInterceptors(app)).toHaveLength(1);
    await request(app.getHttpServer())
      .post('/work')
      .send({ calls: [['a']] })
      .expect(201);
    expect(app.get(HfStatsService).getSessionStats('WorkController-run')?.callCount).toBe(1);
  });

  it('binds the global interceptor when resolveSessionId comes from forRootAsync', async () => {
    app = await createApp(bindingApp({ resolveSessionId: () => 'from-async' }, true), adapter);
    expect(globalInterceptors(app)).toHaveLength(1);
    await request(app.getHttpServer())
      .post('/work')
      .send({ calls: [['a']] })
      .expect(201);
    expect(app.get(HfStatsService).getSessionStats('from-async')?.callCount).toBe(1);
  });

  it('writes one Server-Timing entry when HfStatsInterceptor is bound on top of the module', async () => {
    app = await createApp(bindingApp(), adapter);
    const response = await request(app.getHttpServer())
      .get('/binding/intercepted')
      .set('x-session-id', 'twice')
      .expect(200);
    expect(response.body).toEqual({ session: 'twice' });
    expect(response.headers['server-timing']).toMatch(/^hf;dur=\d+(\.\d)?;desc="1 call"$/);
    expect(app.get(HfStatsService).getSessionStats('twice')?.callCount).toBe(1);
  });
});
