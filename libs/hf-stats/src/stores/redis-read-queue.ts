/**
 * The sessions this replica still has to read in full from Redis (written here but not cached yet, or left unread
 * by a call whose read budget ran out), oldest wish first, each once. Bounded: past `bound` ids the newest wish is
 * dropped (that session then shows what this replica wrote, plus what it last read, until it is listed or ends).
 */
export class RedisReadQueue {
  private readonly ids = new Set<string>();

  constructor(private readonly bound: number) {}

  get size(): number {
    return this.ids.size;
  }

  add(sessionId: string): void {
    if (this.ids.size < this.bound) {
      this.ids.add(sessionId);
    }
  }

  /** Removes and returns up to `count` ids, oldest first. */
  take(count: number): string[] {
    const taken: string[] = [];
    for (const sessionId of this.ids) {
      if (taken.length === count) {
        break;
      }
      taken.push(sessionId);
    }
    for (const sessionId of taken) {
      this.ids.delete(sessionId);
    }
    return taken;
  }

  clear(): void {
    this.ids.clear();
  }
}
