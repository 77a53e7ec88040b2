/**
 * Defaults of `@TrackHFCall`: what a call sends, read from the method's first argument in the shapes
 * that `@huggingface/inference` and OpenAI-compatible clients take.
 */

/** A string counts 1; an array its length; `{ inputs }` 1 or its length; `{ messages }` its length; else 0. */
export function defaultTextCount(args: readonly unknown[]): number {
  const first = args[0];
  if (typeof first === 'string') {
    return 1;
  }
  if (Array.isArray(first)) {
    return first.length;
  }
  if (first !== null && typeof first === 'object') {
    const { inputs, messages } = first as { inputs?: unknown; messages?: unknown };
    if (typeof inputs === 'string') {
      return 1;
    }
    if (Array.isArray(inputs)) {
      return inputs.length;
    }
    if (Array.isArray(messages)) {
      return messages.length;
    }
  }
  return 0;
}

/** The `model` field of the first argument when it is an object and the field a string. */
export function defaultModel(args: readonly unknown[]): string | undefined {
  const first = args[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    const { model } = first as { model?: unknown };
    return typeof model === 'string' ? model : undefined;
  }
  return undefined;
}
