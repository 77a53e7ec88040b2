import { Test, type TestingModule } from '@nestjs/testing';
import { HfStatsModule, HfStatsService } from 'nestjs-hf-stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHfClient, interleave } from './fixtures/fake-hf.client.js';

const SESSIONS = 100;
const CALLS = 10_000;

describe('10,000 concurrent tracked calls over 100 sessions, outside HTTP (runInSession)', () => {
  let moduleRef: TestingModule;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [HfStatsModule.forRoot({ controller: false, log: false })],
      providers: [FakeHfClient],
    }).compile();
    await moduleRef.init();
  });

  afterAll(async () => {
    await moduleRef.close();
  });

  it('gives exact counts per session and globally, and the sessions sum to the global figures', async () => {
    const stats = moduleRef.get(HfStatsService);
    const client = moduleRef.get(FakeHfClient);
    const expected = new Map<string, { calls: number; texts: number; errors: number }>();
    const notAwaited: Array<Promise<unknown>> = [];

    const jobs = Array.from({ length: SESSIONS }, (_, s) => {
      const sessionId = `job-${s}`;
      const callsInSession = CALLS / SESSIONS;
      expected.set(sessionId, { calls: 0, texts: 0, errors: 0 });
      return stats.runInSession(sessionId, async () => {
        await interleave(s);
        const work = Array.from({ length: callsInSession }, async (_call, c) => {
          const texts = (c % 4) + 1;
          const fails = c % 10 === 9;
          const figures = expected.get(sessionId)!;
          figures.calls += 1;
          figures.texts += texts;
          figures.errors += fails ? 1 : 0;
          const inputs = Array.from({ length: texts }, (_text, t) => (fails && t === 0 ? '[fail]' : `text-${t}`));
          // A nested async call, started after a timer, every fifth call.
          if (c % 5 === 0) {
            await new Promise<void>((resolve) => setTimeout(resolve, c % 3));
            const nested = async (): Promise<unknown> => client.featureExtraction({ model: 'nested', inputs }, c);
            return nested().catch(() => undefined);
          }
          // A call nobody awaits inside the session; it must still count in it.
          if (c % 7 === 0) {
            notAwaited.push(client.featureExtraction({ model: 'detached', inputs }, c).catch(() => undefined));
            return undefined;
          }
          return client.featureExtraction({ model: 'direct', inputs }, c).catch(() => undefined);
        });
        await Promise.all(work);
      });
    });
    await Promise.all(jobs);
    await Promise.all(notAwaited);

    const snapshot = stats.getSnapshot();
    expect(snapshot.sessions).toHaveLength(SESSIONS);
    let calls = 0;
    let texts = 0;
    let errors = 0;
    for (const session of snapshot.sessions) {
      const figures = expected.get(session.sessionId)!;
      expect({ callCount: session.callCount, textCount: session.textCount, errorCount: session.errorCount }).toEqual({
        callCount: figures.calls,
        textCount: figures.texts,
        errorCount: figures.errors,
      });
      calls += session.callCount;
      texts += session.textCount;
      errors += session.errorCount;
    }
    expect(snapshot.global.callCount).toBe(CALLS);
    expect({ calls, texts, errors }).toEqual({
      calls: snapshot.global.callCount,
      texts: snapshot.global.textCount,
      errors: snapshot.global.errorCount,
    });
    expect(errors).toBe(CALLS / 10);
  });
});
