import { createHash } from 'node:crypto';

/** Words, lower-cased; punctuation is dropped so that "Cats." and "cats" share a direction. */
const WORD = /[\p{L}\p{N}]+/gu;

/** A small, fast PRNG: the same seed gives the same sequence on every platform. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function seedOf(token: string): number {
  return createHash('sha256').update(token).digest().readUInt32LE(0);
}

/**
 * A deterministic unit vector for `text`: the sum of one pseudo-random direction per word, each
 * derived from a hash of the word. Texts that share words get a positive cosine similarity, which
 * keeps similarity demos meaningful without downloading a model.
 */
export function pseudoEmbedding(text: string, dimensions: number): number[] {
  const tokens = text.toLowerCase().match(WORD) ?? [text];
  const sum = new Float64Array(dimensions);
  for (const token of tokens) {
    const next = mulberry32(seedOf(token));
    for (let i = 0; i < dimensions; i += 1) {
      sum[i] += next() * 2 - 1;
    }
  }
  let norm = 0;
  for (const value of sum) {
    norm += value * value;
  }
  norm = Math.sqrt(norm) || 1;
  // Six decimals are what real servers' JSON carries in practice, and keep answers small.
  return Array.from(sum, (value) => Math.round((value / norm) * 1e6) / 1e6);
}
