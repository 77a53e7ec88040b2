import type { HfStatsStore } from './hf-stats-store.js';

/**
 * The default store: readers see this process's own figures, which `HfStatsService` keeps in memory anyway,
 * so this store holds nothing itself.
 */
export class HfMemoryStore implements HfStatsStore {
  readonly type = 'memory';
  readonly partial = false;
  readonly sharedSessions = false;
  readonly sessionOverflowCount = 0;

  start(): void {}

  record(): void {}

  touchSession(): void {}

  endSession(): void {}

  globalStats(): undefined {
    return undefined;
  }

  sessionStats(): null {
    return null;
  }

  listSessions(): undefined {
    return undefined;
  }

  recentActiveSessions(): undefined {
    return undefined;
  }

  activeSessionCount(): undefined {
    return undefined;
  }

  reset(): void {}

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
