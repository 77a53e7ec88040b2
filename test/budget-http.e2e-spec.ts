import { Controller, Get, Headers, Module, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { HfBudgetExceededError, HfStatsModule } from 'nestjs-hf-stats';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { GatedHfClient } from './fixtures/budget/gated-hf.client.js';

@Controller()
class ChatController {
  constructor(private readonly client: GatedHfClient) {}

  /** One tracked call in the request's session; the budget's refusal goes to Nest as it is. */
  @Post('chat')
  async chat(): Promise<{ ok: true }> {
    const call = this.client.chat({ model: 'm', messages: ['hello'] });
    this.client.gate.finish();
    await call;
    return { ok: true };
  }

  /** The app's own handling: caught by its type, answered with a fallback. */
  @Get('chat-or-fallback')
  async chatOrFallback(@Headers('x-session-id') _sessionId: string): Promise<{ answer: string }> {
    try {
      const call = this.client.chat({ model: 'm', messages: ['hello'] });
      this.client.gate.finish();
      await call;
      return { answer: 'model' };
    } catch (error) {
      if (error instanceof HfBudgetExceededError) {
        return { answer: `fallback (${error.limit})` };
      }
      throw error;
    }
  }
}

@Module({
  imports: [HfStatsModule.forRoot({ log: false, budget: { maxCalls: 1, onExceed: 'throw' } })],
  controllers: [ChatController],
  providers: [GatedHfClient],
})
class BudgetHttpModule {}

describe.each(ADAPTERS)('a refused call over HTTP (%s)', (adapter) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createApp(BudgetHttpModule, adapter);
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers 429 with a JSON body that names the limit, without the session id', async () => {
    const sessionId = `http-${adapter}-session`;
    await request(app.getHttpServer()).post('/chat').set('x-session-id', sessionId).expect(201);
    const refused = await request(app.getHttpServer())
      .post('/chat')
      .set('x-session-id', sessionId)
      .expect(429)
      .expect('content-type', /application\/json/);
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Hugging Face budget of the session exceeded: maxCalls 1 reached (1).',
      limit: 'maxCalls',
      limitValue: 1,
      usedValue: 1,
    });
    expect(refused.text).not.toContain(sessionId);
    // Another session has its own budget.
    await request(app.getHttpServer()).post('/chat').set('x-session-id', `${sessionId}-2`).expect(201);
  });

  it('stays catchable by its type', async () => {
    const sessionId = `fallback-${adapter}`;
    const first = await request(app.getHttpServer()).get('/chat-or-fallback').set('x-session-id', sessionId);
    const second = await request(app.getHttpServer()).get('/chat-or-fallback').set('x-session-id', sessionId);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect([first.body, second.body]).toEqual([{ answer: 'model' }, { answer: 'fallback (maxCalls)' }]);
  });
});
