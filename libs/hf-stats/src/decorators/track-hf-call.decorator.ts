import { decoratorNotOnMethod } from '../hf-stats.messages.js';
import { callContext } from '../stats/call-context.js';
import { PendingCall } from '../stats/pending-call.js';
import { copyMethodMetadata } from '../utils/copy-method-metadata.js';
import { markDecorated, recorderFor } from './call-site-registry.js';
import { readCallStart } from './call-start.js';
import { observeCallResult } from './observe-call-result.js';
import { refusedObservable, type SubscriptionStart } from './time-subscriptions.js';
import type { TrackHFCallOptions } from './track-hf-call.options.js';

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

function rethrow(error: unknown): never {
  throw error;
}

/** Runs the method as the tracked call `call` (its context), and ends the call with the method's result. */
function runTracked(
  method: AnyMethod,
  self: unknown,
  args: unknown[],
  call: PendingCall,
  startCall: SubscriptionStart,
): unknown {
  let result: unknown;
  try {
    result = callContext.enabled ? callContext.run(call, () => method.apply(self, args)) : method.apply(self, args);
  } catch (error) {
    call.fail(error);
    throw error;
  }
  return observeCallResult(call, result, startCall);
}

/**
 * Tracks every call of the decorated method as a Hugging Face call: counted, timed, and put in the
 * current session. Transparent: same return value, same error, a sync method stays sync. Without a
 * running `HfStatsModule` the method runs untouched. With a budget on the Redis store (cluster-wide), a
 * method that returns a promise may wait for one lease call before it runs; a sync one is decided at once
 * (see the README, "Budgets for the whole cluster").
 */
export function TrackHFCall<TArgs extends unknown[] = unknown[]>(
  options: TrackHFCallOptions<TArgs> = {},
): MethodDecorator {
  const spec = { ...options } as TrackHFCallOptions;
  return (target, propertyKey, descriptor) => {
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') {
      throw decoratorNotOnMethod(propertyKey);
    }
    const method = original as AnyMethod;
    // A budget refusal reaches the caller of a method that returns a promise as a rejection, as the
    // method's own errors do: declared `async`, or typed `Promise` (TypeScript's design:returntype).
    const returnType: unknown = Reflect.getMetadata('design:returntype', target, propertyKey);
    const isAsync = Object.prototype.toString.call(method) === '[object AsyncFunction]' || returnType === Promise;
    // Typed `Observable`: the refusal is the Observable's error, as @nestjs/axios reports its own.
    const isObservable = typeof returnType === 'function' && returnType.name === 'Observable';
    markDecorated(target);
    const tracked = function (this: unknown, ...args: unknown[]): unknown {
      // The app that made `this` (see HfStatsExplorer), else the most recent app still running.
      const recorder = recorderFor(this);
      if (recorder === undefined) {
        return method.apply(this, args);
      }
      const start = readCallStart(recorder, spec, this, args);
      if (start === undefined) {
        return method.apply(this, args);
      }
      // Starts the call of each subscription of a returned Observable, which may wait for a lease call.
      const startCall = () => recorder.beginCall(start);
      let call: PendingCall | Promise<PendingCall>;
      try {
        // Throws only HfBudgetExceededError, which is meant to stop the call. A method that returns a promise may
        // wait for a cluster-wide budget's lease call (beginCall); a sync one is decided at once.
        call = isAsync ? startCall() : recorder.startCall(start);
      } catch (error) {
        return isAsync ? Promise.reject(error) : isObservable ? refusedObservable(error) : rethrow(error);
      }
      if (call instanceof PendingCall) {
        return runTracked(method, this, args, call, startCall);
      }
      return call.then((begun) => runTracked(method, this, args, begun, startCall));
    };
    Object.defineProperty(tracked, 'name', { value: method.name });
    copyMethodMetadata(method, tracked);
    descriptor.value = tracked as typeof descriptor.value;
    return descriptor;
  };
}
