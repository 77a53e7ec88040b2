import { BoundedDimensionMap } from '../stats/bounded-dimension-map.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';

/**
 * `gen_ai.provider.name` of every call. The conventions make it the discriminator of the telemetry's flavour
 * (the API the client speaks: Hugging Face's), so the provider that served a routed call (`together`,
 * `hf-inference`...) goes in an attribute of its own: {@link INFERENCE_PROVIDER_ATTRIBUTE}.
 */
export const GEN_AI_PROVIDER = 'huggingface';

/** The upstream Inference Provider of a call, in the `huggingface.*` namespace as the conventions advise. */
export const INFERENCE_PROVIDER_ATTRIBUTE = 'huggingface.inference.provider';
/** The same as a Prometheus label. */
export const INFERENCE_PROVIDER_LABEL = 'huggingface_inference_provider';

/** Distinct operations and error types with series of their own; the rest share `other`. */
export const MAX_OPERATION_LABELS = 20;
export const MAX_ERROR_TYPE_LABELS = 20;

/** Hugging Face task names mapped to the `gen_ai.operation.name` values of the GenAI conventions. */
const GEN_AI_OPERATIONS: ReadonlyMap<string, string> = new Map([
  ['feature-extraction', 'embeddings'],
  ['featureextraction', 'embeddings'],
  ['sentence-similarity', 'embeddings'],
  ['chat-completion', 'chat'],
  ['chatcompletion', 'chat'],
  ['chatcompletionstream', 'chat'],
  ['conversational', 'chat'],
  ['text-generation', 'text_completion'],
  ['textgeneration', 'text_completion'],
  ['textgenerationstream', 'text_completion'],
]);

/** The `gen_ai.operation.name` of a call's operation: the convention's name where one exists, else the task name. */
export function genAiOperationName(operation: string): string {
  return GEN_AI_OPERATIONS.get(operation.toLowerCase()) ?? operation;
}

function sameLabel(value: string): string {
  return value;
}

function keepSeries(): void {
  // A label value that loses its slot keeps the series it had: counters never go back.
}

/**
 * At most `max` label values in use at once, the rest map to `other`, chosen as the figures choose
 * their models ({@link BoundedDimensionMap}): a value with traffic takes the slot of a rarely used
 * one. A value that loses its slot keeps its series (its counts stay true) and maps to `other`
 * from then on; since a value must have had twice the calls of the least-used one to take its slot,
 * the series ever made grow with the logarithm of the calls, not with the distinct values.
 */
export class BoundedLabel {
  private readonly values: BoundedDimensionMap<string>;

  constructor(max: number) {
    this.values = new BoundedDimensionMap(max, sameLabel, keepSeries);
  }

  map(value: string): string {
    return this.values.admit(value);
  }
}

/** The bounded labels of one call. An empty string stands for "not known" (and, for `errorType`, success). */
export interface CallLabels {
  operation: string;
  model: string;
  /** The provider that served the call, bounded like the model. */
  provider: string;
  errorType: string;
}

/**
 * Finds the series of a call, made once per distinct label set by `create` and then reused, so the
 * per-call cost is one map lookup. The label sets are bounded (see {@link BoundedLabel}).
 */
export class SeriesCache<T> {
  private readonly operations = new BoundedLabel(MAX_OPERATION_LABELS);
  private readonly models: BoundedLabel;
  private readonly providers: BoundedLabel;
  private readonly errorTypes = new BoundedLabel(MAX_ERROR_TYPE_LABELS);
  private readonly series = new Map<string, T>();

  constructor(
    maxModels: number,
    private readonly create: (labels: CallLabels) => T,
  ) {
    this.models = new BoundedLabel(maxModels);
    this.providers = new BoundedLabel(maxModels);
  }

  /** Distinct label sets seen so far. */
  get size(): number {
    return this.series.size;
  }

  of(call: HfCallRecord): T {
    const operation = call.operation === undefined ? '' : this.operations.map(genAiOperationName(call.operation));
    const model = call.model === undefined ? '' : this.models.map(call.model);
    const provider = call.provider === undefined ? '' : this.providers.map(call.provider);
    const errorType = call.ok ? '' : this.errorTypes.map(call.errorType ?? 'Error');
    const key = `${operation}\u0000${model}\u0000${provider}\u0000${errorType}`;
    let found = this.series.get(key);
    if (found === undefined) {
      found = this.create({ operation, model, provider, errorType });
      this.series.set(key, found);
    }
    return found;
  }
}

/** Duration buckets in seconds advised by the GenAI conventions for `gen_ai.client.operation.duration`. */
export const DURATION_BUCKETS_SECONDS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** Token buckets advised by the GenAI conventions for `gen_ai.client.token.usage`. */
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
