import { describe, expect, it } from 'vitest';
import { callRecord } from '../stats/call-record.fixture.js';
import { HfMemoryStore } from './hf-memory-store.js';

describe('HfMemoryStore', () => {
  it('owns the figures: the global ones and the sessions its registry keeps, with no sentinel', () => {
    const store = new HfMemoryStore({ maxModels: 2, maxSessions: 1 });
    store.sessions.touch('kept', 1_000);
    store.record(callRecord({ sessionId: 'kept', model: 'a', textCount: 2, endedAt: 1_000 }));
    // Not kept by the lifecycle (the bound is reached with every session active): global figures only.
    expect(store.sessions.touch('refused', 1_001)).toBeUndefined();
    store.record(callRecord({ sessionId: 'refused', model: 'b', endedAt: 1_001 }));

    expect(store.local).toBe(store);
    expect(store.globalStats()).toMatchObject({ callCount: 2, textCount: 3 });
    expect(Object.keys(store.globalStats().byModel)).toEqual(['a', 'b']);
    expect(store.sessionStats('kept')).toMatchObject({ sessionId: 'kept', active: true, callCount: 1, textCount: 2 });
    expect(store.sessionStats('refused')).toBeUndefined();
    expect(store.listSessions({ limit: 10 }).items.map((session) => session.sessionId)).toEqual(['kept']);
    expect(store.recentActiveSessions(10)).toHaveLength(1);
    expect(store.activeSessionCount()).toBe(1);
    expect(store.sessionOverflowCount).toBe(1);

    store.reset();
    expect(store.globalStats().callCount).toBe(0);
    expect(store.activeSessionCount()).toBe(0);
    expect(store.sessionOverflowCount).toBe(0);
  });
});
