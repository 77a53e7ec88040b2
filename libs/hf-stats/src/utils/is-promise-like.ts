/** A thenable (a promise, or any object or function with a `then` method), as `await` would treat it. */
export function isPromiseLike<T>(value: T): value is T & PromiseLike<Awaited<T>> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
