import type { HfComputeHeaders } from '../fetch/compute-headers.js';
import type { CallHold } from '../sessions/session-lifecycle.js';
import { boundedName } from './call-names.js';
import { errorTypeOf, noAttempts, type HfCallAttempts, type HfCallRecord } from './hf-call-record.js';
import { cleanUsage, openAiUsageOf, type HfTokenUsage } from './usage.js';

/** Where a finished call goes. Implemented by `HfStatsRecorder`; must never throw. */
export interface HfCallSink {
  /**
   * Records the call and releases what it held from its start (its place in flight, its budget reservation).
   * `handedOver`: the caller made `call` for this and never reads it again, so it may be priced in place rather
   * than in a copy.
   */
  recordCall(call: HfCallRecord, hold?: CallHold, handedOver?: boolean): void;
  reportFailure(error: unknown): void;
  recordUntrackedAttempt(): void;
  /** Releases what an unrecorded call held from its start. */
  releaseCall(hold: CallHold): void;
}

/** What a call site (the decorator, a tracked fetch) needs of the recorder: `HfStatsService` is one. */
export interface HfCallRecorder extends HfCallSink {
  /** The session of the current context, if any. */
  currentSessionId(): string | undefined;
  /** Starts a call, or throws the budget refusal that the call site passes on to its caller. */
  startCall(start: HfCallStart): PendingCall;
  /**
   * As `startCall`, for a call site that can wait (a method that returns a promise): with a cluster-wide budget
   * and no lease in hand, a promise of the call once one lease call has decided it (rejected with the refusal).
   */
  beginCall(start: HfCallStart): PendingCall | Promise<PendingCall>;
}

/** What a call sends, read once at its start. */
export interface HfCallStart {
  sessionId: string | undefined;
  /** Model and operation as `boundedName` leaves them: the record keeps them as they are. */
  model: string | undefined;
  /** The provider the call named (its `provider` argument, the decorator's option, `hf-endpoint`), bounded. */
  provider?: string | undefined;
  operation: string | undefined;
  textCount: number;
  characterCount: number | undefined;
  /** Reads tokens from a result or stream chunk; default: an OpenAI-compatible `usage` object. */
  usageOf: ((result: unknown) => unknown) | undefined;
}

/** The provider of a call to a dedicated Inference Endpoint. */
export const HF_ENDPOINT = 'hf-endpoint';

function sum(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : a + b;
}

/**
 * A tracked call in flight: what it sends is read at its start; results, stream chunks and HTTP
 * attempts are observed while it runs; its outcome is recorded once, at its end.
 */
export class PendingCall {
  private finished = false;
  private readonly startedAt = performance.now();
  private usage: HfTokenUsage | undefined = undefined;
  private attempts: HfCallAttempts | undefined = undefined;
  /** Told once, when the call ends (see {@link onEnd}). */
  private endListener: (() => void) | undefined = undefined;

  constructor(
    private readonly sink: HfCallSink,
    private readonly start: HfCallStart,
    /** Released exactly once, when the call finishes, whichever way. */
    private readonly hold?: CallHold,
  ) {}

  get sessionId(): string | undefined {
    return this.start.sessionId;
  }

  /** False once the call is recorded (or discarded): a tracked client made later starts a call of its own. */
  get open(): boolean {
    return !this.finished;
  }

  /**
   * Registers the one listener of the call's end, recorded or discarded (the call context lets its own storage go
   * then). False when the call has ended already, or has a listener.
   */
  onEnd(listener: () => void): boolean {
    if (this.finished || this.endListener !== undefined) {
      return false;
    }
    this.endListener = listener;
    return true;
  }

  /**
   * Tokens of a tracked client's call that joined this one (made inside it): they count here, unless
   * this call's own result reports tokens later.
   */
  joinUsage(usage: HfTokenUsage | undefined): void {
    if (!this.finished && usage !== undefined) {
      this.usage = usage;
    }
  }

  /** Looks for token usage in a result or a stream chunk; the last one that has it wins. */
  observeResult(value: unknown): void {
    if (this.finished) {
      return;
    }
    try {
      const usage = this.start.usageOf === undefined ? openAiUsageOf(value) : cleanUsage(this.start.usageOf(value));
      if (usage !== undefined) {
        this.usage = usage;
      }
    } catch (error) {
      this.sink.reportFailure(error);
    }
  }

  /** One HTTP attempt made for this call: its status (undefined when no response came) and headers. */
  recordAttempt(
    status: number | undefined,
    headers: HfComputeHeaders | undefined,
    request?: { billTo: string | undefined; endpoint: boolean },
  ): void {
    if (this.finished) {
      // Made after the call returned (an un-awaited request, say): its record is written already.
      this.sink.recordUntrackedAttempt();
      return;
    }
    const attempts = (this.attempts ??= noAttempts());
    attempts.count += 1;
    if (status !== undefined) {
      attempts.statusCodes.push(status);
      if (status === 429) {
        attempts.rateLimitedCount += 1;
      }
    }
    if (headers !== undefined) {
      attempts.requestId = headers.requestId ?? attempts.requestId;
      // A failed attempt's compute was spent too: compute time adds up; the rest is the last answer's.
      attempts.computeTimeMs = sum(attempts.computeTimeMs, headers.computeTimeMs);
      attempts.computeCharacters = headers.computeCharacters ?? attempts.computeCharacters;
      attempts.computeTokens = headers.computeTokens ?? attempts.computeTokens;
      attempts.promptTokens = headers.promptTokens ?? attempts.promptTokens;
      attempts.generatedTokens = headers.generatedTokens ?? attempts.generatedTokens;
      attempts.queueTimeMs = sum(attempts.queueTimeMs, headers.queueTimeMs);
      attempts.inferenceTimeMs = sum(attempts.inferenceTimeMs, headers.inferenceTimeMs);
      attempts.invalidHeaderCount += headers.invalidHeaderCount;
      attempts.provider = headers.provider ?? attempts.provider;
      attempts.computeType = headers.computeType ?? attempts.computeType;
    }
    if (request !== undefined) {
      attempts.billTo = request.billTo ?? attempts.billTo;
      attempts.endpoint ||= request.endpoint;
    }
  }

  succeed(): void {
    this.finish(true, undefined);
  }

  fail(error: unknown): void {
    this.finish(false, error);
  }

  /**
   * Ends a call whose result was dropped unfinished (a stream read in part, then collected): a
   * success, timed until `lastActiveAt` (a `performance.now()`), its last sign of life.
   */
  abandon(lastActiveAt: number): void {
    this.finish(true, undefined, lastActiveAt);
  }

  /** Drops the call unrecorded: its work did not happen (an Observable, timed per subscription instead). */
  discard(): void {
    if (this.finished) {
      return;
    }
    this.finished = true;
    if (this.hold !== undefined) {
      this.sink.releaseCall(this.hold);
    }
    this.ended();
  }

  private finish(ok: boolean, error: unknown, lastActiveAt?: number): void {
    if (this.finished) {
      return;
    }
    this.finished = true;
    const now = performance.now();
    const durationMs = (lastActiveAt ?? now) - this.startedAt;
    const { sessionId, model, operation, textCount, characterCount } = this.start;
    const tokens = this.usage ?? this.tokensFromHeaders();
    const attempts = this.attempts;
    this.sink.recordCall(
      {
        sessionId,
        model,
        // The server's word first: with provider 'auto' only the router knows which provider served the call.
        provider: attempts?.provider ?? this.start.provider ?? (attempts?.endpoint === true ? HF_ENDPOINT : undefined),
        billTo: attempts?.billTo,
        operation,
        textCount,
        characterCount,
        durationMs: durationMs > 0 ? durationMs : 0,
        ok,
        errorType: ok ? undefined : boundedName(safeErrorType(error)),
        endedAt: lastActiveAt === undefined ? Date.now() : Date.now() - (now - lastActiveAt),
        inputTokens: tokens?.inputTokens,
        outputTokens: tokens?.outputTokens,
        computeTimeMs: this.attempts?.computeTimeMs,
        attempts: this.attempts,
        costNanoUsd: undefined,
        priceSource: undefined,
      },
      this.hold,
      true,
    );
    this.ended();
  }

  /** Tells the end listener, once; never throws (a finished call is recorded already). */
  private ended(): void {
    const listener = this.endListener;
    if (listener === undefined) {
      return;
    }
    this.endListener = undefined;
    try {
      listener();
    } catch (error) {
      this.sink.reportFailure(error);
    }
  }

  /** TGI reports prompt and generated tokens in headers, TEI the tokens it embedded. */
  private tokensFromHeaders(): HfTokenUsage | undefined {
    const attempts = this.attempts;
    if (attempts === undefined) {
      return undefined;
    }
    if (attempts.promptTokens !== undefined || attempts.generatedTokens !== undefined) {
      return { inputTokens: attempts.promptTokens, outputTokens: attempts.generatedTokens };
    }
    return attempts.computeTokens === undefined ? undefined : { inputTokens: attempts.computeTokens };
  }
}

function safeErrorType(error: unknown): string {
  try {
    return errorTypeOf(error);
  } catch {
    return 'Error';
  }
}
