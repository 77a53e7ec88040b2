import { Observable, throwError, type Subscribable, type Subscriber, type Unsubscribable } from 'rxjs';
import { callContext } from '../stats/call-context.js';
import { PendingCall } from '../stats/pending-call.js';

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

/** Starts one subscription's call: at once, or (a cluster-wide budget waiting for a lease call) a promise of it. */
export type SubscriptionStart = () => PendingCall | Promise<PendingCall>;

/** Subscribes `subscriber` to `source` as the call `call`, which its completion, error or unsubscription ends. */
function subscribeAs(call: PendingCall, source: Subscribable<unknown>, subscriber: Subscriber<unknown>): () => void {
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
    subscription = callContext.enabled ? callContext.run(call, subscribe) : subscribe();
  } catch (error) {
    // A source whose subscribe throws: rxjs hands the same error to the subscriber.
    call.fail(error);
    throw error;
  }
  return () => {
    call.succeed();
    subscription.unsubscribe();
  };
}

/**
 * An Observable that does the work of `source` once per subscription, as a cold Observable does:
 * each subscription is one call, started (budget included) when it subscribes and ended by its
 * completion, its error, or its unsubscription (a success, as a `break` out of a stream is). The
 * subscriber gets the same values and the same error. A start that waits for a cluster-wide budget's
 * lease call subscribes to `source` once it is admitted (not at all when unsubscribed meanwhile).
 */
export function timeSubscriptions(source: Subscribable<unknown>, startCall: SubscriptionStart): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let begun: PendingCall | Promise<PendingCall>;
    try {
      begun = startCall();
    } catch (error) {
      // A budget refusal reaches the subscriber as the Observable's error.
      subscriber.error(error);
      return undefined;
    }
    if (begun instanceof PendingCall) {
      return subscribeAs(begun, source, subscriber);
    }
    let teardown: (() => void) | undefined;
    let closed = false;
    begun.then(
      (call) => {
        if (closed) {
          call.discard();
          return;
        }
        try {
          teardown = subscribeAs(call, source, subscriber);
        } catch (error) {
          subscriber.error(error);
        }
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => {
      closed = true;
      teardown?.();
    };
  });
}

/** What a method typed `Observable` returns when its call is refused: an Observable of the refusal. */
export function refusedObservable(error: unknown): Observable<never> {
  return throwError(() => error);
}
