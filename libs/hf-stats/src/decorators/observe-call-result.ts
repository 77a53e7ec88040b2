import { callContext } from '../stats/call-context.js';
import type { PendingCall } from '../stats/pending-call.js';
import { isPromiseLike } from '../utils/is-promise-like.js';
import { isTimedObservable, timeSubscriptions, type SubscriptionStart } from './time-subscriptions.js';

/**
 * An async iterable that is timed until its iteration ends. Node and web streams are left alone:
 * they are piped rather than iterated, and wrapping them would take their stream methods away.
 */
function isTimedIterable(value: unknown): value is AsyncIterable<unknown> {
  if (value === null || typeof value !== 'object') {
    return false;
  }
  const candidate = value as Record<PropertyKey, unknown>;
  return (
    typeof candidate[Symbol.asyncIterator] === 'function' &&
    typeof candidate.pipe !== 'function' &&
    typeof candidate.pipeTo !== 'function' &&
    typeof candidate.getReader !== 'function'
  );
}

/** A stream's call and its last sign of life, kept apart from the stream so that the stream can be collected. */
interface IterationState {
  call: PendingCall;
  lastActiveAt: number;
}

/**
 * Ends the call of a stream dropped unfinished (read in part, or not at all, then never returned):
 * when the garbage collector takes it, timed until its last step. Never throws: recordCall can't.
 */
const dropped = new FinalizationRegistry<IterationState>((state) => state.call.abandon(state.lastActiveAt));

/** Delegates to `source`, ending `call` when the iteration finishes, is broken off, throws, or is dropped (also used by the tracked openai streams). */
export function timeIteration(
  call: PendingCall,
  source: AsyncIterable<unknown>,
): AsyncGenerator<unknown, unknown, unknown> {
  let iterator: AsyncIterator<unknown> | undefined;
  const state: IterationState = { call, lastActiveAt: performance.now() };
  const started = (): AsyncIterator<unknown> => (iterator ??= source[Symbol.asyncIterator]());
  const settle = async (
    step: () => Promise<IteratorResult<unknown>> | IteratorResult<unknown>,
  ): Promise<IteratorResult<unknown>> => {
    try {
      // The stream's HTTP requests happen while it is iterated: attribute them to this call.
      const result = await (callContext.enabled ? callContext.run(call, step) : step());
      state.lastActiveAt = performance.now();
      if (result.done === true) {
        call.succeed();
      } else {
        call.observeResult(result.value);
      }
      return result;
    } catch (error) {
      call.fail(error);
      throw error;
    }
  };
  const timed: AsyncGenerator<unknown, unknown, unknown> = {
    next: (...args: [] | [unknown]) => settle(() => started().next(...args)),
    return: (value?: unknown) => {
      // Breaking out of a `for await` is a normal end of the call.
      call.succeed();
      const it = started();
      return settle(() => (it.return ? it.return(value) : { done: true, value }));
    },
    throw: (error?: unknown) => {
      const it = started();
      if (it.throw === undefined) {
        call.fail(error);
        return Promise.reject(error);
      }
      return settle(() => it.throw?.(error) ?? Promise.reject(error));
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  dropped.register(timed, state);
  return timed;
}

function observeValue(call: PendingCall, value: unknown, startCall: SubscriptionStart): unknown {
  if (isTimedObservable(value)) {
    // Nothing ran yet: the work happens on subscription, timed there.
    call.discard();
    return timeSubscriptions(value, startCall);
  }
  if (isTimedIterable(value)) {
    return timeIteration(call, value);
  }
  call.observeResult(value);
  call.succeed();
  return value;
}

/**
 * Ends `call` when `result` is settled: at once for a plain value, when a promise settles, when a
 * stream's iteration ends; an Observable is timed per subscription, each started by `startCall`.
 * The caller gets the same value or the same error.
 */
export function observeCallResult(call: PendingCall, result: unknown, startCall: SubscriptionStart): unknown {
  if (isPromiseLike(result)) {
    return result.then(
      (value) => observeValue(call, value, startCall),
      (error: unknown) => {
        call.fail(error);
        throw error;
      },
    );
  }
  return observeValue(call, result, startCall);
}
