import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HfStatsRecorder } from '../recording/hf-stats.recorder.js';

/** The tracked calls that ended while one HTTP request was handled. */
export class RequestTiming {
  callCount = 0;
  /** Sum of the calls' durations: parallel calls count each in full. */
  totalMs = 0;

  /** `hf;dur=<ms>;desc="<n> calls"`. */
  toHeaderValue(): string {
    const dur = Math.round(this.totalMs * 10) / 10;
    return `hf;dur=${dur};desc="${this.callCount} ${this.callCount === 1 ? 'call' : 'calls'}"`;
  }
}

/** One store for the process: `onCall` runs in the async context of the call, so it finds its request there. */
const requestTimings = new AsyncLocalStorage<RequestTiming>();

/**
 * Feeds the per-request timings from the app's calls: one listener per app, added when the module starts
 * (the interceptor may be instantiated several times, in the app's own modules too).
 */
@Injectable()
export class HfStatsServerTiming implements OnModuleInit, OnModuleDestroy {
  private removeListener: (() => void) | undefined;

  constructor(private readonly recorder: HfStatsRecorder) {}

  onModuleInit(): void {
    if (!this.recorder.options.serverTiming || this.removeListener !== undefined) {
      return;
    }
    this.removeListener = this.recorder.addListener({
      onCall: (call) => {
        const timing = requestTimings.getStore();
        if (timing !== undefined) {
          timing.callCount += 1;
          timing.totalMs += call.durationMs;
        }
      },
    });
  }

  onModuleDestroy(): void {
    this.removeListener?.();
    this.removeListener = undefined;
  }
}

/**
 * Runs `fn` with a fresh per-request timing, unless one is already active (an interceptor bound
 * twice); returns undefined then, so that only the outermost one writes the header.
 */
export function runWithRequestTiming<T>(fn: (timing: RequestTiming | undefined) => T): T {
  if (requestTimings.getStore() !== undefined) {
    return fn(undefined);
  }
  const timing = new RequestTiming();
  return requestTimings.run(timing, () => fn(timing));
}

/** The HTTP response objects of Express (`setHeader`/`getHeader`) and Fastify (`header`/`getHeader`/`sent`). */
interface HeaderTarget {
  headersSent?: boolean;
  sent?: boolean;
  getHeader?(name: string): unknown;
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

/** Adds the `Server-Timing` entry when the request made tracked calls and the headers are not sent yet. */
export function writeServerTiming(response: unknown, timing: RequestTiming): void {
  if (timing.callCount === 0 || response === null || typeof response !== 'object') {
    return;
  }
  const target = response as HeaderTarget;
  if (target.headersSent === true || target.sent === true) {
    return;
  }
  const existing = target.getHeader?.('server-timing');
  const value = timing.toHeaderValue();
  const combined = typeof existing === 'string' && existing !== '' ? `${existing}, ${value}` : value;
  // Fastify's reply has `header`; Express's response has both, and `setHeader` is Node's own.
  if (typeof target.setHeader === 'function') {
    target.setHeader('Server-Timing', combined);
  } else if (typeof target.header === 'function') {
    target.header('Server-Timing', combined);
  }
}
