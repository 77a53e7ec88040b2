/**
 * One order and one keyset pager for every session listing (the memory registry and the Redis store):
 * active sessions first, then the most recently active, ties broken by session id. A page starts after
 * the key of the last session of the previous page, so sessions added or used meanwhile never shift it.
 */

/** Where a session sits in the listing order. */
export interface HfSessionKey {
  active: boolean;
  /** Epoch milliseconds. */
  lastActivityAt: number;
  sessionId: string;
}

/** What one page asks for, already validated. */
export interface HfSessionPageQuery {
  /** Only active (`true`) or only ended (`false`) sessions; undefined for both. */
  active?: boolean;
  /** Only sessions whose id starts with this. */
  idPrefix?: string;
  /** Most sessions on the page: a positive integer, or `Infinity` for every match. */
  limit: number;
  /** Start after this key (from the cursor of the previous page). */
  after?: HfSessionKey;
}

/** A page of items, with the counts a reader needs to know what it did not get. */
export interface HfSessionPageOf<T> {
  items: T[];
  /** Key of the last item, when more items match after it. */
  next: HfSessionKey | undefined;
  /** Sessions matching the query's filters, on every page. */
  matchCount: number;
  /** Every session listed here, whatever the filters. */
  sessionCount: number;
  activeSessionCount: number;
}

/** Negative when `a` is listed before `b`. */
export function compareSessionKeys(a: HfSessionKey, b: HfSessionKey): number {
  if (a.active !== b.active) {
    return a.active ? -1 : 1;
  }
  if (a.lastActivityAt !== b.lastActivityAt) {
    return b.lastActivityAt - a.lastActivityAt;
  }
  return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
}

function matches(key: HfSessionKey, query: HfSessionPageQuery): boolean {
  return (
    (query.active === undefined || key.active === query.active) &&
    (query.idPrefix === undefined || key.sessionId.startsWith(query.idPrefix))
  );
}

/**
 * One page of `items` in the listing order. One pass over the items with a bounded insertion of
 * `limit + 1` candidates, instead of a sort of all: a page of 100 out of 10,000 sessions. An
 * infinite limit (every match) sorts once.
 */
export function pageSessions<T>(
  items: Iterable<T>,
  keyOf: (item: T) => HfSessionKey,
  query: HfSessionPageQuery,
): HfSessionPageOf<T> {
  const keep = query.limit + 1;
  const kept: Array<{ key: HfSessionKey; item: T }> = [];
  let matchCount = 0;
  let sessionCount = 0;
  let activeSessionCount = 0;
  for (const item of items) {
    const key = keyOf(item);
    sessionCount += 1;
    if (key.active) {
      activeSessionCount += 1;
    }
    if (!matches(key, query)) {
      continue;
    }
    matchCount += 1;
    if (query.after !== undefined && compareSessionKeys(key, query.after) <= 0) {
      continue;
    }
    if (keep === Number.POSITIVE_INFINITY) {
      kept.push({ key, item });
      continue;
    }
    if (kept.length === keep && compareSessionKeys(key, kept[keep - 1].key) >= 0) {
      continue;
    }
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareSessionKeys(kept[middle].key, key) <= 0) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    kept.splice(low, 0, { key, item });
    if (kept.length > keep) {
      kept.pop();
    }
  }
  if (keep === Number.POSITIVE_INFINITY) {
    kept.sort((a, b) => compareSessionKeys(a.key, b.key));
  }
  const more = kept.length > query.limit;
  const page = more ? kept.slice(0, query.limit) : kept;
  return {
    items: page.map((entry) => entry.item),
    next: more ? page.at(-1)?.key : undefined,
    matchCount,
    sessionCount,
    activeSessionCount,
  };
}
