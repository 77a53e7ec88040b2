import { randomUUID } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import { redisDataLost, redisReachable, redisUnreachable } from '../hf-stats.messages.js';
import { MAX_COUNTER_KEYS } from '../stats/stats-accumulator.js';
import type { HfRedisClient, HfRedisStoreSettings } from './hf-stats-store.options.js';
import { replanRest } from './redis-chunk-planner.js';
import { RedisContribution } from './redis-contribution.js';
import { readBudgetOf, sweepLimitOf, TRIM_LIMIT, type FlushChunk, type InFlightFlush } from './redis-flush-plan.js';
import { RedisScriptRunner, type FlushReply } from './redis-script-runner.js';

/** What the store does with the answer to a chunk that Redis applied (now or at an earlier attempt). */
export type ChunkApplied = (chunk: FlushChunk, reply: FlushReply, clockOffset: number) => void;

/**
 * Sends the chunks of a flush, one at a time and in order (docs/redis-protocol.md): numbers them, keeps this
 * replica's contribution, notices that Redis lost its data (another epoch) and restores the contribution first.
 */
export class RedisChunkSender {
  /** Script calls answered, for the benchmark and tests. */
  roundTripCount = 0;
  /** True until a flush succeeds, and again after one fails. */
  failed = true;
  /** The cluster's call count at the last read (what a restore tells the loss counter it saw). */
  seenCalls = 0;
  readonly runner: RedisScriptRunner;
  readonly contribution: RedisContribution;
  /** This process's name in the chunk markers, the number of its last chunk, and the epoch it writes in. */
  private readonly replicaId = randomUUID();
  private chunkSeq = 0;
  private epoch = '';
  private lostInPastEpochs = 0;
  private lostInEpoch = 0;
  private warnedDown = false;

  constructor(
    redis: HfRedisClient,
    private readonly settings: HfRedisStoreSettings,
    private readonly limits: { maxModels: number; maxSessions: number; sessionIdleTimeoutMs: number },
    private readonly logger: Logger,
    /** Called when Redis lost its data: the store's cache of the cluster's sessions is of the lost epoch. */
    private readonly onDataLost: () => void,
  ) {
    this.runner = new RedisScriptRunner(redis, settings.commandTimeoutMs);
    this.contribution = new RedisContribution(limits.maxModels, limits.maxSessions);
  }

  /** Calls Redis lost that no running replica could write again, over every loss seen. */
  get lostCallCount(): number {
    return this.lostInPastEpochs + this.lostInEpoch;
  }

  /** Sends the remaining chunks of `flush`. True when all were applied; on failure they stay, numbered. */
  async send(flush: InFlightFlush, applied: ChunkApplied): Promise<boolean> {
    while (flush.next < flush.chunks.length) {
      const chunk = flush.chunks[flush.next];
      if (chunk.kind !== 'q') {
        chunk.seq ??= ++this.chunkSeq;
      }
      let reply: FlushReply;
      let sentAt: number;
      try {
        [reply, sentAt] = await this.runner.run((now) => this.argsOf(chunk, now));
      } catch (error) {
        // Kept as it is, with its number: the next flush sends it again and the script applies it at most once.
        this.failed = true;
        if (!this.warnedDown) {
          this.warnedDown = true;
          this.logger.warn(redisUnreachable(error));
        }
        return false;
      }
      this.roundTripCount += 1;
      if (reply[0] === -1) {
        this.restoreInto(flush, reply[1]);
        continue;
      }
      flush.next += 1;
      this.epoch = reply[1];
      this.lostInEpoch = reply[6];
      if (chunk.kind === 'd') {
        // Status 0: an earlier attempt was applied, its answer lost; the figures are in Redis all the same.
        this.contribution.add(chunk);
      }
      applied(chunk, reply, reply[8] - sentAt);
    }
    this.failed = false;
    this.runner.connectionDown = false;
    if (this.warnedDown) {
      this.warnedDown = false;
      this.logger.log(redisReachable());
    }
    return true;
  }

  private argsOf(chunk: FlushChunk, now: number): string[] {
    const { settings, limits } = this;
    const reads = chunk.reads;
    const args = [
      settings.keyPrefix,
      this.replicaId,
      String(now),
      String(settings.sessionRetentionMs),
      String(limits.sessionIdleTimeoutMs),
      String(reads?.list === true ? settings.listedSessions : 0),
      String(Math.max(settings.sessionRetentionMs, 3_600_000)),
      String(chunk.seq ?? ''),
      this.epoch,
      String(limits.maxModels),
      String(MAX_COUNTER_KEYS),
      String(limits.maxSessions),
      chunk.kind,
      String(chunk.seenCalls),
      String(chunk.restoredCalls),
      String(sweepLimitOf(chunk)),
      String(reads === undefined ? 0 : readBudgetOf(chunk)),
      String(TRIM_LIMIT),
    ].concat(chunk.body);
    if (reads === undefined) {
      args.push('0', '0');
      return args;
    }
    args.push(String(reads.ids.length));
    const withIds = args.concat(reads.ids);
    if (reads.scan === undefined) {
      withIds.push('0');
    } else {
      withIds.push('1', reads.scan.id, reads.scan.cursor);
    }
    return withIds;
  }

  /**
   * Redis is in another epoch than the one this replica wrote in: it lost the data. This replica's contribution
   * goes first (new numbers), then the chunks not yet applied (planned and numbered again: the new epoch never saw
   * them).
   */
  private restoreInto(flush: InFlightFlush, epoch: string): void {
    this.epoch = epoch;
    this.lostInPastEpochs += this.lostInEpoch;
    this.lostInEpoch = 0;
    // Numbered again, and the pieces of a scope begun in the lost epoch sent whole.
    const rest = replanRest(flush.chunks.slice(flush.next).filter((chunk) => chunk.kind !== 'r'));
    const restore = this.contribution.restoreChunks(this.seenCalls);
    flush.chunks.splice(flush.next, flush.chunks.length - flush.next, ...restore, ...rest);
    this.onDataLost();
    this.logger.warn(redisDataLost(this.contribution.global.total.callCount));
  }
}
