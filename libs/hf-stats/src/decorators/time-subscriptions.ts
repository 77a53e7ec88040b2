import { Observable, throwError, type Subscribable, type Unsubscribable } from 'rxjs';
import { callContext } from '../stats/call-context.js';
import type { PendingCall } from '../stats/pending-call.js';

/**
 * An rxjs-style Observable (what `@nestjs/axios`'s `HttpService` returns), found by its shape so that
 * another copy of rxjs is recognised too. A Subject (it has `next`) is a value its caller pushes into,
 * not work that runs on subscription: it is returned as it is.
 */
export function isTimedObservable(value: unknown): value is Subscribable<unknown> {
  if (value === null || typeof value !== 'object') {
    return false;
  }
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.subscribe === 'function' &&
    typeof candidate.pipe === 'function' &&
    typeof candidate.next !== 'function'
  );
}

/**
 * An Observable that does the work of `source` once per subscription, as a cold Observable does:
 * each subscription is one call, started (budget included) when it subscribes and ended by its
 * completion, its error, or its unsubscription (a success, as a `break` out of a stream is). The
 * subscriber gets the same values and the same error.
 */
export function timeSubscriptions(source: Subscribable<unknown>, startCall: () => PendingCall): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let call: PendingCall;
    try {
      call = startCall();
    } catch (error) {
      // A budget refusal reaches the subscriber as the Observable's error.
      subscriber.error(error);
      return undefined;
    }
    const subscribe = () =>
      source.subscribe({
        next: (value) => {
          call.observeResult(value);
          subscriber.next(value);
        },
        error: (error: unknown) => {
          call.fail(error);
          subscriber.error(error);
        },
        complete: () => {
          call.succeed();
          subscriber.complete();
        },
      });
    let subscription: Unsubscribable;
    try {
      // The requests made on subscription are this call's attempts.
      subscription = callContext.enabled ? callContext.storage.run(call, subscribe) : subscribe();
    } catch (error) {
      // A source whose subscribe throws: rxjs hands the same error to the subscriber.
      call.fail(error);
      throw error;
    }
    return () => {
      call.succeed();
      subscription.unsubscribe();
    };
  });
}

/** What a method typed `Observable` returns when its call is refused: an Observable of the refusal. */
export function refusedObservable(error: unknown): Observable<never> {
  return throwError(() => error);
}
