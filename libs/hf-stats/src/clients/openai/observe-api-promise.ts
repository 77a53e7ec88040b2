import { observeCallResult, timeIteration } from '../../decorators/observe-call-result.js';
import type { PendingCall } from '../../stats/pending-call.js';
import type { HfTokenUsage } from '../../stats/usage.js';
import { safeUsage } from '../client-call.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** The openai SDK's `Stream`: its chunks come from `iterator()`, which `tee()` and iteration both use. */
function isSdkStream(value: unknown): value is { iterator: () => AsyncIterator<unknown> } {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { iterator?: unknown }).iterator === 'function' &&
    typeof (value as Record<PropertyKey, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

function defineOwn(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: false, configurable: true, writable: true });
}

/** Times a stream until its iteration ends, keeping the `Stream` itself (`tee()`, `controller`, ...). */
function observeStream(call: PendingCall, stream: { iterator: () => AsyncIterator<unknown> }): void {
  const iterator = stream.iterator;
  // Made now, not at the first step: a stream dropped unread still ends its call when collected.
  const timed = timeIteration(call, { [Symbol.asyncIterator]: () => iterator.call(stream) });
  defineOwn(stream, 'iterator', () => timed);
}

function observeParsed(call: PendingCall, value: unknown): void {
  try {
    if (isSdkStream(value)) {
      observeStream(call, value);
      return;
    }
  } catch {
    // A stream that can't be observed (frozen, say) is left as it is; its call ends now.
  }
  call.observeResult(value);
  call.succeed();
}

/** A call whose `APIPromise` was never awaited: its state, kept apart from the promise so that it can be collected. */
interface UnreadState {
  call: PendingCall;
  respondedAt: number;
}

/**
 * Ends the call of an `APIPromise` dropped unread (never awaited, nor `asResponse()`): when the garbage
 * collector takes it, timed until its response, as the decorator ends a stream dropped unfinished.
 */
const unread = new FinalizationRegistry<UnreadState>((state) => state.call.abandon(state.respondedAt));

/**
 * Ends `call` with what the openai SDK's `APIPromise` gives, returning the very same promise (so
 * `withResponse()`, `asResponse()` and `_request_id` keep working): the call ends when the body is
 * parsed (a stream: when its iteration ends); with `asResponse()` alone, when the response arrives.
 */
export function observeApiPromise(call: PendingCall, result: unknown, startCall: () => PendingCall): unknown {
  const apiPromise = result as { parse?: unknown; asResponse?: unknown } | null;
  if (apiPromise === null || typeof apiPromise !== 'object' || typeof apiPromise.parse !== 'function') {
    return observeCallResult(call, result, startCall);
  }
  const parse = apiPromise.parse as Method;
  const asResponse = apiPromise.asResponse as Method | undefined;
  let parsing = false;
  const state: UnreadState = { call, respondedAt: performance.now() };
  const token = {};
  unread.register(apiPromise, state, token);
  const responded = (apiPromise as { responsePromise?: unknown }).responsePromise;
  if (responded instanceof Promise) {
    responded.then(
      () => {
        state.respondedAt = performance.now();
      },
      () => undefined,
    );
  }
  defineOwn(apiPromise, 'parse', function (this: unknown, ...args: unknown[]) {
    const parsed = parse.apply(this, args) as Promise<unknown>;
    if (!parsing) {
      parsing = true;
      unread.unregister(token);
      // A side branch with its own rejection handler: the caller's promise is untouched.
      parsed.then(
        (value) => observeParsed(call, value),
        (error: unknown) => call.fail(error),
      );
    }
    return parsed;
  });
  // The SDK's own name for a derived promise of the same response.
  const THEN_UNWRAP = '_thenUnwrap';
  const thenUnwrap = (apiPromise as Record<string, unknown>)[THEN_UNWRAP];
  if (typeof thenUnwrap === 'function') {
    // A helper (`chat.completions.parse`) derives a promise of the same response: it observes the call instead.
    defineOwn(apiPromise, THEN_UNWRAP, function (this: unknown, ...args: unknown[]) {
      parsing = true;
      unread.unregister(token);
      return observeApiPromise(call, (thenUnwrap as Method).apply(this, args), startCall);
    });
  }
  if (typeof asResponse === 'function') {
    defineOwn(apiPromise, 'asResponse', function (this: unknown, ...args: unknown[]) {
      const response = asResponse.apply(this, args) as Promise<unknown>;
      unread.unregister(token);
      response.then(
        () => (parsing ? undefined : call.succeed()),
        (error: unknown) => call.fail(error),
      );
      return response;
    });
  }
  return result;
}

/** Inside an outer tracked call: the tokens of the parsed result (or of the stream's chunks) go to it. */
export function joinApiPromise(
  outer: PendingCall,
  result: unknown,
  usageOf: (value: unknown) => HfTokenUsage | undefined,
): unknown {
  const apiPromise = result as { parse?: unknown } | null;
  if (apiPromise === null || typeof apiPromise !== 'object' || typeof apiPromise.parse !== 'function') {
    return result;
  }
  const parse = apiPromise.parse as Method;
  let parsing = false;
  defineOwn(apiPromise, 'parse', function (this: unknown, ...args: unknown[]) {
    const parsed = parse.apply(this, args) as Promise<unknown>;
    if (!parsing) {
      parsing = true;
      parsed.then(
        (value) => {
          try {
            if (isSdkStream(value)) {
              const iterator = value.iterator;
              defineOwn(value, 'iterator', () => joinedIterator(outer, usageOf, iterator.call(value)));
            } else {
              outer.joinUsage(safeUsage(usageOf, value));
            }
          } catch {
            // Statistics never fail the call: a result that can't be observed adds nothing.
          }
        },
        () => undefined,
      );
    }
    return parsed;
  });
  return result;
}

function joinedIterator(
  outer: PendingCall,
  usageOf: (value: unknown) => HfTokenUsage | undefined,
  source: AsyncIterator<unknown>,
): AsyncIterator<unknown> {
  return {
    next: async (...args: [] | [unknown]) => {
      const step = await source.next(...args);
      if (step.done !== true) {
        outer.joinUsage(safeUsage(usageOf, step.value));
      }
      return step;
    },
    return: (value?: unknown) => source.return?.(value) ?? Promise.resolve({ done: true, value }),
  };
}
