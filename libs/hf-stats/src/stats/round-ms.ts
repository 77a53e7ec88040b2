/** Milliseconds as they are reported (JSON, log lines, timeline): to the microsecond. */
export function roundMs(value: number): number {
  return Math.round(value * 1000) / 1000;
}
