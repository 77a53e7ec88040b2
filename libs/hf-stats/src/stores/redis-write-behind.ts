import type { Logger } from '@nestjs/common';
import { redisFlushFailure, redisUnwrittenAtClose } from '../hf-stats.messages.js';
import type { HfRedisStoreSettings } from './hf-stats-store.options.js';
import type { RedisChunkSender } from './redis-chunk-sender.js';
import { FlushBuffer, planChunks, type FlushChunk, type InFlightFlush } from './redis-flush-plan.js';
import type { FlushReply } from './redis-script-runner.js';

/** Flushes `close()` makes at most, so that calls recorded during the last ones are written too. */
const CLOSE_ROUNDS = 5;

/** What the store does with each chunk's answer: refresh its cluster view. */
export type ReplyHandler = (chunk: FlushChunk, flush: InFlightFlush, reply: FlushReply, clockOffset: number) => void;

/**
 * The write-behind protocol of the Redis store (docs/redis-protocol.md): calls are buffered in `pending` (no
 * I/O on the call's path); every `flushIntervalMs` the buffer becomes the flush in flight, sent in bounded,
 * numbered chunks; a failed flush is resumed first by the next one. One flush at a time.
 */
export class RedisWriteBehind {
  /** What was recorded since the last flush began. */
  pending: FlushBuffer;
  /** The flush being sent, or the one a failure interrupted (resumed first). */
  inFlight: InFlightFlush | undefined;
  private flushing: Promise<void> | undefined;
  private flushStartedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private warnedFailure = false;

  constructor(
    private readonly sender: RedisChunkSender,
    private readonly settings: HfRedisStoreSettings,
    private readonly maxModels: number,
    private readonly logger: Logger,
    /** Whether a session's cluster figures are cached here (then its flush reads back its lifecycle only). */
    private readonly caches: (sessionId: string) => boolean,
    private readonly onReply: ReplyHandler,
  ) {
    this.pending = new FlushBuffer(maxModels);
  }

  /** Whether a flush has waited for Redis longer than one flush interval. */
  get overdue(): boolean {
    return this.flushStartedAt !== 0 && Date.now() - this.flushStartedAt > this.settings.flushIntervalMs;
  }

  /** Mounts the flush timer and flushes once now. */
  start(): void {
    if (this.timer === undefined) {
      // A tick while a flush is still waiting for Redis adds nothing: that flush carries the buffer on.
      this.timer = setInterval(() => {
        if (this.flushing === undefined) {
          this.flush().catch(() => undefined);
        }
      }, this.settings.flushIntervalMs);
      this.timer.unref();
      this.flush().catch(() => undefined);
    }
  }

  /** Forgets what is buffered and not yet sent. */
  reset(): void {
    this.pending = new FlushBuffer(this.maxModels);
  }

  /**
   * Writes what is buffered now (after a failed flush, its remaining chunks first) and lets the store refresh
   * its view; waits for a flush in progress first. Never rejects: on failure the figures stay buffered.
   */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) {
      await this.flushing;
    }
    const flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
      this.flushStartedAt = 0;
      this.generation += 1;
    });
    this.flushing = flushing;
    this.generation += 1;
    await flushing;
  }

  /** Changes when a flush starts and when it ends: a read of Redis that saw it unchanged saw no chunk half-applied. */
  generation = 0;

  /**
   * Settles when no flush is under way (at once if none is): a read of Redis made then sees every chunk that
   * Redis applied already gone from the buffers, so that nothing is shown twice.
   */
  async idle(): Promise<void> {
    while (this.flushing !== undefined) {
      await this.flushing;
    }
  }

  /** Flushes until everything recorded so far is written (or Redis fails); warns of what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    try {
      for (let round = 0; round < CLOSE_ROUNDS; round++) {
        await this.flush();
        if (this.sender.failed || (this.inFlight === undefined && this.pending.isEmpty)) {
          break;
        }
      }
      const unwritten = (this.inFlight?.buffer.callCount ?? 0) + this.pending.callCount;
      if (unwritten > 0) {
        this.logger.warn(redisUnwrittenAtClose(unwritten));
      }
    } catch (error) {
      this.reportFailure(error);
    }
  }

  private async flushOnce(): Promise<void> {
    this.flushStartedAt = Date.now();
    try {
      const resumed = this.inFlight !== undefined;
      // Back after a failure: what was buffered meanwhile goes now too, not one interval later.
      if ((await this.sendFlush()) && resumed && !this.pending.isEmpty) {
        await this.sendFlush();
      }
    } catch (error) {
      this.reportFailure(error);
    }
  }

  /** Sends the remaining chunks of the flush under way, or of the pending buffer. True when all were applied. */
  private async sendFlush(): Promise<boolean> {
    if (this.inFlight === undefined) {
      const buffer = this.pending;
      // Sessions not cached here are read back in full; cached ones get what this replica wrote added.
      const chunks = planChunks(
        'd',
        buffer.sessions,
        buffer.global,
        buffer.ends,
        true,
        undefined,
        (sessionId) => !this.caches(sessionId),
      );
      this.inFlight = { buffer, chunks, next: 0 };
      this.pending = new FlushBuffer(this.maxModels);
    }
    const flush = this.inFlight;
    const done = await this.sender.send(flush, (chunk, reply, clockOffset) => {
      if (chunk.final) {
        // Its last answer holds the whole cluster view: the buffer is no longer shown beside it.
        this.inFlight = undefined;
      }
      this.onReply(chunk, flush, reply, clockOffset);
    });
    if (done) {
      this.inFlight = undefined;
    }
    return done;
  }

  private reportFailure(error: unknown): void {
    if (!this.warnedFailure) {
      this.warnedFailure = true;
      this.logger.warn(redisFlushFailure(error));
    }
  }
}
