import type { INestApplication } from '@nestjs/common';
import type { HfSessionStats, HfStatsSnapshot } from 'nestjs-hf-stats';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { createWorkAppModule, type WorkResponse } from './fixtures/work.app.js';

// 100 sessions x 10 requests x 10 calls: 10,000 tracked calls from 1,000 concurrent requests.
const SESSIONS = 100;
const REQUESTS_PER_SESSION = 10;
const CALLS_PER_REQUEST = 10;

describe.each(ADAPTERS)('sessions over HTTP (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await createApp(createWorkAppModule(), adapter);
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  beforeEach(async () => {
    // A fresh view per test, through the public API.
    const { HfStatsService } = await import('nestjs-hf-stats');
    app.get(HfStatsService).reset();
  });

  const stats = async (): Promise<HfStatsSnapshot> => (await request(url).get('/hf-stats').expect(200)).body;

  it('keeps concurrent requests in their own sessions, with exact figures per session and globally', async () => {
    const requests = [];
    for (let r = 0; r < REQUESTS_PER_SESSION; r += 1) {
      for (let s = 0; s < SESSIONS; s += 1) {
        // Session s sends s+1 texts in its last call, and one failing call per request in odd sessions.
        const calls = Array.from({ length: CALLS_PER_REQUEST }, (_, c) =>
          c === CALLS_PER_REQUEST - 1
            ? Array.from({ length: s + 1 }, (_unused, t) => `t${t}`)
            : s % 2 === 1 && c === 1
              ? ['[fail]']
              : ['a'],
        );
        requests.push(
          request(url)
            .post('/work')
            .set('x-session-id', `session-${s}`)
            .send({ calls })
            .expect(201)
            .then((response) => ({ sessionId: `session-${s}`, body: response.body as WorkResponse })),
        );
      }
    }
    const responses = await Promise.all(requests);

    for (const { sessionId, body } of responses) {
      expect(body.seen.length).toBe(CALLS_PER_REQUEST + 1);
      expect(new Set(body.seen)).toEqual(new Set([sessionId]));
    }

    const snapshot = await stats();
    expect(snapshot.sessions).toHaveLength(SESSIONS);
    for (let s = 0; s < SESSIONS; s += 1) {
      const session = snapshot.sessions.find((entry) => entry.sessionId === `session-${s}`);
      expect(session).toMatchObject({
        active: true,
        endedAt: null,
        callCount: REQUESTS_PER_SESSION * CALLS_PER_REQUEST,
        textCount: REQUESTS_PER_SESSION * (CALLS_PER_REQUEST - 1 + s + 1),
        errorCount: s % 2 === 1 ? REQUESTS_PER_SESSION : 0,
      });
    }
    const sum = (field: 'callCount' | 'textCount' | 'errorCount'): number =>
      snapshot.sessions.reduce((total, session) => total + session[field], 0);
    expect(snapshot.global.callCount).toBe(SESSIONS * REQUESTS_PER_SESSION * CALLS_PER_REQUEST);
    expect(snapshot.global.callCount).toBe(sum('callCount'));
    expect(snapshot.global.textCount).toBe(sum('textCount'));
    expect(snapshot.global.errorCount).toBe(sum('errorCount'));
    expect(snapshot.global.totalTimeMs).toBeCloseTo(
      snapshot.sessions.reduce((total, session) => total + session.totalTimeMs, 0),
      0,
    );
  });

  it('counts a request without a session header in the global figures only', async () => {
    const response = await request(url)
      .post('/work')
      .send({ calls: [['a'], ['b', 'c']] })
      .expect(201);
    expect((response.body as WorkResponse).seen).toEqual([null, null, null]);
    const snapshot = await stats();
    expect(snapshot.global).toMatchObject({ callCount: 2, textCount: 3 });
    expect(snapshot.sessions).toEqual([]);
  });

  it.each([
    ['too long', 'x'.repeat(129)],
    ['a space', 'user 1'],
    ['markup', '<script>alert(1)</script>'],
    ['a slash', 'a/b'],
  ])('ignores and counts a session id with %s, serving the request normally', async (_case, sessionId) => {
    const response = await request(url)
      .post('/work')
      .set('x-session-id', sessionId)
      .send({ calls: [['a']] })
      .expect(201);
    expect((response.body as WorkResponse).seen).toEqual([null, null]);
    const snapshot = await stats();
    expect(snapshot.rejectedSessionIdCount).toBe(1);
    expect(snapshot.global.callCount).toBe(1);
    expect(snapshot.sessions).toEqual([]);
  });

  it('accepts a session id of exactly 128 allowed characters', async () => {
    const sessionId = 'A-z0.9_:@'.repeat(15).slice(0, 128);
    await request(url)
      .post('/work')
      .set('x-session-id', sessionId)
      .send({ calls: [['a']] })
      .expect(201);
    const response = await request(url)
      .get(`/hf-stats/sessions/${encodeURIComponent(sessionId)}`)
      .expect(200);
    expect((response.body as HfSessionStats).sessionId).toBe(sessionId);
  });

  it('serves one session, or a 404 JSON error that does not echo the id', async () => {
    await request(url)
      .post('/work')
      .set('x-session-id', 'known')
      .send({ calls: [['a', 'b']] })
      .expect(201);
    const found = await request(url).get('/hf-stats/sessions/known').expect(200);
    expect(found.body).toMatchObject({ sessionId: 'known', callCount: 1, textCount: 2, active: true });

    for (const id of ['unknown', '%3Cscript%3Ealert(1)%3C%2Fscript%3E', 'x'.repeat(300)]) {
      const missing = await request(url).get(`/hf-stats/sessions/${id}`).expect(404);
      expect(missing.headers['content-type']).toMatch(/application\/json/);
      expect(missing.body).toMatchObject({ statusCode: 404, message: 'Unknown session' });
      expect(missing.text).not.toContain('script');
      expect(missing.text).not.toContain('xxxxxxxx');
    }
  });
});
