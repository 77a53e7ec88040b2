import type { HfSessionPageQuery } from '../sessions/session-page.js';
import { SESSION_PAGE_BYTES_PER_SESSION, sessionPageAnswer } from '../sessions/session-query.js';
import type { HfSessionPage, HfStatsSnapshot } from '../stats/hf-stats.interfaces.js';
import type { HfStatsRecorder } from './hf-stats.recorder.js';

/**
 * One page of sessions for a query already checked, within `maxBytes` of session JSON (by default
 * `SESSION_PAGE_BYTES_PER_SESSION` per session asked for).
 */
export function readSessionPage(
  recorder: HfStatsRecorder,
  query: HfSessionPageQuery,
  maxBytes = query.limit * SESSION_PAGE_BYTES_PER_SESSION,
): HfSessionPage {
  const page = recorder.store.listSessions(query);
  return sessionPageAnswer(page, page.items, maxBytes);
}

/** What `GET /hf-stats` answers: the store's global figures, the module's counters and one page of sessions. */
export function readSnapshot(recorder: HfStatsRecorder, query: HfSessionPageQuery): HfStatsSnapshot {
  const { store } = recorder;
  const snapshot: HfStatsSnapshot = {
    global: store.globalStats(),
    ...readSessionPage(recorder, query),
    rejectedSessionIdCount: recorder.rejectedSessionIdCount,
    sessionOverflowCount: store.sessionOverflowCount,
    untrackedAttemptCount: recorder.untrackedAttemptCount,
    internalErrorCount: recorder.internalErrorCount,
  };
  if (store.type !== 'memory') {
    // True while the shared store is unreachable: the figures miss other replicas' latest ones.
    snapshot.partial = store.partial;
    snapshot.lostCallCount = store.lostCallCount ?? 0;
  }
  return snapshot;
}
