import { callContext } from '../stats/call-context.js';
import type { PendingCall } from '../stats/pending-call.js';
import { copyMethodMetadata } from '../utils/copy-method-metadata.js';
import { markDecorated, recorderFor } from './call-site-registry.js';
import { readCallStart } from './call-start.js';
import { observeCallResult } from './observe-call-result.js';
import { refusedObservable } from './time-subscriptions.js';

/**
 * Options of {@link TrackHFCall}. The functions receive the method's arguments as they were passed,
 * and the method's `this` (declare it as `function (this: MyService, ...)` to read the instance).
 */
export interface TrackHFCallOptions<TArgs extends unknown[] = unknown[]> {
  /** The model called. Default: the `model` field of the first argument when it is an object. */
  model?: string | ((...args: TArgs) => string | undefined);
  /** What the call does, for example `'feature-extraction'` or `'chat-completion'`. */
  operation?: string;
  /**
   * How many texts the call sends. Default, from the first argument: a string 1, an array its
   * length, `{ inputs }` 1 or its length, `{ messages }` its length, else 0.
   */
  texts?: (...args: TArgs) => number;
  /**
   * Total length of the texts sent. Default, from the first argument in the same shapes as `texts`;
   * unmeasured when a text is not a string.
   */
  characters?: (...args: TArgs) => number;
  /**
   * Tokens used, from the result (or each stream chunk) and the arguments. Default: an
   * OpenAI-compatible `usage` object (`prompt_tokens`, `completion_tokens`), as chat completions return.
   */
  usage?: (result: unknown, ...args: TArgs) => { inputTokens?: number; outputTokens?: number } | undefined;
}

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

function rethrow(error: unknown): never {
  throw error;
}

/**
 * Tracks every call of the decorated method as a Hugging Face call: counted, timed, and put in the
 * current session. Transparent: same return value, same error, a sync method stays sync. Without a
 * running `HfStatsModule` the method runs untouched.
 */
export function TrackHFCall<TArgs extends unknown[] = unknown[]>(
  options: TrackHFCallOptions<TArgs> = {},
): MethodDecorator {
  const spec = { ...options } as TrackHFCallOptions;
  return (target, propertyKey, descriptor) => {
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') {
      throw new TypeError(`@TrackHFCall() applies to methods; "${String(propertyKey)}" is not one.`);
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
      const startCall = () => recorder.startCall(start);
      let call: PendingCall;
      try {
        // Throws only HfBudgetExceededError, which is meant to stop the call.
        call = startCall();
      } catch (error) {
        return isAsync ? Promise.reject(error) : isObservable ? refusedObservable(error) : rethrow(error);
      }
      let result: unknown;
      try {
        result = callContext.enabled
          ? callContext.storage.run(call, () => method.apply(this, args))
          : method.apply(this, args);
      } catch (error) {
        call.fail(error);
        throw error;
      }
      return observeCallResult(call, result, startCall);
    };
    Object.defineProperty(tracked, 'name', { value: method.name });
    copyMethodMetadata(method, tracked);
    descriptor.value = tracked as typeof descriptor.value;
    return descriptor;
  };
}
