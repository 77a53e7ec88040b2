import type { HfStatsRecorder } from './hf-stats.recorder.js';

/**
 * The recorder behind each `HfStatsService`: how the public classes that are handed the service (the
 * interceptor, the controller base, `createHfStatsFetch`) reach it without it being a member of the service.
 */
const recorders = new WeakMap<object, HfStatsRecorder>();

export function bindRecorder(service: object, recorder: HfStatsRecorder): void {
  recorders.set(service, recorder);
}

/** The recorder of a service, or undefined for anything that is not an `HfStatsService`. */
export function recorderOf(service: unknown): HfStatsRecorder | undefined {
  return service !== null && typeof service === 'object' ? recorders.get(service) : undefined;
}
