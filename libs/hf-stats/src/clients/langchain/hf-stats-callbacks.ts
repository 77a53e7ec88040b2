import type { HfStatsService } from '../../hf-stats.service.js';
import type { PendingCall } from '../../stats/pending-call.js';
import type { HfTokenUsage } from '../../stats/usage.js';
import { clientCallStart, openOuterCall, recorderOption, safeUsage } from '../client-call.js';
import { inputTextsOf } from '../input-texts.js';
import { langChainUsageOf } from './langchain-usage.js';

/** Options of {@link hfStatsCallbacks}. */
export interface HfStatsLangChainOptions {
  /** The app whose figures the calls go to (several apps in one process). Default: the most recent app running. */
  stats?: HfStatsService;
}

/**
 * LangChain.js callback methods (`CallbackHandlerMethods`), typed by shape so that the library needs
 * no `@langchain/core` types. Awaited by LangChain (`awaitHandlers`), so that a call starts in the
 * caller's session; `raiseError`, so that a budget refusal stops the call (nothing else is thrown).
 */
export interface HfStatsLangChainCallbacks {
  readonly awaitHandlers: true;
  readonly raiseError: true;
  handleChatModelStart(
    llm: unknown,
    messages: unknown[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
  ): void;
  handleLLMStart(
    llm: unknown,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
  ): void;
  handleLLMEnd(output: unknown, runId: string): void;
  handleLLMError(error: unknown, runId: string): void;
}

/** Runs of a handler still open, at most this many: a run that never ends can't grow the map without bound. */
const MAX_OPEN_RUNS = 10_000;

type Run = { call: PendingCall } | { joined: PendingCall };

function modelOf(extraParams: Record<string, unknown> | undefined, metadata: Record<string, unknown> | undefined) {
  const invocation = extraParams?.invocation_params as { model?: unknown; model_name?: unknown } | undefined;
  for (const candidate of [invocation?.model, invocation?.model_name, metadata?.ls_model_name]) {
    if (typeof candidate === 'string') {
      return candidate;
    }
  }
  return undefined;
}

/**
 * Tracks the chat models and LLMs of LangChain.js (`@langchain/openai` on the router, say) as calls:
 * one per model run, model from its invocation parameters, texts and characters from its messages
 * or prompts, tokens from its `tokenUsage` or `usage_metadata`, errors by status. Pass it as
 * callbacks: `new ChatOpenAI({ ..., callbacks: [hfStatsCallbacks()] })`. HTTP attempts are not seen
 * (LangChain runs the request outside the callback); call the model inside a `@TrackHFCall` method
 * with a tracked fetch (`configuration: { fetch: createHfStatsFetch() }`) to count them: the run then
 * joins that call.
 */
export function hfStatsCallbacks(options: HfStatsLangChainOptions = {}): HfStatsLangChainCallbacks {
  const site = { stats: recorderOption('hfStatsCallbacks', options.stats), usageOf: langChainUsageOf };
  const runs = new Map<string, Run>();
  const begin = (runId: string, texts: unknown, model: string | undefined): void => {
    const outer = openOuterCall();
    if (outer !== undefined) {
      runs.set(runId, { joined: outer });
      return;
    }
    if (runs.size >= MAX_OPEN_RUNS) {
      return;
    }
    const begun = clientCallStart(site, () => ({ operation: 'chat-completion', model, ...inputTextsOf(texts) }));
    if (begun !== undefined) {
      // Throws only HfBudgetExceededError: `raiseError` hands it to the caller of the model.
      runs.set(runId, { call: begun.recorder.startCall(begun.start) });
    }
  };
  const take = (runId: string): Run | undefined => {
    const run = runs.get(runId);
    runs.delete(runId);
    return run;
  };
  return {
    awaitHandlers: true,
    raiseError: true,
    handleChatModelStart(_llm, messages, runId, _parentRunId, extraParams, _tags, metadata) {
      begin(runId, { messages: Array.isArray(messages) ? messages.flat() : undefined }, modelOf(extraParams, metadata));
    },
    handleLLMStart(_llm, prompts, runId, _parentRunId, extraParams, _tags, metadata) {
      begin(runId, { inputs: prompts }, modelOf(extraParams, metadata));
    },
    handleLLMEnd(output, runId) {
      const run = take(runId);
      if (run === undefined) {
        return;
      }
      const usage: HfTokenUsage | undefined = safeUsage(langChainUsageOf, output);
      if ('joined' in run) {
        run.joined.joinUsage(usage);
        return;
      }
      run.call.observeResult(output);
      run.call.succeed();
    },
    handleLLMError(error, runId) {
      const run = take(runId);
      if (run !== undefined && 'call' in run) {
        run.call.fail(error);
      }
    },
  };
}
