import type { PendingCall } from '../stats/pending-call.js';

/** Bodies larger than this are not read for usage: their tokens come from headers, or stay unmeasured. */
const MAX_USAGE_BODY = 8_000_000;

/** The last `data:` event of a server-sent stream that is JSON with a `usage`: the final usage chunk. */
function lastUsageEvent(events: string): unknown {
  const lines = events.split('\n');
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const line = lines[index].trim();
    if (!line.startsWith('data:') || !line.includes('"usage"')) {
      continue;
    }
    try {
      return JSON.parse(line.slice(5)) as unknown;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function readUsageBody(response: Response): Promise<unknown> {
  const type = response.headers.get('content-type') ?? '';
  const length = Number(response.headers.get('content-length') ?? 0);
  if (response.body === null || length > MAX_USAGE_BODY) {
    return Promise.resolve(undefined);
  }
  if (type.includes('json')) {
    // A copy of the body: the caller reads its own, untouched.
    return response.clone().json();
  }
  if (type.includes('text/event-stream')) {
    return response
      .clone()
      .text()
      .then((events) => lastUsageEvent(events));
  }
  return Promise.resolve(undefined);
}

/**
 * Ends the call of a request counted by itself: a status >= 400 fails it under that status; else it
 * ends when its body has arrived, with the tokens of a JSON body or of a stream's final usage chunk
 * (TEI and TGI headers count through the attempt). The caller gets the very same promise.
 */
export function observeResponse(call: PendingCall, result: unknown): unknown {
  (result as Promise<Response>).then(
    (response) => {
      if (!response.ok) {
        call.fail({ name: 'HttpError', status: response.status });
        return;
      }
      let reading: Promise<unknown>;
      try {
        reading = readUsageBody(response);
      } catch {
        reading = Promise.resolve(undefined);
      }
      reading.then(
        (body) => {
          call.observeResult(body);
          call.succeed();
        },
        () => call.succeed(),
      );
    },
    (error: unknown) => call.fail(error),
  );
  return result;
}
