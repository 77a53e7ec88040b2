import type { Logger } from '@nestjs/common';
import { redisFlushFailure, redisUnwrittenAtClose } from '../hf-stats.messages.js';
import type { HfRedisStoreSettings } from './hf-stats-store.options.js';
import type { RedisChunkSender } from './redis-chunk-sender.js';
import {
  FlushBuffer,
  GLOBAL_SCAN,
  MAX_READ_IDS,
  readChunk,
  type FlushChunk,
  type InFlightFlush,
} from './redis-flush-plan.js';
import { planChunks } from './redis-chunk-planner.js';
import { RedisReadQueue } from './redis-read-queue.js';
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
  /** Sessions to read in full, carried over calls and flushes (bounded by maxSessions). */
  private readonly reads: RedisReadQueue;

  constructor(
    private readonly sender: RedisChunkSender,
    private readonly settings: HfRedisStoreSettings,
    private readonly maxModels: number,
    maxSessions: number,
    private readonly logger: Logger,
    /** Whether a session's cluster figures are cached here (then its flush reads back its lifecycle only). */
    private readonly caches: (sessionId: string) => boolean,
    private readonly onReply: ReplyHandler,
  ) {
    this.pending = new FlushBuffer(maxModels);
    this.reads = new RedisReadQueue(maxSessions);
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
    this.reads.clear();
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

  /**
   * Sends the remaining chunks of the flush under way, or of the pending buffer, then the reads its calls left
   * (bounded calls: redis-flush-plan.ts). True when all were applied.
   */
  private async sendFlush(): Promise<boolean> {
    if (this.inFlight === undefined) {
      const buffer = this.pending;
      // Sessions not cached here are read back in full; cached ones get what this replica wrote added.
      for (const sessionId of buffer.sessions.keys()) {
        if (!this.caches(sessionId)) {
          this.reads.add(sessionId);
        }
      }
      const chunks = planChunks('d', buffer.sessions, buffer.global, buffer.ends, true);
      const final = chunks[chunks.length - 1];
      final.reads = { list: true, sweep: true, ids: this.reads.take(MAX_READ_IDS), scan: GLOBAL_SCAN };
      this.inFlight = { buffer, chunks, next: 0 };
      this.pending = new FlushBuffer(this.maxModels);
    }
    const flush = this.inFlight;
    const done = await this.sender.send(flush, (chunk, reply, clockOffset) => {
      this.onReply(chunk, flush, reply, clockOffset);
      const scan = reply[2];
      if (scan[0] === '' && scan[1] === '0') {
        // The cluster's global figures are read whole: the buffer is no longer shown beside them.
        this.inFlight = undefined;
      }
      this.followReads(flush, chunk, reply);
    });
    if (done) {
      this.inFlight = undefined;
    } else if (this.inFlight === undefined) {
      // Reads not made: asked again by the next flush (a session read in pieces, from its start).
      for (const chunk of flush.chunks.slice(flush.next)) {
        for (const sessionId of chunk.reads?.ids ?? []) {
          this.reads.add(sessionId);
        }
        if (chunk.reads?.scan !== undefined && chunk.reads.scan.id !== '') {
          this.reads.add(chunk.reads.scan.id);
        }
      }
    }
    return done;
  }

  /** Queues what a call left unread; after the flush's last chunk, one more call while reads or a sweep remain. */
  private followReads(flush: InFlightFlush, chunk: FlushChunk, reply: FlushReply): void {
    for (const sessionId of reply[10]) {
      this.reads.add(sessionId);
    }
    const isLast = flush.chunks[flush.chunks.length - 1] === chunk;
    const more = reply[12] === '1' && (chunk.reads?.list === true || chunk.reads?.sweep === true);
    const piece = reply[2];
    const scan = piece.length === 3 && piece[1] !== '0' ? { id: piece[0], cursor: piece[1] } : undefined;
    if (isLast && chunk.reads !== undefined && (this.reads.size > 0 || more || scan !== undefined)) {
      flush.chunks.push(readChunk({ list: false, sweep: more, ids: this.reads.take(MAX_READ_IDS), scan }));
    }
  }

  private reportFailure(error: unknown): void {
    if (!this.warnedFailure) {
      this.warnedFailure = true;
      this.logger.warn(redisFlushFailure(error));
    }
  }
}
