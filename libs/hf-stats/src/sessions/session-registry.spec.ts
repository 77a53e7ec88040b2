import { describe, expect, it } from 'vitest';
import { SessionRegistry } from './session-registry.js';

describe('SessionRegistry', () => {
  it('creates a session on first touch and keeps it active', () => {
    const sessions = new SessionRegistry(10, 5);
    const entry = sessions.touch('a', 1000);
    expect(entry?.active).toBe(true);
    expect(sessions.touch('a', 2000)).toBe(entry);
    expect(entry?.lastActivityAt).toBe(2000);
    expect(entry?.startedAt).toBe(1000);
  });

  it('ends a session once', () => {
    const sessions = new SessionRegistry(10, 5);
    sessions.touch('a', 1);
    expect(sessions.end('a', 5)?.endedAt).toBe(5);
    expect(sessions.end('a', 6)).toBeUndefined();
    expect(sessions.end('unknown', 6)).toBeUndefined();
    expect(sessions.get('a')?.active).toBe(false);
  });

  it('reopens an ended session with its figures when it is used again', () => {
    const sessions = new SessionRegistry(10, 5);
    sessions.touch('a', 1)?.stats.add({
      sessionId: 'a',
      model: undefined,
      operation: undefined,
      textCount: 2,
      characterCount: undefined,
      durationMs: 1,
      ok: true,
      errorType: undefined,
      endedAt: 1,
      inputTokens: undefined,
      outputTokens: undefined,
      computeTimeMs: undefined,
      attempts: undefined,
      costNanoUsd: undefined,
    });
    sessions.end('a', 2);
    const reopened = sessions.touch('a', 3);
    expect(reopened?.active).toBe(true);
    expect(reopened?.stats.textCount).toBe(2);
    expect(sessions.activeCount).toBe(1);
  });

  it('evicts ended sessions first, the longest-ended first, at the bound', () => {
    const sessions = new SessionRegistry(3, 5);
    for (const id of ['a', 'b', 'c']) {
      sessions.touch(id, 1);
    }
    sessions.end('b', 2);
    sessions.end('a', 3);
    sessions.touch('d', 4);
    expect(sessions.get('b')).toBeUndefined();
    expect(sessions.get('a')?.active).toBe(false);
    sessions.touch('e', 5);
    expect(sessions.get('a')).toBeUndefined();
    expect(sessions.size).toBe(3);
    expect(sessions.overflowCount).toBe(0);
  });

  it('refuses a new session, never merging it, when every retained session is active', () => {
    const sessions = new SessionRegistry(2, 5);
    sessions.touch('a', 1);
    sessions.touch('b', 1);
    expect(sessions.touch('c', 2)).toBeUndefined();
    expect(sessions.get('c')).toBeUndefined();
    expect(sessions.overflowCount).toBe(1);
    // Existing sessions keep working.
    expect(sessions.touch('a', 3)?.lastActivityAt).toBe(3);
  });

  it('finds idle sessions and lists active first, most recent first', () => {
    const sessions = new SessionRegistry(10, 5);
    sessions.touch('old', 100);
    sessions.touch('new', 900);
    sessions.touch('done', 950);
    sessions.end('done', 960);
    expect(sessions.idleSessionIds(500)).toEqual(['old']);
    expect(sessions.list().map((entry) => entry.sessionId)).toEqual(['new', 'old', 'done']);
    expect(sessions.list(true).map((entry) => entry.sessionId)).toEqual(['new', 'old']);
    expect(sessions.list(false, 2).map((entry) => entry.sessionId)).toEqual(['new', 'old']);
    expect(sessions.list(false, 3).map((entry) => entry.sessionId)).toEqual(['new', 'old', 'done']);
    expect(sessions.list(true, 0)).toEqual([]);
  });

  it('lists the most recent first with a limit, as a full sort would', () => {
    const sessions = new SessionRegistry(1000, 5);
    const times = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    times.forEach((at, i) => sessions.touch(`s${i}`, at));
    const full = sessions.list(true).map((entry) => entry.lastActivityAt);
    expect(full).toEqual(times.toSorted((a, b) => b - a));
    for (const limit of [1, 10, 50, 499, 500, 600]) {
      expect(sessions.list(true, limit).map((entry) => entry.lastActivityAt)).toEqual(full.slice(0, limit));
    }
  });
});
