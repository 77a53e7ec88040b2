import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import type { EmbeddingsRequest } from './embeddings.interfaces.js';

/** Most texts in one request: a batch size every feature-extraction server accepts. */
export const MAX_EMBEDDING_TEXTS = 64;
/** Longest text accepted, in characters: well past what MiniLM-class models read before truncating. */
export const MAX_EMBEDDING_TEXT_LENGTH = 8_192;

const EXPECTED = 'expected {"texts": ["..."]} or {"inputs": "..." | ["..."]}';

function invalid(reason: string): BadRequestException {
  // The texts are never echoed: they are user input.
  return new BadRequestException(`Invalid body: ${reason}; ${EXPECTED}.`);
}

/**
 * Validates a `POST /embeddings` body by hand: `{ texts: string[] }` or, as the Inference API
 * takes it, `{ inputs: string | string[] }`. Answers 400 with the reason otherwise.
 */
@Injectable()
export class EmbeddingsBodyPipe implements PipeTransform<unknown, EmbeddingsRequest> {
  transform(body: unknown): EmbeddingsRequest {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw invalid('the body must be a JSON object');
    }
    const { texts, inputs } = body as { texts?: unknown; inputs?: unknown };
    if (texts !== undefined && inputs !== undefined) {
      throw invalid('give "texts" or "inputs", not both');
    }
    const field = texts === undefined ? 'inputs' : 'texts';
    const value = texts ?? inputs;
    const list = field === 'inputs' && typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list)) {
      throw invalid(value === undefined ? 'missing "texts"' : `"${field}" must be an array of strings`);
    }
    if (list.length === 0 || list.length > MAX_EMBEDDING_TEXTS) {
      throw invalid(`"${field}" must hold 1 to ${MAX_EMBEDDING_TEXTS} texts, got ${list.length}`);
    }
    list.forEach((text: unknown, index) => {
      if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_EMBEDDING_TEXT_LENGTH) {
        throw invalid(
          `"${field}[${index}]" must be a non-blank string of at most ${MAX_EMBEDDING_TEXT_LENGTH} characters`,
        );
      }
    });
    return { texts: list as string[] };
  }
}
