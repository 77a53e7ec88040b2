import { AsyncLocalStorage } from 'node:async_hooks';
import type { HfStatsRecorder } from '../recording/hf-stats.recorder.js';

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

/** Recorders that already feed `requestTimings`: each interceptor instance shares one listener per app. */
const listenedServices = new WeakSet<HfStatsRecorder>();

function ensureListener(stats: HfStatsRecorder): void {
  if (listenedServices.has(stats)) {
    return;
  }
  listenedServices.add(stats);
  stats.addListener({
    onCall: (call) => {
      const timing = requestTimings.getStore();
      if (timing !== undefined) {
        timing.callCount += 1;
        timing.totalMs += call.durationMs;
      }
    },
  });
}

/**
 * Runs `fn` with a fresh per-request timing, unless one is already active (an interceptor bound
 * twice); returns undefined then, so that only the outermost one writes the header.
 */
export function runWithRequestTiming<T>(stats: HfStatsRecorder, fn: (timing: RequestTiming | undefined) => T): T {
  if (requestTimings.getStore() !== undefined) {
    return fn(undefined);
  }
  ensureListener(stats);
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
