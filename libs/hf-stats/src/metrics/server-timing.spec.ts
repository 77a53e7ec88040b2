import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Answers one request on a real Node.js server with `respond`, and returns the response's Server-Timing. */
async function serverTimingOf(respond: (response: ServerResponse) => void): Promise<string | undefined> {
  const server = createServer((_request, response) => respond(response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    await answer.text();
    return answer.headers.get('server-timing') ?? undefined;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('RequestTiming with a response: the header goes out with the head', () => {
  it("adds the entry to headers handed to writeHead (Fastify's way), after the app's own", async () => {
    const header = await serverTimingOf((response) => {
      const timing = new RequestTiming(response);
      timing.add(5);
      timing.add(2.5);
      response.writeHead(200, { 'server-timing': 'db;dur=1', 'content-type': 'text/plain' });
      response.end('ok');
    });
    expect(header).toBe('db;dur=1, hf;dur=7.5;desc="2 calls"');
  });

  it("adds the entry to headers set before an implicit head (Express's way)", async () => {
    const header = await serverTimingOf((response) => {
      const timing = new RequestTiming(response);
      response.setHeader('Server-Timing', 'cache;desc=hit');
      timing.add(3);
      response.end('ok');
    });
    expect(header).toBe('cache;desc=hit, hf;dur=3;desc="1 call"');
  });

  it('adds nothing without calls, or for calls that end after the head went out', async () => {
    expect(
      await serverTimingOf((response) => {
        const timing = new RequestTiming(response);
        response.end('ok');
        expect(timing.callCount).toBe(0);
      }),
    ).toBeUndefined();
    expect(
      await serverTimingOf((response) => {
        const timing = new RequestTiming(response);
        response.writeHead(200);
        timing.add(1);
        response.end('ok');
      }),
    ).toBeUndefined();
  });

  it('reports a failure to add it and still sends the response', async () => {
    const failures: unknown[] = [];
    const header = await serverTimingOf((response) => {
      const timing = new RequestTiming(response, (error) => failures.push(error));
      timing.add(1);
      response.getHeader = () => {
        throw new Error('broken getHeader');
      };
      response.end('ok');
    });
    expect(header).toBeUndefined();
    expect(failures).toHaveLength(1);
  });
});
