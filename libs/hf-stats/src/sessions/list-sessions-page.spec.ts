import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HfStatsModule } from '../hf-stats.module.js';
import { HfStatsService, type HfSessionPageRequest } from '../hf-stats.service.js';

function ids(sessions: Array<{ sessionId: string }>): string[] {
  return sessions.map((session) => session.sessionId);
}

describe('HfStatsService: paged session listing in code', () => {
  let moduleRef: TestingModule;
  let stats: HfStatsService;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    moduleRef = await Test.createTestingModule({
      imports: [HfStatsModule.forRoot({ controller: false, log: false })],
    }).compile();
    await moduleRef.init();
    stats = moduleRef.get(HfStatsService);
    // s0 is the least recently active; s0..s4 end, s5..s9 stay active.
    for (let i = 0; i < 10; i += 1) {
      vi.advanceTimersByTime(1000);
      stats.record({ durationMs: 1, sessionId: `s${i}` });
    }
    for (let i = 0; i < 5; i += 1) {
      stats.endSession(`s${i}`);
    }
  });
  afterEach(async () => {
    await moduleRef.close();
    vi.useRealTimers();
  });

  it('listSessionsPage pages with a cursor and counts; listSessions keeps returning an array', () => {
    const first = stats.listSessionsPage({ limit: 4 });
    expect(ids(first.sessions)).toEqual(['s9', 's8', 's7', 's6']);
    expect(first).toMatchObject({ matchCount: 10, sessionCount: 10, activeSessionCount: 5 });
    const second = stats.listSessionsPage({ limit: 4, cursor: first.nextCursor! });
    expect(ids(second.sessions)).toEqual(['s5', 's4', 's3', 's2']);
    const last = stats.listSessionsPage({ limit: 4, cursor: second.nextCursor! });
    expect(ids(last.sessions)).toEqual(['s1', 's0']);
    expect(last.nextCursor).toBeNull();

    expect(ids(stats.listSessions())).toEqual(['s9', 's8', 's7', 's6', 's5', 's4', 's3', 's2', 's1', 's0']);
    expect(ids(stats.listSessions({ active: true, limit: 2 }))).toEqual(['s9', 's8']);
    // `active: false` lists the ended sessions (it listed every session before paging existed).
    expect(ids(stats.listSessions({ active: false }))).toEqual(['s4', 's3', 's2', 's1', 's0']);
    expect(ids(stats.listSessions({ idPrefix: 's1' }))).toEqual(['s1']);
  });

  it('getSnapshot answers the first 100 sessions, or the page asked for, with the counts', () => {
    const snapshot = stats.getSnapshot();
    expect(snapshot.sessions).toHaveLength(10);
    expect(snapshot).toMatchObject({ nextCursor: null, sessionCount: 10, activeSessionCount: 5 });
    const page = stats.getSnapshot({ active: false, limit: 2 });
    expect(ids(page.sessions)).toEqual(['s4', 's3']);
    expect(page.matchCount).toBe(5);
    expect(page.global.callCount).toBe(10);
  });

  it.each<[HfSessionPageRequest, RegExp]>([
    [{ limit: 0 }, /listSessionsPage: limit must be an integer from 1 to 1000\.$/],
    [{ limit: 1001 }, /limit must be/],
    [{ limit: 2.5 }, /limit must be/],
    [{ cursor: 'SECRET-cursor-value' }, /listSessionsPage: cursor is not valid/],
    [{ idPrefix: 'x'.repeat(129) }, /prefix must be a string of at most 128 characters/],
    [{ active: 'yes' as unknown as boolean }, /active must be true or false/],
  ])('refuses %j with a TypeError that does not repeat the value', (request, message) => {
    expect(() => stats.listSessionsPage(request)).toThrow(TypeError);
    expect(() => stats.listSessionsPage(request)).toThrow(message);
    expect(() => stats.listSessionsPage(request)).not.toThrow(/SECRET|xxxx|yes|1001|2\.5/);
  });
});
