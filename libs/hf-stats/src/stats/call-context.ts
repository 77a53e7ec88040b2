import { AsyncLocalStorage } from 'node:async_hooks';
import type { PendingCall } from './pending-call.js';

/**
 * The tracked call the current code runs inside, so that `createHfStatsFetch` can attribute each
 * HTTP attempt to its call. Entered only once a tracked fetch exists: it costs an async context per
 * call, which apps without one don't pay.
 */
export const callContext = {
  storage: new AsyncLocalStorage<PendingCall>(),
  enabled: false,
};
