import { defaultCharacterCount, defaultTextCount } from '../stats/call-arguments.js';

/** The texts a client call sends: how many, and their total length (undefined when not all are strings). */
export interface InputTexts {
  textCount: number;
  characterCount: number | undefined;
}

const NONE: InputTexts = { textCount: 0, characterCount: undefined };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The strings of a structured input (`{ source_sentence, sentences }`, `{ question, context }`): each
 * string field one text, each list of strings its length. Binary inputs (images, audio) send no text.
 */
function structuredTexts(inputs: Record<string, unknown>): InputTexts {
  let textCount = 0;
  let characterCount = 0;
  for (const key of Object.keys(inputs)) {
    const value = inputs[key];
    if (typeof value === 'string') {
      textCount += 1;
      characterCount += value.length;
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      textCount += value.length;
      for (const item of value) {
        characterCount += item.length;
      }
    }
  }
  return textCount === 0 ? NONE : { textCount, characterCount };
}

/**
 * The texts of a request body or a client's first argument, in the shapes Hugging Face and
 * OpenAI-compatible clients take: `inputs` (a text, a list, or a structured input), `input` (OpenAI
 * embeddings and responses), `messages` (chat), `prompt` (completions). Never throws on odd shapes.
 */
export function inputTextsOf(params: unknown): InputTexts {
  if (!isObject(params)) {
    return NONE;
  }
  const { inputs, input, messages, prompt } = params;
  if (isObject(inputs)) {
    return structuredTexts(inputs);
  }
  if (inputs !== undefined || messages !== undefined) {
    return { textCount: defaultTextCount([params]), characterCount: defaultCharacterCount([params]) };
  }
  for (const value of [input, prompt]) {
    if (typeof value === 'string' || Array.isArray(value)) {
      // A list of chat-style items (a responses `input`) counts as messages do; token ids are no text to measure.
      const tokenIds = Array.isArray(value) && value.some((item) => typeof item === 'number' || Array.isArray(item));
      return {
        textCount: defaultTextCount([value]),
        characterCount: tokenIds ? undefined : defaultCharacterCount([value]),
      };
    }
  }
  return NONE;
}

/** `params.model` when it is a string. */
export function modelOf(params: unknown): string | undefined {
  return isObject(params) && typeof params.model === 'string' ? params.model : undefined;
}
