import { errorTypeOf, type HfCallRecord } from './hf-call-record.js';

/** Where a finished call goes. Implemented by `HfStatsService`; must never throw. */
export interface HfCallSink {
  recordCall(call: HfCallRecord): void;
}

/** A tracked call in flight: what it sends is read at its start, its outcome once, at its end. */
export class PendingCall {
  private finished = false;
  private readonly startedAt = performance.now();

  constructor(
    private readonly sink: HfCallSink,
    private readonly sessionId: string | undefined,
    private readonly model: string | undefined,
    private readonly operation: string | undefined,
    private readonly textCount: number,
  ) {}

  succeed(): void {
    this.finish(true, undefined);
  }

  fail(error: unknown): void {
    this.finish(false, error);
  }

  private finish(ok: boolean, error: unknown): void {
    if (this.finished) {
      return;
    }
    this.finished = true;
    const durationMs = performance.now() - this.startedAt;
    this.sink.recordCall({
      sessionId: this.sessionId,
      model: this.model,
      operation: this.operation,
      textCount: this.textCount,
      durationMs: durationMs > 0 ? durationMs : 0,
      ok,
      errorType: ok ? undefined : safeErrorType(error),
      endedAt: Date.now(),
    });
  }
}

function safeErrorType(error: unknown): string {
  try {
    return errorTypeOf(error);
  } catch {
    return 'Error';
  }
}
