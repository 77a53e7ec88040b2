import { HfStatsService } from '../hf-stats.service.js';
import { copyMethodMetadata } from '../utils/copy-method-metadata.js';
import { observeCallResult } from './observe-call-result.js';

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
}

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Tracks every call of the decorated method as a Hugging Face call: counted, timed, and put in the
 * current session. Transparent: same return value, same error, a sync method stays sync. Without a
 * running `HfStatsModule` the method runs untouched.
 */
export function TrackHFCall<TArgs extends unknown[] = unknown[]>(
  options: TrackHFCallOptions<TArgs> = {},
): MethodDecorator {
  const spec = { ...options } as TrackHFCallOptions;
  return (_target, _propertyKey, descriptor) => {
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') {
      throw new TypeError(`@TrackHFCall() applies to methods; "${String(_propertyKey)}" is not one.`);
    }
    const method = original as AnyMethod;
    const tracked = function (this: unknown, ...args: unknown[]): unknown {
      const call = HfStatsService.current?.startCall(spec, this, args);
      if (call === undefined) {
        return method.apply(this, args);
      }
      let result: unknown;
      try {
        result = method.apply(this, args);
      } catch (error) {
        call.fail(error);
        throw error;
      }
      return observeCallResult(call, result);
    };
    Object.defineProperty(tracked, 'name', { value: method.name });
    copyMethodMetadata(method, tracked);
    descriptor.value = tracked as typeof descriptor.value;
    return descriptor;
  };
}
