import { latestRecorder } from '../decorators/call-site-registry.js';
import { observeCallResult } from '../decorators/observe-call-result.js';
import type { HfStatsService } from '../hf-stats.service.js';
import { invalidClientArgument } from '../hf-stats.messages.js';
import { recorderOf } from '../recording/recorder-of.js';
import { callContext } from '../stats/call-context.js';
import { boundedNameOf } from '../stats/call-names.js';
import { PendingCall, type HfCallRecorder, type HfCallStart } from '../stats/pending-call.js';
import type { HfTokenUsage } from '../stats/usage.js';
import { isPromiseLike } from '../utils/is-promise-like.js';

/** What one call of a tracked client sends, read from its arguments. */
export interface ClientCallShape {
  operation: string;
  model: string | undefined;
  textCount: number;
  characterCount: number | undefined;
  /** The provider the call names (`params.provider`, `hf-endpoint`); the router's `x-inference-provider` wins. */
  provider?: string | undefined;
}

/** How a tracked client's calls are observed: shared by every method of one client. */
export interface ClientCallSite {
  /** The app's recorder; undefined: the most recent app still running, looked up per call. */
  stats: HfCallRecorder | undefined;
  /** Reads the tokens of a result or of a stream chunk in the client's own shape. */
  usageOf: (value: unknown) => HfTokenUsage | undefined;
  /** How a refused call reaches the caller: a rejected promise, or a stream that throws on its first step. */
  refusal: 'promise' | 'iterable';
  /**
   * The method answers a plain promise: with a cluster-wide budget and no lease in hand, the call may wait for one
   * lease call. Left out where the answer has methods of its own (openai's APIPromise): decided at once there.
   */
  canWait?: boolean;
  /** Ends `call` with the method's result; default: as the decorator does. */
  observe?: (call: PendingCall, result: unknown, startCall: () => PendingCall) => unknown;
  /** Feeds a joined call's result to the outer call; default: the tokens of a promise's value. */
  join?: (outer: PendingCall, result: unknown, usageOf: (value: unknown) => HfTokenUsage | undefined) => unknown;
}

/** The recorder of a wrapper's `stats` option: undefined when not given; anything but a service is refused. */
export function recorderOption(wrapper: string, stats: HfStatsService | undefined): HfCallRecorder | undefined {
  if (stats === undefined) {
    return undefined;
  }
  const recorder = recorderOf(stats);
  if (recorder === undefined) {
    throw invalidClientArgument(wrapper, 'the HfStatsService of the app as "stats"');
  }
  return recorder;
}

const NO_SHAPE: ClientCallShape = { operation: 'unknown', model: undefined, textCount: 0, characterCount: undefined };

/** An async iterable whose first step rejects with `error`; nothing rejects until then. */
function refusedStream(error: unknown): AsyncGenerator<never, never, undefined> {
  const refused: AsyncGenerator<never, never, undefined> = {
    next: () => Promise.reject(error),
    return: () => Promise.resolve({ done: true, value: undefined as never }),
    throw: (thrown: unknown) => Promise.reject(thrown),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return refused;
}

/** The tokens of a joined call's value go to the outer call; the caller gets the very same promise. */
function joinPromise(
  outer: PendingCall,
  result: unknown,
  usageOf: (value: unknown) => HfTokenUsage | undefined,
): unknown {
  if (isPromiseLike(result)) {
    // A side branch that swallows its own rejection: the caller's promise is untouched.
    Promise.resolve(result).then(
      (value) => outer.joinUsage(safeUsage(usageOf, value)),
      () => undefined,
    );
  }
  return result;
}

/** A usage reader that can't throw: a malformed result has no tokens. */
export function safeUsage(
  usageOf: (value: unknown) => HfTokenUsage | undefined,
  value: unknown,
): HfTokenUsage | undefined {
  try {
    return usageOf(value);
  } catch {
    return undefined;
  }
}

/**
 * What a client call sends and where it is recorded; undefined when no app is running or the session
 * can't be read (the call then runs untracked). A shape that can't be read is counted and left unknown.
 */
export function clientCallStart(
  site: Pick<ClientCallSite, 'stats' | 'usageOf'>,
  readShape: () => ClientCallShape,
): { recorder: HfCallRecorder; start: HfCallStart } | undefined {
  const recorder = site.stats ?? latestRecorder();
  if (recorder === undefined) {
    return undefined;
  }
  let sessionId: string | undefined;
  try {
    sessionId = recorder.currentSessionId();
  } catch (error) {
    recorder.reportFailure(error);
    return undefined;
  }
  let shape = NO_SHAPE;
  try {
    shape = readShape();
  } catch (error) {
    recorder.reportFailure(error);
  }
  const start: HfCallStart = {
    sessionId,
    model: boundedNameOf(shape.model),
    provider: boundedNameOf(shape.provider),
    operation: boundedNameOf(shape.operation),
    textCount: shape.textCount,
    characterCount: shape.characterCount,
    usageOf: site.usageOf,
  };
  return { recorder, start };
}

/** The tracked call the current code runs in, if it is still open: a client call made there joins it. */
export function openOuterCall(): PendingCall | undefined {
  const outer = callContext.current();
  return outer?.open === true ? outer : undefined;
}

/**
 * Runs one call of a tracked client as one tracked call: the same machinery as `@TrackHFCall` (call
 * start, budget, the call context that the tracked fetch attributes attempts to, the result's end).
 * Inside a call already tracked (a decorated method), it joins that call: counted once, its
 * attempts and tokens the outer call's. Without a running app the method runs untouched.
 */
export function runClientCall(site: ClientCallSite, readShape: () => ClientCallShape, invoke: () => unknown): unknown {
  if (site.stats === undefined && latestRecorder() === undefined) {
    return invoke();
  }
  const outer = openOuterCall();
  if (outer !== undefined) {
    return (site.join ?? joinPromise)(outer, invoke(), site.usageOf);
  }
  const begun = clientCallStart(site, readShape);
  if (begun === undefined) {
    return invoke();
  }
  const { recorder, start } = begun;
  const startCall = () => recorder.startCall(start);
  let call: PendingCall | Promise<PendingCall>;
  try {
    // Throws only HfBudgetExceededError, which is meant to stop the call. A call answered by a plain promise may
    // wait for a cluster-wide budget's lease call (beginCall).
    call = site.canWait === true ? recorder.beginCall(start) : startCall();
  } catch (error) {
    return site.refusal === 'promise' ? Promise.reject(error) : refusedStream(error);
  }
  if (call instanceof PendingCall) {
    return runInCall(site, call, invoke, startCall);
  }
  return call.then((admitted) => runInCall(site, admitted, invoke, startCall));
}

/** Runs `invoke` as the tracked call `call` (its context) and ends the call with its result. */
function runInCall(
  site: ClientCallSite,
  call: PendingCall,
  invoke: () => unknown,
  startCall: () => PendingCall,
): unknown {
  let result: unknown;
  try {
    result = callContext.run(call, invoke);
  } catch (error) {
    call.fail(error);
    throw error;
  }
  return (site.observe ?? observeCallResult)(call, result, startCall);
}
