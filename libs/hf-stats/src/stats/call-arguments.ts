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

/** The first argument's `provider` field, unless empty or `'auto'` (which names none: the router chooses). */
export function namedProvider(args: readonly unknown[]): string | undefined {
  const first = args[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    const named = (first as { provider?: unknown }).provider;
    return typeof named === 'string' && named !== '' && named !== 'auto' ? named : undefined;
  }
  return undefined;
}

/** `'hf-endpoint'` when the first argument calls an `endpointUrl`. */
export function endpointProvider(args: readonly unknown[]): string | undefined {
  const first = args[0];
  return first !== null &&
    typeof first === 'object' &&
    !Array.isArray(first) &&
    typeof (first as { endpointUrl?: unknown }).endpointUrl === 'string'
    ? 'hf-endpoint'
    : undefined;
}

/**
 * The provider the first argument names: its `provider` field (`'auto'` names none: the router chooses),
 * else `'hf-endpoint'` when it calls an `endpointUrl`; `fromDecorator` between the two.
 */
export function defaultProvider(args: readonly unknown[], fromDecorator: () => string | undefined): string | undefined {
  return namedProvider(args) ?? fromDecorator() ?? endpointProvider(args);
}

function textLength(value: unknown): number | undefined {
  return typeof value === 'string' ? value.length : undefined;
}

function sumLengths(values: readonly unknown[], lengthOf: (value: unknown) => number | undefined): number | undefined {
  let total = 0;
  for (const value of values) {
    const length = lengthOf(value);
    if (length === undefined) {
      return undefined;
    }
    total += length;
  }
  return total;
}

/** Total length of a list of strings; undefined when one is not a string. A plain loop: it runs on every call. */
function stringsLength(values: readonly unknown[]): number | undefined {
  let total = 0;
  for (const value of values) {
    if (typeof value !== 'string') {
      return undefined;
    }
    total += value.length;
  }
  return total;
}

/** A chat message's text: a string `content`, or the `text` of its content parts. */
function messageLength(message: unknown): number | undefined {
  if (message === null || typeof message !== 'object') {
    return undefined;
  }
  const { content } = message as { content?: unknown };
  if (typeof content === 'string') {
    return content.length;
  }
  if (Array.isArray(content)) {
    return sumLengths(content, (part) =>
      part !== null && typeof part === 'object' ? (textLength((part as { text?: unknown }).text) ?? 0) : undefined,
    );
  }
  return content === undefined || content === null ? 0 : undefined;
}

/** A list of texts, or a bare list of chat messages; a plain loop, as it runs on every tracked call. */
function listLength(items: readonly unknown[]): number | undefined {
  let total = 0;
  for (const item of items) {
    const length = typeof item === 'string' ? item.length : messageLength(item);
    if (length === undefined) {
      return undefined;
    }
    total += length;
  }
  return total;
}

/**
 * Total length of the texts sent, from the same shapes as {@link defaultTextCount}; undefined
 * (unmeasured, not zero) when a text is not a string or the shape is unknown.
 */
export function defaultCharacterCount(args: readonly unknown[]): number | undefined {
  const first = args[0];
  if (typeof first === 'string') {
    return first.length;
  }
  if (Array.isArray(first)) {
    return listLength(first);
  }
  if (first !== null && typeof first === 'object') {
    const { inputs, messages } = first as { inputs?: unknown; messages?: unknown };
    if (typeof inputs === 'string') {
      return inputs.length;
    }
    if (Array.isArray(inputs)) {
      return stringsLength(inputs);
    }
    if (Array.isArray(messages)) {
      return sumLengths(messages, messageLength);
    }
  }
  return undefined;
}
