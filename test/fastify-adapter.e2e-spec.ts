import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from './fixtures/create-app.js';
import { createWorkAppModule } from './fixtures/work.app.js';

describe('the Fastify setup the README advises (test/fixtures/create-app.ts)', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('reads a session of 128 characters through GET /hf-stats/sessions/:id without a deprecation warning', async () => {
    const warnings: Error[] = [];
    const listen = (warning: Error) => warnings.push(warning);
    process.on('warning', listen);
    try {
      app = await createApp(createWorkAppModule(), 'fastify');
      const url = await app.getUrl();
      const sessionId = 's'.repeat(128);
      await request(url)
        .post('/work')
        .set('x-session-id', sessionId)
        .send({ calls: [['a']] })
        .expect(201);
      const response = await request(url).get(`/hf-stats/sessions/${sessionId}`).expect(200);
      expect(response.body).toMatchObject({ sessionId, callCount: 1 });
      // Process warnings are emitted on a later tick.
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listen);
    }
    expect(warnings.map((warning) => (warning as Error & { code?: string }).code)).not.toContain('FSTDEP022');
  });
});
