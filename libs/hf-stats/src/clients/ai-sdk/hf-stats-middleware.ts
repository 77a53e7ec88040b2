import { invalidClientArgument } from '../../hf-stats.messages.js';
import type { HfStatsService } from '../../hf-stats.service.js';
import type { PendingCall } from '../../stats/pending-call.js';
import { recorderOption, runClientCall, type ClientCallShape, type ClientCallSite } from '../client-call.js';
import { inputTextsOf } from '../input-texts.js';
import { aiSdkUsageOf } from './ai-sdk-usage.js';

/** Options of {@link hfStatsMiddleware} and {@link trackEmbeddingModel}. */
export interface HfStatsAiSdkOptions {
  /** The app whose figures the calls go to (several apps in one process). Default: the most recent app running. */
  stats?: HfStatsService;
}

/** What the middleware reads of the AI SDK's model and call options: typed by shape, so no `ai` types are needed. */
interface ModelLike {
  modelId?: unknown;
}

interface CallOptionsLike {
  prompt?: unknown;
}

/**
 * The AI SDK language-model middleware (`LanguageModelV3Middleware`) that the library fills in, for
 * `wrapLanguageModel({ model, middleware: hfStatsMiddleware() })`.
 */
export interface HfStatsLanguageModelMiddleware {
  readonly specificationVersion: 'v3';
  wrapGenerate<TResult>(options: {
    doGenerate: () => PromiseLike<TResult>;
    params: CallOptionsLike;
    model: ModelLike;
  }): PromiseLike<TResult>;
  wrapStream<TResult extends { stream: ReadableStream<unknown> }>(options: {
    doStream: () => PromiseLike<TResult>;
    params: CallOptionsLike;
    model: ModelLike;
  }): PromiseLike<TResult>;
}

function shapeOf(operation: string, model: ModelLike, texts: unknown): ClientCallShape {
  return { operation, model: typeof model.modelId === 'string' ? model.modelId : undefined, ...inputTextsOf(texts) };
}

/**
 * The stream, read through: `call` ends when it ends (tokens from its `finish` part, a failure from an
 * `error` part), when it errors, or when its reader cancels it (a normal end, as breaking out is).
 */
function observedStream(call: PendingCall, source: ReadableStream<unknown>): ReadableStream<unknown> {
  const reader = source.getReader();
  let failure: { error: unknown } | undefined;
  return new ReadableStream<unknown>({
    async pull(controller) {
      let step: Awaited<ReturnType<typeof reader.read>>;
      try {
        step = await reader.read();
      } catch (error) {
        call.fail(error);
        controller.error(error);
        return;
      }
      if (step.done) {
        if (failure === undefined) {
          call.succeed();
        } else {
          call.fail(failure.error);
        }
        controller.close();
        return;
      }
      const part = step.value as { type?: unknown; error?: unknown } | null;
      if (part?.type === 'finish') {
        call.observeResult(part);
      } else if (part?.type === 'error') {
        failure ??= { error: part.error };
      }
      controller.enqueue(step.value);
    },
    cancel(reason) {
      call.succeed();
      return reader.cancel(reason);
    },
  });
}

/** Ends `call` with the stream of a `doStream` result, handed on in the same result. */
function observeStream(call: PendingCall, result: unknown): unknown {
  return Promise.resolve(result as PromiseLike<{ stream: ReadableStream<unknown> }>).then(
    (streamResult) => {
      try {
        return { ...streamResult, stream: observedStream(call, streamResult.stream) };
      } catch {
        // A stream that can't be read through (locked, say) is handed on as it is; its call ends now.
        call.succeed();
        return streamResult;
      }
    },
    (error: unknown) => {
      call.fail(error);
      throw error;
    },
  );
}

/**
 * Tracks every generation of an AI SDK language model (`generateText`, `streamText`, ...) as one
 * call: model from the model's id, texts and characters from the prompt's messages, tokens from the
 * AI SDK's usage (a stream's `finish` part). HTTP attempts count when the provider is given a
 * tracked fetch: `createOpenAICompatible({ ..., fetch: createHfStatsFetch() })`. The AI SDK's own
 * retries (`maxRetries`) run the model again: each is a call.
 *
 * @example const model = wrapLanguageModel({ model: hf('meta-llama/Llama-3.1-8B-Instruct'), middleware: hfStatsMiddleware() });
 */
export function hfStatsMiddleware(options: HfStatsAiSdkOptions = {}): HfStatsLanguageModelMiddleware {
  const stats = recorderOption('hfStatsMiddleware', options.stats);
  const generate: ClientCallSite = { stats, usageOf: aiSdkUsageOf, refusal: 'promise', canWait: true };
  const stream: ClientCallSite = {
    stats,
    usageOf: aiSdkUsageOf,
    refusal: 'promise',
    canWait: true,
    observe: observeStream,
  };
  return {
    specificationVersion: 'v3',
    wrapGenerate: ({ doGenerate, params, model }) =>
      runClientCall(
        generate,
        () => shapeOf('chat-completion', model, { messages: params.prompt }),
        doGenerate,
      ) as PromiseLike<never>,
    wrapStream: ({ doStream, params, model }) =>
      runClientCall(
        stream,
        () => shapeOf('chat-completion', model, { messages: params.prompt }),
        doStream,
      ) as PromiseLike<never>,
  };
}

/**
 * Tracks every `doEmbed` of an AI SDK embedding model (`embed`, `embedMany`) as one call: model
 * from its id, texts and characters from the values, tokens from `usage.tokens`. Returns a model of
 * the same type; the original is left as it was.
 *
 * @example const embedder = trackEmbeddingModel(hf.textEmbeddingModel('BAAI/bge-small-en-v1.5'));
 */
export function trackEmbeddingModel<TModel extends object>(model: TModel, options: HfStatsAiSdkOptions = {}): TModel {
  const doEmbed = (model as { doEmbed?: unknown }).doEmbed;
  if (typeof doEmbed !== 'function') {
    throw invalidClientArgument('trackEmbeddingModel', 'an AI SDK embedding model (with doEmbed)');
  }
  const site: ClientCallSite = {
    stats: recorderOption('trackEmbeddingModel', options.stats),
    usageOf: aiSdkUsageOf,
    refusal: 'promise',
    canWait: true,
  };
  const tracked = Object.create(model) as TModel;
  Object.defineProperty(tracked, 'doEmbed', {
    // `this` of the original: a class with private fields would refuse the derived object.
    value(callOptions: { values?: unknown }) {
      return runClientCall(
        site,
        () => shapeOf('feature-extraction', model as ModelLike, { inputs: callOptions?.values }),
        () => (doEmbed as (options: unknown) => unknown).call(model, callOptions),
      );
    },
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return tracked;
}
