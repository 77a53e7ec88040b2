import { describe, expect, it } from 'vitest';
import { callRecord } from '../stats/call-record.fixture.js';
import { TimelineBuffer } from './timeline-buffer.js';
import { TIMELINE_BUCKET_MS } from './timeline-minute.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('TimelineBuffer', () => {
  it('keeps the minutes touched, at most maxMinutes of them, and counts the calls past that', () => {
    const buffer = new TimelineBuffer(2, 10);
    buffer.add(callRecord({ model: 'a', endedAt: START }));
    buffer.add(callRecord({ model: 'b', endedAt: START + 1 }));
    buffer.add(callRecord({ model: 'a', endedAt: START + 5 * TIMELINE_BUCKET_MS }));
    buffer.add(callRecord({ model: 'a', endedAt: START + 9 * TIMELINE_BUCKET_MS }));
    buffer.add(callRecord({ model: 'a', endedAt: START + 2 }));
    expect([...buffer.minutes.keys()]).toEqual([START / TIMELINE_BUCKET_MS, START / TIMELINE_BUCKET_MS + 5]);
    expect(buffer.minutes.get(START / TIMELINE_BUCKET_MS)?.global.callCount).toBe(3);
    expect(buffer.droppedCallCount).toBe(1);
  });

  it('writes each minute as hash updates: the global figures under t, each model under m:<encoded name>', () => {
    const buffer = new TimelineBuffer(5, 10);
    buffer.add(callRecord({ model: 'org/model a', endedAt: START, durationMs: 12, textCount: 3 }));
    const [[minute, ops]] = buffer.toOps();
    expect(minute).toBe(START / TIMELINE_BUCKET_MS);
    const triples = new Map<string, [string, string]>();
    for (let i = 0; i < ops.length; i += 3) {
      triples.set(ops[i + 1], [ops[i], ops[i + 2]]);
    }
    expect(triples.get('t|callCount')).toEqual(['i', '1']);
    expect(triples.get('t|textCount')).toEqual(['i', '3']);
    expect(triples.get('t|maxTimeMs')).toEqual(['>', '12']);
    expect(triples.get('m:org/model%0020a|callCount')).toEqual(['i', '1']);
    expect([...triples.keys()].filter((field) => field.startsWith('t|h:'))).toHaveLength(1);
  });
});
