import type { HfStatsRecorder } from '../recording/hf-stats.recorder.js';

/**
 * Which app's recorder (`HfStatsRecorder`) a call site reaches. Decorators and the tracked fetch have no DI, and one
 * process may run several apps (parallel e2e suites): each provider or controller instance made by
 * an app is bound to that app's recorder when the app starts (see `HfStatsExplorer`); any other
 * caller reaches the most recent app still running.
 */
const running: HfStatsRecorder[] = [];
const bound = new WeakMap<object, HfStatsRecorder>();
const boundBy = new Map<HfStatsRecorder, object[]>();
const decorated = new WeakSet<object>();

/** Called by `@TrackHFCall` with the class prototype (or constructor, for a static method) it decorates. */
export function markDecorated(target: object): void {
  decorated.add(target);
}

/** True when `instance` has a decorated method, its own or inherited. */
export function hasDecoratedMethods(instance: object): boolean {
  for (let prototype = Object.getPrototypeOf(instance) as object | null; prototype !== null;) {
    if (decorated.has(prototype)) {
      return true;
    }
    prototype = Object.getPrototypeOf(prototype) as object | null;
  }
  return false;
}

/** Marks `recorder` as running: it becomes the fallback of callers that no app made. */
export function recorderStarted(recorder: HfStatsRecorder): void {
  if (!running.includes(recorder)) {
    running.push(recorder);
  }
}

/** Forgets `recorder` and the instances bound to it; another app's recorder is never touched. */
export function recorderStopped(recorder: HfStatsRecorder): void {
  const index = running.indexOf(recorder);
  if (index !== -1) {
    running.splice(index, 1);
  }
  for (const instance of boundBy.get(recorder) ?? []) {
    if (bound.get(instance) === recorder) {
      bound.delete(instance);
    }
  }
  boundBy.delete(recorder);
}

/** Routes the decorated calls of an instance made by an app to that app's recorder. */
export function bindInstance(instance: object, recorder: HfStatsRecorder): void {
  bound.set(instance, recorder);
  let instances = boundBy.get(recorder);
  if (instances === undefined) {
    instances = [];
    boundBy.set(recorder, instances);
  }
  instances.push(instance);
}

/** The most recent recorder still running, or undefined when none is. */
export function latestRecorder(): HfStatsRecorder | undefined {
  return running.at(-1);
}

/** The recorder of the app that made `target` (a method's `this`), else the most recent one running. */
export function recorderFor(target: unknown): HfStatsRecorder | undefined {
  if (target !== null && (typeof target === 'object' || typeof target === 'function')) {
    const recorder = bound.get(target);
    if (recorder !== undefined) {
      return recorder;
    }
  }
  return running.at(-1);
}
