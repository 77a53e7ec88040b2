import { describe, expect, it } from 'vitest';
import { RequestTiming, writeServerTiming } from './server-timing.js';

describe('RequestTiming', () => {
  it('formats the entry with the summed duration to 0.1 ms and the call count', () => {
    const timing = new RequestTiming();
    timing.callCount = 1;
    timing.totalMs = 12.345;
    expect(timing.toHeaderValue()).toBe('hf;dur=12.3;desc="1 call"');
    timing.callCount = 3;
    timing.totalMs = 40;
    expect(timing.toHeaderValue()).toBe('hf;dur=40;desc="3 calls"');
  });
});

describe('writeServerTiming', () => {
  it('writes nothing without calls, or once the headers are sent', () => {
    const headers = new Map<string, string>();
    const response = {
      headersSent: false,
      getHeader: (name: string) => headers.get(name.toLowerCase()),
      setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
    };
    const timing = new RequestTiming();
    writeServerTiming(response, timing);
    expect(headers.size).toBe(0);
    timing.callCount = 1;
    timing.totalMs = 2;
    response.headersSent = true;
    writeServerTiming(response, timing);
    expect(headers.size).toBe(0);
    response.headersSent = false;
    writeServerTiming(response, timing);
    expect(headers.get('server-timing')).toBe('hf;dur=2;desc="1 call"');
  });
});
