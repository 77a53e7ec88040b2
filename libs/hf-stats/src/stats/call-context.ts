import { AsyncLocalStorage } from 'node:async_hooks';
import { ClsServiceManager, type ClsStore } from 'nestjs-cls';
import { PendingCall } from './pending-call.js';

/** Where a view of the nestjs-cls store holds its call; copies of the view (`cls.run()` inside a call) hold it too. */
const CALL = Symbol('nestjs-hf-stats call');

/**
 * A view of the nestjs-cls store for the time of one tracked call: every read and write goes to the store itself
 * (what the call's code sets stays set after it), and the view answers one more key, its call. Copies of it
 * (`{ ...cls.get() }`, what `cls.run()` inherits) carry that key, so a nested context keeps the call.
 */
class CallView implements ProxyHandler<object> {
  constructor(private readonly call: PendingCall) {}

  get(target: object, key: string | symbol, receiver: unknown): unknown {
    return key === CALL ? this.call : Reflect.get(target, key, receiver);
  }

  has(target: object, key: string | symbol): boolean {
    return key === CALL || Reflect.has(target, key);
  }

  ownKeys(target: object): Array<string | symbol> {
    const keys = Reflect.ownKeys(target);
    // A view of a view, or of a copy, has the key already: a key twice is a TypeError.
    return keys.includes(CALL) ? keys : [...keys, CALL];
  }

  getOwnPropertyDescriptor(target: object, key: string | symbol): PropertyDescriptor | undefined {
    return key === CALL
      ? { value: this.call, writable: true, enumerable: true, configurable: true }
      : Reflect.getOwnPropertyDescriptor(target, key);
  }
}

/** The store of nestjs-cls's context, when one is active. */
function clsStore(): unknown {
  return ClsServiceManager.getClsService().get();
}

/**
 * A view of the active nestjs-cls store for `call`, or undefined: no context, a store that can't take the key (not
 * an object, not extensible), or one whose own traps throw (an app's Proxy): statistics never fail the call.
 */
function viewFor(call: PendingCall): ClsStore | undefined {
  try {
    const store = clsStore();
    return store !== null && typeof store === 'object' && Object.isExtensible(store)
      ? (new Proxy(store, new CallView(call)) as ClsStore)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The call a nestjs-cls store holds (a view, or a copy of one), or undefined; never throws. */
function callInStore(): PendingCall | undefined {
  try {
    const store = clsStore();
    const call = store !== null && typeof store === 'object' ? (store as { [CALL]?: unknown })[CALL] : undefined;
    return call instanceof PendingCall ? call : undefined;
  } catch {
    return undefined;
  }
}

/** Open calls that ran in the storage of its own: at 0 it is disabled, so that no promise pays for it any more. */
let ownOpen = 0;

function leftOwn(): void {
  ownOpen -= 1;
  if (ownOpen === 0) {
    callContext.own.disable();
  }
}

/**
 * The tracked call the current code runs inside, so that `createHfStatsFetch` can attribute each HTTP attempt to
 * its call.
 *
 * Inside a nestjs-cls context (every request the module binds, `runInSession`), the call rides in that context: a
 * view of its store (above). On Node 20 each enabled `AsyncLocalStorage` adds work to every promise the process
 * creates (a real `chatCompletion` makes about 130), and nestjs-cls's is enabled already. Outside one (a job, a
 * bootstrap), a storage of its own, enabled while such a call is open and disabled once none is (`disable()`: from
 * then on the code of an ended call, still running, finds no call, which makes its requests untracked attempts as
 * the ended call did).
 *
 * Entered only once a tracked fetch exists (`enabled`): apps without one don't pay for a context per call.
 */
export const callContext = {
  enabled: false,
  own: new AsyncLocalStorage<PendingCall>(),

  /** Runs `fn` as `call`'s code: the requests it makes are the call's attempts. */
  run<T>(call: PendingCall, fn: () => T): T {
    const view = viewFor(call);
    if (view !== undefined) {
      return ClsServiceManager.getClsService().runWith(view, fn);
    }
    if (call.onEnd(leftOwn)) {
      ownOpen += 1;
    }
    try {
      return this.own.run(call, fn);
    } finally {
      // A call that ended already (a stream's last step) holds nothing open.
      if (ownOpen === 0) {
        this.own.disable();
      }
    }
  },

  /** The call the current code runs inside, if any. Never throws: the tracked fetch asks on every request. */
  current(): PendingCall | undefined {
    return callInStore() ?? this.own.getStore();
  },
};
