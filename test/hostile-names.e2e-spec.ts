import type { INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import * as fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HfStatsService, type HfStats, type HfStatsModuleOptions } from 'nestjs-hf-stats';
import { boundedName } from '../libs/hf-stats/src/stats/call-names.js';
import { HostileCalls, hostileNamesApp, type HostileCall } from './fixtures/names/hostile-names.app.js';
import { deleteKeys, redisTestsEnabled, SHARED_REDIS_URL, uniquePrefix } from './fixtures/redis/redis-support.js';

const redisEnabled = await redisTestsEnabled('hostile-names.e2e-spec');

/** The documented bound of every name a call record holds (model, operation, error type), hash suffix included. */
const MAX_NAME_LENGTH = 200;
/** Figures of one model as JSON, without its name: fixed fields, plus at most 33 error types of MAX_NAME_LENGTH. */
const MODEL_JSON_BOUND = 1_000 + 33 * (MAX_NAME_LENGTH + 20);

// oxlint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** With the u flag, a pair is one code point: only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Boots the app on a real HTTP server, with a body limit that lets 100,000-character names in. */
async function boot(options: HfStatsModuleOptions): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [hostileNamesApp(options)] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>(new ExpressAdapter(), {
    logger: false,
    bodyParser: false,
  });
  app.useBodyParser('json', { limit: '10mb' });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

async function post(url: string, body: string, sessionId?: string): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sessionId !== undefined) {
    headers['x-session-id'] = sessionId;
  }
  const response = await fetch(url, { method: 'POST', headers, body });
  await response.arrayBuffer();
  return response.status;
}

async function getText(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

/** Every name shown is within the bound, well-formed and free of control characters. */
function expectBoundedNames(names: string[]): void {
  for (const name of names) {
    expect(name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    expect(LONE_SURROGATE.test(name)).toBe(false);
    expect(CONTROL.test(name)).toBe(false);
  }
}

/** One scope's figures: at most maxModels names plus "other", every name and the JSON bounded. */
function expectBoundedScope(scope: HfStats, maxModels: number): void {
  const models = Object.keys(scope.byModel);
  expect(models.length).toBeLessThanOrEqual(maxModels + 1);
  expectBoundedNames(models);
  for (const stats of [scope, ...Object.values(scope.byModel)]) {
    expectBoundedNames(Object.keys(stats.errors));
  }
  expect(JSON.stringify(scope).length).toBeLessThanOrEqual((maxModels + 2) * (MODEL_JSON_BOUND + MAX_NAME_LENGTH));
}

/** Distinct only in their last characters: a plain cut would merge them all into one name. */
function longName(i: number): string {
  return `${'m'.repeat(50_000)}${i}`;
}

describe('names a client sends (memory store)', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('1,000 calls with distinct 50,000-character models: every reader shows the same short names, kept apart', async () => {
    const started = await boot({ metrics: { prometheus: true } });
    app = started.app;
    const calls = app.get(HostileCalls);
    for (let i = 0; i < 1_000; i++) {
      await calls.call({ model: longName(i) });
    }
    const snapshot = await getText(`${started.url}/hf-stats`);
    expect(snapshot.status).toBe(200);
    expect(snapshot.text.length).toBeLessThan(100_000);
    const { global } = JSON.parse(snapshot.text) as { global: HfStats };
    expect(global.callCount).toBe(1_000);
    const named = Object.entries(global.byModel).filter(([model]) => model !== 'other');
    expect(named).toHaveLength(50);
    expect(named.every(([, stats]) => stats.callCount === 1)).toBe(true);
    expect(global.byModel.other.callCount).toBe(950);
    expectBoundedScope(global, 50);

    const timeline = await getText(`${started.url}/hf-stats/timeline`);
    expect(timeline.status).toBe(200);
    // Each minute picks its own 50 (all names here have one call), so a run across a minute boundary
    // shows other names than the global scope: the same bounded values, at most 51 per minute.
    const { byModel: timelineByModel, global: points } = JSON.parse(timeline.text) as {
      byModel: object;
      global: Array<{ callCount: number }>;
    };
    const minutesUsed = points.filter((point) => point.callCount > 0).length;
    const timelineModels = Object.keys(timelineByModel);
    expect(timelineModels.length).toBeLessThanOrEqual(51 * minutesUsed);
    const sent = new Set(Array.from({ length: 1_000 }, (_, i) => boundedName(longName(i))));
    expect(timelineModels.every((model) => model === 'other' || sent.has(model))).toBe(true);
    // The first 50 names took the first minute's slots, as they took the global scope's.
    expect(timelineModels).toEqual(expect.arrayContaining(Object.keys(global.byModel)));

    const scrape = await getText(`${started.url}/hf-stats/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.text.length).toBeLessThan(1_000_000);
    for (const [model] of named) {
      expect(scrape.text).toContain(`gen_ai_request_model="${model}"`);
    }
  });
});

describe('the model slots when junk names come first (memory store)', () => {
  it('after 50 junk names, a real model with 100 calls is visible in byModel, the timeline and the Prometheus scrape', async () => {
    const { app, url } = await boot({ metrics: { prometheus: true } });
    try {
      const calls = app.get(HostileCalls);
      for (let i = 0; i < 50; i++) {
        await calls.call({ model: `junk-${i}` });
      }
      for (let i = 0; i < 100; i++) {
        await calls.call({ model: 'BAAI/bge-small-en-v1.5' });
      }
      const { global } = JSON.parse((await getText(`${url}/hf-stats`)).text) as { global: HfStats };
      expect(global.byModel['BAAI/bge-small-en-v1.5'].callCount).toBeGreaterThanOrEqual(95);
      expect(Object.keys(global.byModel).length).toBeLessThanOrEqual(51);
      const timeline = JSON.parse((await getText(`${url}/hf-stats/timeline`)).text) as {
        byModel: Record<string, Array<{ callCount: number }>>;
      };
      const points = timeline.byModel['BAAI/bge-small-en-v1.5'] ?? [];
      expect(points.reduce((sum, point) => sum + point.callCount, 0)).toBeGreaterThanOrEqual(95);
      expect((await getText(`${url}/hf-stats/metrics`)).text).toMatch(
        /^gen_ai_client_operation_duration_seconds_count\{[^}]*gen_ai_request_model="BAAI\/bge-small-en-v1.5"[^}]*\} (\d+)$/m,
      );
    } finally {
      await app.close();
    }
  });
});

/** Strings as hostile as a client can make them: lone surrogates, control characters, prototype keys, 100,000 characters. */
const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'other', 'unknown', 'toString', 'bad\udc00model', '\u001b[2J', ''),
  fc
    .array(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 6 }),
        fc.constantFrom('\ud800', '\udfff', '\u0000', '\n', '\u001b', '\u0085', '\u2028', '\ud83d\ude00'),
      ),
      { maxLength: 8 },
    )
    .map((parts) => parts.join('')),
  fc
    .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }), fc.integer({ min: 150, max: 100_000 }))
    .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length)),
);

/** What a client can put in a header: printable ASCII (fetch refuses the rest), up to 10,000 characters. */
const sessionHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('session-a', 'session-b', 'user@example.com', '__proto__', 'constructor'),
  fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
  fc.integer({ min: 129, max: 10_000 }).map((length) => 's'.repeat(length)),
);

interface Action {
  route: 'call' | 'record';
  input: HostileCall;
  sessionId: string | undefined;
}

const action: fc.Arbitrary<Action> = fc.record({
  route: fc.constantFrom('call' as const, 'record' as const),
  input: fc.record(
    {
      model: hostileString,
      operation: hostileString,
      errorName: hostileString.filter((name) => name !== ''),
      status: fc.oneof(fc.integer({ min: 100, max: 599 }), fc.integer()),
    },
    { requiredKeys: [] },
  ),
  sessionId: sessionHeader,
});

const ALLOWED_SESSION_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

const stores: Array<[string, boolean]> = [
  ['memory', true],
  ['redis', redisEnabled],
];

describe.each(stores)(
  'arbitrary names through the decorator, record() and the session header (%s store)',
  (store, enabled) => {
    const prefix = uniquePrefix();
    afterAll(async () => {
      if (store === 'redis' && enabled) {
        await deleteKeys(SHARED_REDIS_URL, prefix);
      }
    });

    it.runIf(enabled)('the app stays up, counts every call exactly, and every output stays bounded', async () => {
      const maxModels = 3;
      const { app, url } = await boot({
        maxModels,
        store:
          store === 'redis'
            ? { type: 'redis', url: SHARED_REDIS_URL, keyPrefix: prefix, flushIntervalMs: 60_000 }
            : { type: 'memory' },
      });
      const stats = app.get(HfStatsService);
      const sent = { calls: 0, rejectedSessionIds: 0, bySession: new Map<string, number>() };
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 6 }), async (actions) => {
            for (const { route, input, sessionId } of actions) {
              expect(await post(`${url}/hostile/${route}`, JSON.stringify(input), sessionId)).toBe(200);
              sent.calls += 1;
              if (sessionId !== undefined && ALLOWED_SESSION_ID.test(sessionId)) {
                sent.bySession.set(sessionId, (sent.bySession.get(sessionId) ?? 0) + 1);
              } else if (sessionId !== undefined) {
                sent.rejectedSessionIds += 1;
              }
            }
            await stats.flush();

            const snapshot = await getText(`${url}/hf-stats`);
            expect(snapshot.status).toBe(200);
            const body = JSON.parse(snapshot.text) as {
              global: HfStats;
              sessions: HfStats[];
              rejectedSessionIdCount: number;
              partial?: boolean;
            };
            expect(body.global.callCount).toBe(sent.calls);
            expect(body.rejectedSessionIdCount).toBe(sent.rejectedSessionIds);
            expect(body.partial ?? false).toBe(false);
            const inModels = Object.values(body.global.byModel).reduce((sum, model) => sum + model.callCount, 0);
            expect(inModels).toBe(sent.calls);
            for (const [sessionId, calls] of sent.bySession) {
              expect(stats.getSessionStats(sessionId)?.callCount).toBe(calls);
            }
            for (const scope of [body.global, ...body.sessions]) {
              expectBoundedScope(scope, maxModels);
            }

            const timeline = await getText(`${url}/hf-stats/timeline`);
            expect(timeline.status).toBe(200);
            expectBoundedNames(Object.keys((JSON.parse(timeline.text) as { byModel: object }).byModel));
            expect(stats.getSnapshot().internalErrorCount).toBe(0);
          }),
          { numRuns: 25 },
        );
      } finally {
        await app.close();
      }
    });
  },
);

describe.runIf(redisEnabled)('hostile model names with the Redis store', () => {
  const prefix = uniquePrefix();
  afterAll(async () => {
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  it('a lone surrogate is made well-formed where the call is recorded, so the flush succeeds; __proto__ and constructor stay models', async () => {
    const { app, url } = await boot({
      store: { type: 'redis', url: SHARED_REDIS_URL, keyPrefix: prefix, flushIntervalMs: 60_000 },
    });
    try {
      // JSON as a client writes it: the escape decodes to a lone low surrogate.
      for (const body of ['{"model":"bad\\udc00model"}', '{"model":"__proto__"}', '{"model":"constructor"}']) {
        expect(await post(`${url}/hostile/call`, body)).toBe(200);
      }
      await app.get(HfStatsService).flush();
      const body = JSON.parse((await getText(`${url}/hf-stats`)).text) as { global: HfStats; partial: boolean };
      expect(body.partial).toBe(false);
      expect(body.global.callCount).toBe(3);
      const models = Object.keys(body.global.byModel);
      expect(models).toHaveLength(3);
      expect(models).toEqual(expect.arrayContaining(['__proto__', 'constructor']));
      expect(models.find((model) => model.startsWith('bad\ufffdmodel~'))).toBeDefined();
      expectBoundedNames(models);
    } finally {
      await app.close();
    }
  });
});
