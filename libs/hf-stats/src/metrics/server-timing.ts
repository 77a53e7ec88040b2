import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { REQUEST_TIMING_CLS_KEY } from '../hf-stats.internal-constants.js';
import { HfStatsRecorder } from '../recording/hf-stats.recorder.js';

/** The tracked calls that ended while one HTTP request was handled. */
export class RequestTiming {
  /**
   * Whether this process has made one yet. Until then no call can have a timing to feed, and the listener skips its
   * lookup in the nestjs-cls store: about 100 ns per call on Node 20 (`executionAsyncResource`), which calls made
   * outside HTTP requests (jobs, queues, scripts) would otherwise pay for nothing.
   */
  static made = false;
  callCount = 0;
  /** Sum of the calls' durations: parallel calls count each in full. */
  totalMs = 0;

  /**
   * @param response the request's Node.js response (Express's, or Fastify's `reply.raw`): given, the header is
   * added when its head is written, whoever writes it; without it, the interceptor writes it (`writeServerTiming`).
   * @param reportFailure told of a failure to add the header, which never stops the response.
   */
  constructor(
    private readonly response?: unknown,
    private readonly reportFailure?: (error: unknown) => void,
  ) {
    RequestTiming.made = true;
  }

  /** Counts a call that ended; the first one makes the response's head carry the header. */
  add(durationMs: number): void {
    this.callCount += 1;
    this.totalMs += durationMs;
    if (this.callCount === 1 && this.response !== undefined) {
      addWhenHeadIsWritten(this.response, this, this.reportFailure);
    }
  }

  /** `hf;dur=<ms>;desc="<n> calls"`. */
  toHeaderValue(): string {
    const dur = Math.round(this.totalMs * 10) / 10;
    return `hf;dur=${dur};desc="${this.callCount} ${this.callCount === 1 ? 'call' : 'calls'}"`;
  }
}

/**
 * Feeds the per-request timings from the app's calls: one listener per app, added when the module starts
 * (the interceptor may be instantiated several times, in the app's own modules too).
 */
@Injectable()
export class HfStatsServerTiming implements OnModuleInit, OnModuleDestroy {
  private removeListener: (() => void) | undefined;

  constructor(
    private readonly recorder: HfStatsRecorder,
    private readonly cls: ClsService,
  ) {}

  onModuleInit(): void {
    if (!this.recorder.options.serverTiming || this.removeListener !== undefined) {
      return;
    }
    this.removeListener = this.recorder.addListener({
      // The request's timing is in the nestjs-cls store its binding opened (`sessions/request-context.ts`).
      onCall: (call) => {
        if (RequestTiming.made) {
          this.cls.get<RequestTiming | undefined>(REQUEST_TIMING_CLS_KEY)?.add(call.durationMs);
        }
      },
    });
  }

  onModuleDestroy(): void {
    this.removeListener?.();
    this.removeListener = undefined;
  }
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
  const value = combined(target.getHeader?.('server-timing'), timing);
  // Fastify's reply has `header`; Express's response has both, and `setHeader` is Node's own.
  if (typeof target.setHeader === 'function') {
    target.setHeader('Server-Timing', value);
  } else if (typeof target.header === 'function') {
    target.header('Server-Timing', value);
  }
}

/** What `writeHead` is called with: `(status, headers?)` or `(status, message, headers?)`. */
type WriteHead = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Makes the next `writeHead` of a Node.js response add the request's entry first (then restores the method), so
 * that the header is written once, with every call that ended before the head went out, whichever code sends it:
 * Nest's response, an exception filter, or a handler that sends it itself. Express writes its headers with
 * `setHeader` before `writeHead`; Fastify hands its own to `writeHead` as an object, which is where its
 * `Server-Timing` (and so the app's entries) is then. Nothing when the head is already out.
 */
function addWhenHeadIsWritten(
  response: unknown,
  timing: RequestTiming,
  reportFailure: ((error: unknown) => void) | undefined,
): void {
  const target = response as HeaderTarget & { writeHead?: WriteHead };
  if (target === null || typeof target !== 'object' || target.headersSent === true) {
    return;
  }
  const writeHead = target.writeHead;
  if (typeof writeHead !== 'function') {
    return;
  }
  target.writeHead = function writeHeadWithServerTiming(this: unknown, ...args: unknown[]): unknown {
    target.writeHead = writeHead;
    try {
      addToHead(target, args, timing);
    } catch (error) {
      reportFailure?.(error);
    }
    return writeHead.apply(this, args);
  };
}

function addToHead(target: HeaderTarget, args: unknown[], timing: RequestTiming): void {
  const last = args.at(-1);
  const headers =
    args.length > 1 && last !== null && typeof last === 'object' && !Array.isArray(last)
      ? (last as Record<string, unknown>)
      : undefined;
  const key =
    headers === undefined ? undefined : Object.keys(headers).find((name) => name.toLowerCase() === 'server-timing');
  if (headers !== undefined && key !== undefined) {
    headers[key] = combined(headers[key], timing);
    return;
  }
  target.setHeader?.('Server-Timing', combined(target.getHeader?.('server-timing'), timing));
}

function combined(existing: unknown, timing: RequestTiming): string {
  const value = timing.toHeaderValue();
  return typeof existing === 'string' && existing !== '' ? `${existing}, ${value}` : value;
}
