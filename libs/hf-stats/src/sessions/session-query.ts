import { invalidSessionRequest, SESSION_QUERY_PROBLEMS } from '../hf-stats.messages.js';
import type { HfSessionPage, HfSessionStats } from '../stats/hf-stats.interfaces.js';
import { decodeSessionCursor, encodeSessionCursor } from './session-cursor.js';
import type { HfSessionKey, HfSessionPageOf, HfSessionPageQuery } from './session-page.js';

/** Sessions on a page when the reader names no `limit`. */
export const DEFAULT_SESSION_PAGE_SIZE = 100;
/** Most sessions on one page. */
export const MAX_SESSION_PAGE_SIZE = 1000;

/** Which sessions `HfStatsService.listSessions` returns. */
export interface HfSessionFilter {
  /** Only the active sessions (`true`) or only the ended ones (`false`). Default: both. */
  active?: boolean;
  /** Only the sessions whose id starts with this. Default: every id. */
  idPrefix?: string;
  /** At most this many. Default all (`listSessions`), 100 (`listSessionsPage`, at most 1,000). */
  limit?: number;
}

/** A page of sessions asked for in code (`HfStatsService.listSessionsPage`, `getSnapshot`). */
export interface HfSessionPageRequest extends HfSessionFilter {
  /** The `nextCursor` of the previous page. Default: the first page. */
  cursor?: string;
}

/** What is wrong with a request, in words that never repeat the value (it may come from a client). */
export interface SessionQueryProblem {
  problem: string;
}

export function isSessionQueryProblem(value: object): value is SessionQueryProblem {
  return 'problem' in value;
}

/** The query a page request stands for, or what is wrong with it. Never throws. */
export function resolveSessionPageRequest(
  request: HfSessionPageRequest,
  maxIdLength: number,
): HfSessionPageQuery | SessionQueryProblem {
  const { limit = DEFAULT_SESSION_PAGE_SIZE, active, idPrefix, cursor } = request;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SESSION_PAGE_SIZE) {
    return { problem: SESSION_QUERY_PROBLEMS.limit(MAX_SESSION_PAGE_SIZE) };
  }
  if (active !== undefined && typeof active !== 'boolean') {
    return { problem: SESSION_QUERY_PROBLEMS.active };
  }
  if (idPrefix !== undefined && (typeof idPrefix !== 'string' || idPrefix.length > maxIdLength)) {
    return { problem: SESSION_QUERY_PROBLEMS.prefix(maxIdLength) };
  }
  const after = cursor === undefined ? undefined : decodeSessionCursor(cursor, maxIdLength);
  if (cursor !== undefined && after === undefined) {
    return { problem: SESSION_QUERY_PROBLEMS.cursor };
  }
  return { limit, active, idPrefix: idPrefix === '' ? undefined : idPrefix, after };
}

/**
 * The query of an HTTP request (`?limit=&active=&prefix=&cursor=`), or what is wrong with it. A parameter
 * given twice arrives as an array and is refused; an empty `cursor` or `prefix` means none. Never throws.
 */
export function sessionQueryOf(
  query: Record<string, unknown>,
  maxIdLength: number,
): HfSessionPageQuery | SessionQueryProblem {
  const { limit, active, prefix, cursor } = query;
  const request: HfSessionPageRequest = {};
  if (limit !== undefined) {
    if (typeof limit !== 'string' || !/^[0-9]{1,7}$/.test(limit)) {
      return { problem: SESSION_QUERY_PROBLEMS.limit(MAX_SESSION_PAGE_SIZE) };
    }
    request.limit = Number(limit);
  }
  if (active !== undefined) {
    if (active !== 'true' && active !== 'false') {
      return { problem: SESSION_QUERY_PROBLEMS.active };
    }
    request.active = active === 'true';
  }
  if (prefix !== undefined) {
    if (typeof prefix !== 'string') {
      return { problem: SESSION_QUERY_PROBLEMS.prefix(maxIdLength) };
    }
    request.idPrefix = prefix;
  }
  if (cursor !== undefined) {
    if (typeof cursor !== 'string') {
      return { problem: SESSION_QUERY_PROBLEMS.cursor };
    }
    request.cursor = cursor === '' ? undefined : cursor;
  }
  return resolveSessionPageRequest(request, maxIdLength);
}

/**
 * The query a page request of code stands for (`listSessionsPage`, `getSnapshot`).
 * @throws TypeError naming `method` and what is wrong, never the value.
 */
export function checkedSessionQuery(request: unknown, maxIdLength: number, method: string): HfSessionPageQuery {
  const query =
    request !== null && typeof request === 'object'
      ? resolveSessionPageRequest(request, maxIdLength)
      : { problem: SESSION_QUERY_PROBLEMS.request };
  if (isSessionQueryProblem(query)) {
    throw invalidSessionRequest(method, query.problem);
  }
  return query;
}

/**
 * Bytes of session JSON a page may hold per session asked for (`limit`): 600 KB at the default 100. A
 * session of a few models takes 1 to 2 KB, so ordinary pages are full; a page of sessions that used many
 * models (each one's figures are listed) stops early, after at least one session, and `nextCursor` goes
 * on from there. So `GET <path>` stays under 1 MB by default, whatever its sessions hold.
 */
export const SESSION_PAGE_BYTES_PER_SESSION = 6 * 1024;

/**
 * The JSON answer for a page: its sessions (within `maxBytes` of JSON, at least one), the cursor after the
 * last one, and the counts.
 */
export function sessionPageAnswer(
  page: HfSessionPageOf<unknown>,
  sessions: HfSessionStats[],
  maxBytes = Number.POSITIVE_INFINITY,
): HfSessionPage {
  let next = page.next;
  let kept = sessions;
  if (maxBytes !== Number.POSITIVE_INFINITY) {
    let bytes = 0;
    for (let i = 0; i < sessions.length; i += 1) {
      bytes += Buffer.byteLength(JSON.stringify(sessions[i]));
      if (bytes > maxBytes && i > 0) {
        kept = sessions.slice(0, i);
        next = keyOfSession(sessions[i - 1]);
        break;
      }
    }
  }
  return {
    sessions: kept,
    nextCursor: next === undefined ? null : encodeSessionCursor(next),
    matchCount: page.matchCount,
    sessionCount: page.sessionCount,
    activeSessionCount: page.activeSessionCount,
  };
}

/** The key of a listed session; its times are whole milliseconds, so the ISO text gives them back exactly. */
function keyOfSession(session: HfSessionStats): HfSessionKey {
  return { active: session.active, lastActivityAt: Date.parse(session.lastActivityAt), sessionId: session.sessionId };
}
