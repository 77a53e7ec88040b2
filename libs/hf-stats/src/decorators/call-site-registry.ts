import type { HfCallRecorder } from '../stats/pending-call.js';

/**
 * Which `HfStatsService` a call site reaches. Decorators and the tracked fetch have no DI, and one
 * process may run several apps (parallel e2e suites): each provider or controller instance made by
 * an app is bound to that app's service when the app starts (see `HfStatsExplorer`); any other
 * caller reaches the most recent app still running.
 */
const running: HfCallRecorder[] = [];
const bound = new WeakMap<object, HfCallRecorder>();
const boundBy = new Map<HfCallRecorder, object[]>();
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

/** Marks `service` as running: it becomes the fallback of callers that no app made. */
export function serviceStarted(service: HfCallRecorder): void {
  if (!running.includes(service)) {
    running.push(service);
  }
}

/** Forgets `service` and the instances bound to it; another app's service is never touched. */
export function serviceStopped(service: HfCallRecorder): void {
  const index = running.indexOf(service);
  if (index !== -1) {
    running.splice(index, 1);
  }
  for (const instance of boundBy.get(service) ?? []) {
    if (bound.get(instance) === service) {
      bound.delete(instance);
    }
  }
  boundBy.delete(service);
}

/** Routes the decorated calls of an instance made by an app to that app's service. */
export function bindInstance(instance: object, service: HfCallRecorder): void {
  bound.set(instance, service);
  let instances = boundBy.get(service);
  if (instances === undefined) {
    instances = [];
    boundBy.set(service, instances);
  }
  instances.push(instance);
}

/** The most recent service still running, or undefined when none is. */
export function latestService(): HfCallRecorder | undefined {
  return running.at(-1);
}

/** The service of the app that made `target` (a method's `this`), else the most recent one running. */
export function serviceFor(target: unknown): HfCallRecorder | undefined {
  if (target !== null && (typeof target === 'object' || typeof target === 'function')) {
    const service = bound.get(target);
    if (service !== undefined) {
      return service;
    }
  }
  return running.at(-1);
}
