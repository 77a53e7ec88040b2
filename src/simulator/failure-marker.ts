/** `[fail:503]` anywhere in an input makes the simulator answer that status. */
const FAILURE_MARKER = /\[fail:(\d{3})\]/;

/** The status requested by the first failure marker among `texts`, if any (4xx and 5xx only). */
export function requestedFailureStatus(texts: Iterable<string>): number | undefined {
  for (const text of texts) {
    const match = FAILURE_MARKER.exec(text);
    if (match !== null) {
      const status = Number(match[1]);
      if (status >= 400 && status <= 599) {
        return status;
      }
    }
  }
  return undefined;
}
