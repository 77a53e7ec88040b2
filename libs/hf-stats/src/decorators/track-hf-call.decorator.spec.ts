import { Controller, Get, Injectable, type INestApplication } from '@nestjs/common';
import { Interval, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { Readable } from 'node:stream';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HfStatsModule } from '../hf-stats.module.js';
import { HfStatsService } from '../hf-stats.service.js';
import { latestRecorder } from './call-site-registry.js';
import { TrackHFCall } from './track-hf-call.decorator.js';

class SecretError extends Error {
  status = 503;
}

@Injectable()
class FixtureClient {
  readonly label = 'client';
  received: unknown[] = [];

  constructor(readonly stats: HfStatsService) {}

  @TrackHFCall({ operation: 'feature-extraction' })
  async embed(input: { model: string; inputs: string[] }): Promise<number[][]> {
    this.received.push(input);
    await Promise.resolve();
    return input.inputs.map(() => [0.1, 0.2]);
  }

  @TrackHFCall({ model: 'sync-model' })
  label2(text: string): string {
    return `${this.label}:${text}`;
  }

  @TrackHFCall()
  syncFailure(_text: string): never {
    throw new RangeError('boom');
  }

  @TrackHFCall({ model: 'm' })
  async asyncFailure(_inputs: string[]): Promise<never> {
    await Promise.resolve();
    throw new SecretError('do not log me');
  }

  @TrackHFCall<[{ model: string }, string, string[]]>({
    model: (options, suffix) => `${options.model}${suffix}`,
    texts: (_options, _suffix, texts) => texts.length * 2,
  })
  custom(_options: { model: string }, _suffix: string, texts: string[]): number {
    return texts.length;
  }

  @TrackHFCall({
    texts(this: FixtureClient) {
      return this.label.length;
    },
  })
  countsFromInstance(): string {
    return this.label;
  }

  @TrackHFCall({ texts: () => Number.NaN, model: () => 'bad-count' })
  badTextCount(): string {
    return 'still fine';
  }

  @TrackHFCall({
    texts: () => {
      throw new Error('stats failure');
    },
  })
  throwingTextCount(): string {
    return 'still fine';
  }

  @TrackHFCall({ operation: 'chat-completion', model: 'chat' })
  async *stream(chunks: string[], failAt = -1): AsyncGenerator<string> {
    for (const [index, chunk] of chunks.entries()) {
      if (index === failAt) {
        throw new Error('stream broke');
      }
      await Promise.resolve();
      yield chunk;
    }
  }

  @TrackHFCall({ model: 'chat' })
  async streamLater(chunks: string[]): Promise<AsyncIterable<string>> {
    await Promise.resolve();
    return this.plainStream(chunks);
  }

  @TrackHFCall()
  readable(): Readable {
    return Readable.from(['a', 'b']);
  }

  private async *plainStream(chunks: string[]): AsyncGenerator<string> {
    for (const chunk of chunks) {
      yield chunk;
    }
  }
}

describe('@TrackHFCall', () => {
  let client: FixtureClient;
  let stats: HfStatsService;
  let close: () => Promise<void>;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HfStatsModule.forRoot({ controller: false, log: false })],
      providers: [FixtureClient],
    }).compile();
    await moduleRef.init();
    client = moduleRef.get(FixtureClient);
    stats = moduleRef.get(HfStatsService);
    close = () => moduleRef.close();
  });

  afterEach(async () => {
    await close();
  });

  it('gets its dependencies by constructor injection (decorator metadata is emitted)', () => {
    expect(client.stats).toBeInstanceOf(HfStatsService);
  });

  it('records an async call with its model, operation and texts, and returns the same value', async () => {
    const input = { model: 'BAAI/bge-small-en-v1.5', inputs: ['a', 'b', 'c'] };
    const result = await client.embed(input);
    expect(result).toEqual([
      [0.1, 0.2],
      [0.1, 0.2],
      [0.1, 0.2],
    ]);
    expect(client.received[0]).toBe(input);
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, textCount: 3, errorCount: 0 });
    expect(stats.getGlobalStats().totalTimeMs).toBeGreaterThanOrEqual(0);
    expect(stats.getGlobalStats().lastCallAt).not.toBeNull();
  });

  it('keeps a sync method sync and keeps `this`', () => {
    const result = client.label2('x');
    expect(result).toBe('client:x');
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, textCount: 1, errorCount: 0 });
  });

  it('rethrows the same error of a sync method after recording the failure', () => {
    let thrown: unknown;
    try {
      client.syncFailure('x');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RangeError);
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, errorCount: 1 });
  });

  it('rejects with the same error object of an async method after recording the failure', async () => {
    const promise = client.asyncFailure(['a', 'b']);
    const error = await promise.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(SecretError);
    expect((error as Error).message).toBe('do not log me');
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, textCount: 2, errorCount: 1 });
  });

  it('passes the arguments as they were passed to the model and texts functions', () => {
    expect(client.custom({ model: 'base' }, '-v2', ['a', 'b'])).toBe(2);
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, textCount: 4 });
  });

  it("calls the option functions with the method's `this`", () => {
    expect(client.countsFromInstance()).toBe('client');
    expect(stats.getGlobalStats().textCount).toBe('client'.length);
  });

  it('never lets a failing statistics step change the outcome', () => {
    expect(client.badTextCount()).toBe('still fine');
    expect(client.throwingTextCount()).toBe('still fine');
    const snapshot = stats.getSnapshot();
    expect(snapshot.internalErrorCount).toBe(2);
    // Both calls are counted, each with what is known: a bad or throwing count counts 0 texts.
    expect(snapshot.global.callCount).toBe(2);
    expect(snapshot.global.textCount).toBe(0);
  });

  it('times a stream until its iteration finishes', async () => {
    const seen: string[] = [];
    const stream = client.stream(['a', 'b', 'c']);
    for await (const chunk of stream) {
      seen.push(chunk);
      expect(stats.getGlobalStats().callCount).toBe(0);
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, errorCount: 0 });
  });

  it('ends a stream call when the iteration breaks', async () => {
    for await (const chunk of client.stream(['a', 'b', 'c'])) {
      if (chunk === 'b') {
        break;
      }
    }
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, errorCount: 0 });
  });

  it('records a stream that throws as failed and rethrows', async () => {
    const seen: string[] = [];
    const iterate = async (): Promise<void> => {
      for await (const chunk of client.stream(['a', 'b', 'c'], 2)) {
        seen.push(chunk);
      }
    };
    await expect(iterate()).rejects.toThrow('stream broke');
    expect(seen).toEqual(['a', 'b']);
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, errorCount: 1 });
  });

  it('times a stream returned by an async method', async () => {
    const seen: string[] = [];
    for await (const chunk of await client.streamLater(['x', 'y'])) {
      seen.push(chunk);
    }
    expect(seen).toEqual(['x', 'y']);
    expect(stats.getGlobalStats().callCount).toBe(1);
  });

  it('returns a Node stream as it is', async () => {
    const stream = client.readable();
    expect(stream).toBeInstanceOf(Readable);
    expect(stats.getGlobalStats().callCount).toBe(1);
    stream.destroy();
  });

  it('counts a call in the session it was made in', async () => {
    await stats.runInSession('job-1', () => client.embed({ model: 'm', inputs: ['a'] }));
    await client.embed({ model: 'm', inputs: ['b', 'c'] });
    expect(stats.getSessionStats('job-1')).toMatchObject({ callCount: 1, textCount: 1 });
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 2, textCount: 3 });
  });
});

describe('@TrackHFCall without a running HfStatsModule', () => {
  it('runs the method untouched', async () => {
    expect(latestRecorder()).toBeUndefined();
    const client = new FixtureClient(undefined as never);
    await expect(client.embed({ model: 'm', inputs: ['a'] })).resolves.toEqual([[0.1, 0.2]]);
    expect(() => client.syncFailure('x')).toThrow(RangeError);
  });

  it('refuses a non-method with a clear error', () => {
    const decorate = TrackHFCall() as (target: object, key: string, descriptor: PropertyDescriptor) => void;
    expect(() => decorate({}, 'field', { value: 42 })).toThrow(/applies to methods; "field" is not one/);
  });
});

@Controller('stacked')
class StackedController {
  @Get('outer')
  @TrackHFCall({ model: 'outer' })
  outer(): { ok: true } {
    return { ok: true };
  }

  @TrackHFCall({ model: 'inner' })
  @Get('inner')
  async inner(): Promise<{ ok: true }> {
    await Promise.resolve();
    return { ok: true };
  }
}

describe('@TrackHFCall stacked with @Get, in both orders', () => {
  let app: INestApplication;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HfStatsModule.forRoot({ log: false })],
      controllers: [StackedController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterEach(async () => {
    await app.close();
  });

  it('keeps the routes and tracks their calls', async () => {
    await request(app.getHttpServer()).get('/stacked/outer').set('x-session-id', 's1').expect(200, { ok: true });
    await request(app.getHttpServer()).get('/stacked/inner').set('x-session-id', 's1').expect(200, { ok: true });
    const stats = app.get(HfStatsService);
    expect(stats.getSessionStats('s1')?.callCount).toBe(2);
  });
});

@Injectable()
class IntervalJobs {
  @Interval('outer-job', 1000)
  @TrackHFCall({ model: 'outer' })
  outer(): void {}

  @TrackHFCall({ model: 'inner' })
  @Interval('inner-job', 1000)
  inner(): void {}
}

describe('@TrackHFCall stacked with @Interval, in both orders', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps the jobs scheduled and tracks their runs', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ScheduleModule.forRoot(), HfStatsModule.forRoot({ controller: false, log: false })],
      providers: [IntervalJobs],
    }).compile();
    await moduleRef.init();
    expect(moduleRef.get(SchedulerRegistry).getIntervals()).toEqual(expect.arrayContaining(['inner-job', 'outer-job']));
    vi.advanceTimersByTime(3000);
    expect(moduleRef.get(HfStatsService).getGlobalStats().callCount).toBe(6);
    await moduleRef.close();
  });
});
