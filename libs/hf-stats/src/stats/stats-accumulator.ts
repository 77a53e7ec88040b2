import type { HfCallRecord } from './hf-call-record.js';
import type { HfStats } from './hf-stats.interfaces.js';

function roundMs(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function isoOrNull(epochMs: number): string | null {
  return epochMs === 0 ? null : new Date(epochMs).toISOString();
}

/** Running figures of one scope. Plain numbers only, so that adding a call allocates nothing. */
export class StatsAccumulator {
  callCount = 0;
  textCount = 0;
  errorCount = 0;
  totalTimeMs = 0;
  minTimeMs = Number.POSITIVE_INFINITY;
  maxTimeMs = 0;
  firstCallAt = 0;
  lastCallAt = 0;

  add(call: HfCallRecord): void {
    this.callCount += 1;
    this.textCount += call.textCount;
    if (!call.ok) {
      this.errorCount += 1;
    }
    this.totalTimeMs += call.durationMs;
    if (call.durationMs < this.minTimeMs) {
      this.minTimeMs = call.durationMs;
    }
    if (call.durationMs > this.maxTimeMs) {
      this.maxTimeMs = call.durationMs;
    }
    if (this.firstCallAt === 0) {
      this.firstCallAt = call.endedAt;
    }
    if (call.endedAt > this.lastCallAt) {
      this.lastCallAt = call.endedAt;
    }
  }

  reset(): void {
    Object.assign(this, new StatsAccumulator());
  }

  toJSON(): HfStats {
    const hasCalls = this.callCount > 0;
    return {
      callCount: this.callCount,
      textCount: this.textCount,
      errorCount: this.errorCount,
      totalTimeMs: roundMs(this.totalTimeMs),
      avgTimeMs: hasCalls ? roundMs(this.totalTimeMs / this.callCount) : null,
      minTimeMs: hasCalls ? roundMs(this.minTimeMs) : null,
      maxTimeMs: hasCalls ? roundMs(this.maxTimeMs) : null,
      firstCallAt: isoOrNull(this.firstCallAt),
      lastCallAt: isoOrNull(this.lastCallAt),
    };
  }
}
