import type { HfSessionPageQuery } from '../sessions/session-page.js';
import { SESSION_PAGE_BYTES_PER_SESSION, sessionPageAnswer } from '../sessions/session-query.js';
import type { HfSessionPage, HfSessionStats, HfStatsSnapshot } from '../stats/hf-stats.interfaces.js';
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
  return snapshotOf(recorder, readSessionPage(recorder, query));
}

/** The snapshot around a page of sessions already read. */
function snapshotOf(recorder: HfStatsRecorder, page: HfSessionPage): HfStatsSnapshot {
  const { store } = recorder;
  const snapshot: HfStatsSnapshot = {
    global: store.globalStats(),
    ...page,
    rejectedSessionIdCount: recorder.rejectedSessionIdCount,
    sessionOverflowCount: store.sessionOverflowCount,
    untrackedAttemptCount: recorder.untrackedAttemptCount,
    internalErrorCount: recorder.internalErrorCount,
  };
  if (store.type !== 'memory') {
    // True while the shared store is unreachable: the figures miss other replicas' latest ones.
    snapshot.partial = store.partial || page.partial === true;
    snapshot.lostCallCount = store.lostCallCount ?? 0;
  }
  return snapshot;
}

/**
 * As {@link readSessionPage}, but of every session the store holds (with Redis: the whole cluster's, read now).
 * `partial` is set with a shared store only: true when it could not be read and the page is this process's view.
 */
export async function fetchSessionPage(
  recorder: HfStatsRecorder,
  query: HfSessionPageQuery,
  maxBytes = query.limit * SESSION_PAGE_BYTES_PER_SESSION,
): Promise<HfSessionPage> {
  const { store } = recorder;
  if (store.readSessions === undefined) {
    return readSessionPage(recorder, query, maxBytes);
  }
  const { value: page, partial } = await store.readSessions(query, maxBytes);
  return { ...sessionPageAnswer(page, page.items, maxBytes), partial };
}

/** As {@link readSnapshot}, with the page of {@link fetchSessionPage}: partial when the figures or the page are. */
export async function fetchSnapshot(recorder: HfStatsRecorder, query: HfSessionPageQuery): Promise<HfStatsSnapshot> {
  return snapshotOf(recorder, await fetchSessionPage(recorder, query));
}

/**
 * One session as the store holds it now (with Redis: any session of the cluster); `partial: true` is added when
 * a shared store could not be read and the answer is this process's view.
 */
export async function fetchSession(recorder: HfStatsRecorder, sessionId: string): Promise<HfSessionStats | undefined> {
  const { store } = recorder;
  // An id this module refuses was never recorded under it: no round trip for it (it may be any client input).
  if (store.readSession === undefined || !recorder.isAllowedSessionId(sessionId)) {
    return store.sessionStats(sessionId);
  }
  const { value, partial } = await store.readSession(sessionId);
  return value === undefined || !partial ? value : { ...value, partial };
}
