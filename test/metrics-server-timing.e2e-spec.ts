import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { HfStatsService, type HfStatsModuleOptions } from 'nestjs-hf-stats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { createMetricsAppModule } from './fixtures/metrics/metrics-app.js';
import { startScriptedHfServer, type ScriptedHfServer } from './fixtures/scripted-hf.server.js';

const HEADER = /^hf;dur=(\d+(?:\.\d)?);desc="(\d+) calls?"$/;

describe.each(ADAPTERS)('Server-Timing over real HTTP (%s)', (adapter) => {
  let scripted: ScriptedHfServer;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    scripted = await startScriptedHfServer();
    scripted.script([{ status: 200, body: [[0.1]] }]);
  });

  afterAll(async () => {
    await scripted.close();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const boot = async (options: HfStatsModuleOptions = {}): Promise<INestApplication> => {
    app = await createApp(createMetricsAppModule(scripted.url, options), adapter);
    return app;
  };

  it('reports the tracked calls of the request: their count and summed duration', async () => {
    await boot();
    const response = await request(app!.getHttpServer()).post('/work/calls').set('x-session-id', 'st-1').expect(201);
    const header: string | undefined = response.headers['server-timing'];
    expect(header).toMatch(HEADER);
    const match = HEADER.exec(header ?? '');
    expect(match![2]).toBe('3');
    // The client call took its measured time; the two recorded ones 42.5 ms together.
    const clientCallMs = app!.get(HfStatsService).getGlobalStats().byModel[
      'sentence-transformers/all-MiniLM-L6-v2'
    ].totalTimeMs;
    expect(Number(match![1])).toBeGreaterThanOrEqual(42.5);
    expect(Number(match![1])).toBeCloseTo(42.5 + clientCallMs, 0);
  });

  it('counts the calls of each request on their own, without a session too', async () => {
    await boot();
    const [first, second] = await Promise.all([
      request(app!.getHttpServer()).post('/work/calls').expect(201),
      request(app!.getHttpServer()).post('/work/calls').set('x-session-id', 'st-2').expect(201),
    ]);
    expect(first.headers['server-timing']).toMatch(/desc="3 calls"$/);
    expect(second.headers['server-timing']).toMatch(/desc="3 calls"$/);
  });

  it('adds nothing to responses whose handling made no tracked call', async () => {
    await boot();
    const response = await request(app!.getHttpServer()).get('/work/none').expect(200);
    expect(response.headers['server-timing']).toBeUndefined();
  });

  it('adds the header to an error response after a tracked call', async () => {
    await boot();
    const response = await request(app!.getHttpServer()).post('/work/fail').expect(500);
    expect(response.headers['server-timing']).toBe('hf;dur=7;desc="1 call"');
  });

  it("appends to the app's own Server-Timing entries", async () => {
    await boot();
    const response = await request(app!.getHttpServer()).get('/work/own-timing').expect(200);
    expect(response.headers['server-timing']).toBe('db;dur=3, hf;dur=4;desc="1 call"');
  });

  it('adds nothing with serverTiming: false, and still counts the calls', async () => {
    await boot({ serverTiming: false });
    const response = await request(app!.getHttpServer()).post('/work/calls').expect(201);
    expect(response.headers['server-timing']).toBeUndefined();
    expect(app!.get(HfStatsService).getGlobalStats().callCount).toBe(3);
  });
});
