import { sessionJson } from '../sessions/session-entry.js';
import type { HfSessionStats } from '../stats/hf-stats.interfaces.js';
import type { SessionView } from './redis-flush-plan.js';
import { ScopeDelta } from './scope-delta.js';

/*
 * How a replica puts one session together from its parts: the cluster's figures as last read, then the buffer of
 * the flush under way, then the pending buffer.
 */

/** A session's lifecycle seen from here: the cluster's (last read) and this replica's buffered parts together. */
export interface SessionTimes {
  startedAt: number;
  lastActivityAt: number;
  endedAt: number;
}

/** A session as Redis holds it (the fields of its hash), its times moved to this replica's clock. */
export function remoteView(fields: Map<string, string>, clockOffset: number, maxModels: number): SessionView {
  const lastActivityAt = Number(fields.get('lastActivityAt')) - clockOffset;
  const startedAt = Number(fields.get('startedAt')) - clockOffset;
  return {
    delta: ScopeDelta.fromHash(fields, maxModels),
    startedAt: Number.isFinite(startedAt) ? startedAt : lastActivityAt,
    lastActivityAt,
    endedAt: fields.get('ended') === '1' ? Number(fields.get('endedAt')) - clockOffset || Date.now() : 0,
  };
}

/** Folds one part (remote first, then the buffers, oldest first) into a lifecycle. */
export function fold(view: SessionTimes, part: SessionView | undefined, first: boolean): boolean {
  if (part === undefined) {
    return first;
  }
  if (first) {
    view.startedAt = part.startedAt;
    view.lastActivityAt = 0;
    view.endedAt = 0;
  }
  view.startedAt = Math.min(view.startedAt, part.startedAt);
  view.lastActivityAt = Math.max(view.lastActivityAt, part.lastActivityAt);
  // Activity buffered here after the cluster's end reopens the session, as the next flush will in Redis.
  if (part.endedAt !== 0 || part.lastActivityAt > view.endedAt) {
    view.endedAt = part.endedAt;
  }
  return false;
}

/** The figures of the parts, merged. */
export function deltaOf(parts: ReadonlyArray<SessionView | undefined>, maxModels: number): ScopeDelta {
  const delta = new ScopeDelta(maxModels);
  for (const part of parts) {
    if (part !== undefined) {
      delta.merge(part.delta);
    }
  }
  return delta;
}

/** The JSON of a session seen from here, as the memory store writes its own. */
export function sessionJsonOf(sessionId: string, lifecycle: SessionTimes, delta: ScopeDelta): HfSessionStats {
  const { startedAt, lastActivityAt, endedAt } = lifecycle;
  return sessionJson(sessionId, startedAt, lastActivityAt, endedAt === 0 ? undefined : endedAt, delta.toJSON());
}
