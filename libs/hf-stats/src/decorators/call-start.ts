import {
  defaultCharacterCount,
  defaultModel,
  defaultTextCount,
  endpointProvider,
  namedProvider,
} from '../stats/call-arguments.js';
import { boundedNameOf } from '../stats/call-names.js';
import type { HfCallRecorder, HfCallStart } from '../stats/pending-call.js';
import type { TrackHFCallOptions } from './track-hf-call.options.js';

/**
 * What a decorated call sends, read from its options and arguments. Each field is read on its own:
 * one that throws or is malformed is counted in `internalErrorCount` and left unknown, and the call is
 * still recorded with the rest. Undefined only when not even the session can be read.
 */
export function readCallStart(
  service: HfCallRecorder,
  spec: TrackHFCallOptions,
  target: unknown,
  args: unknown[],
): HfCallStart | undefined {
  let sessionId: string | undefined;
  try {
    sessionId = service.currentSessionId();
  } catch (error) {
    service.reportFailure(error);
    return undefined;
  }
  // One try per field, without a closure per call: this runs on every tracked call.
  let model: string | undefined;
  try {
    model = modelOf(spec, target, args);
  } catch (error) {
    service.reportFailure(error);
  }
  let provider: string | undefined;
  try {
    // The argument's provider, else the decorator's, else an endpoint's: no closure, this runs on every call.
    provider = namedProvider(args) ?? decoratedProvider(spec, target, args) ?? endpointProvider(args);
  } catch (error) {
    service.reportFailure(error);
  }
  let textCount = 0;
  try {
    textCount = textCountOf(service, spec, target, args);
  } catch (error) {
    service.reportFailure(error);
  }
  let characterCount: number | undefined;
  try {
    characterCount = characterCountOf(service, spec, target, args);
  } catch (error) {
    service.reportFailure(error);
  }
  const usage = spec.usage;
  return {
    sessionId,
    // Bounded once here, so every reader shows the same value.
    model: boundedNameOf(model),
    provider: boundedNameOf(provider),
    operation: boundedNameOf(spec.operation),
    textCount,
    characterCount,
    usageOf: usage === undefined ? undefined : (result) => usage.call(target, result, ...args),
  };
}

function modelOf(spec: TrackHFCallOptions, target: unknown, args: unknown[]): string | undefined {
  const model = typeof spec.model === 'function' ? spec.model.apply(target, args) : (spec.model ?? defaultModel(args));
  return typeof model === 'string' ? model : undefined;
}

function decoratedProvider(spec: TrackHFCallOptions, target: unknown, args: unknown[]): string | undefined {
  const provider = typeof spec.provider === 'function' ? spec.provider.apply(target, args) : spec.provider;
  return typeof provider === 'string' && provider !== '' ? provider : undefined;
}

function textCountOf(service: HfCallRecorder, spec: TrackHFCallOptions, target: unknown, args: unknown[]): number {
  if (spec.texts === undefined) {
    return defaultTextCount(args);
  }
  const count = spec.texts.apply(target, args);
  if (!Number.isSafeInteger(count) || count < 0) {
    service.reportFailure(new RangeError('texts() must return an integer >= 0'));
    return 0;
  }
  return count;
}

function characterCountOf(
  service: HfCallRecorder,
  spec: TrackHFCallOptions,
  target: unknown,
  args: unknown[],
): number | undefined {
  if (spec.characters === undefined) {
    return defaultCharacterCount(args);
  }
  const count = spec.characters.apply(target, args);
  if (!Number.isSafeInteger(count) || count < 0) {
    service.reportFailure(new RangeError('characters() must return an integer >= 0'));
    return undefined;
  }
  return count;
}
