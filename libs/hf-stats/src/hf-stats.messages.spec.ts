import * as fc from 'fast-check';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidOption } from './hf-stats.messages.js';
import { HfStatsModule } from './hf-stats.module.js';
import { HfStatsService } from './hf-stats.service.js';

function messageOf(step: () => unknown): string {
  try {
    step();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('messages of refused arguments', () => {
  let moduleRef: TestingModule;
  let stats: HfStatsService;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [HfStatsModule.forRoot({ controller: false, log: false })],
    }).compile();
    await moduleRef.init();
    stats = moduleRef.get(HfStatsService);
  });

  afterAll(async () => {
    await moduleRef.close();
  });

  it('never echo a refused session id or record field, which Nest would log', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (tail) => {
        // A space makes the id invalid whatever follows.
        const secret = `tok en-${tail}`;
        for (const message of [
          messageOf(() => stats.runInSession(secret, () => 1)),
          messageOf(() => stats.record({ durationMs: 1, sessionId: secret })),
          messageOf(() => stats.record({ durationMs: secret as never })),
          messageOf(() => stats.record({ durationMs: 1, model: [secret] as never })),
        ]) {
          expect(message).not.toContain('tok en-');
          expect(message).toMatch(
            /^nestjs-hf-stats: (runInSession|record): invalid "\w+": got (a string of length \d+|an array of 1), expected /,
          );
        }
      }),
    );
    expect(stats.getGlobalStats().callCount).toBe(0);
  });

  it('still name a number, so that a wrong figure is easy to find', () => {
    expect(messageOf(() => stats.record({ durationMs: -1 }))).toBe(
      'nestjs-hf-stats: record: invalid "durationMs": got -1, expected a finite number >= 0.',
    );
  });
});

describe('messages of invalid options', () => {
  it("keep a URL's credentials out", () => {
    const message = invalidOption('store.url', 'http://admin:hunter2@redis.internal:6379', 'a redis:// URL').message;
    expect(message).toBe(
      'nestjs-hf-stats: invalid option "store.url": got "http://***@redis.internal:6379", expected a redis:// URL.',
    );
  });
});
