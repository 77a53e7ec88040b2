import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inputTextsOf, modelOf } from './input-texts.js';

describe('inputTextsOf: the texts of a client call, in every shape the tracked clients take', () => {
  it.each([
    [{ inputs: 'one two' }, 1, 7],
    [{ inputs: ['a', 'bc'] }, 2, 3],
    [{ inputs: { source_sentence: 'ab', sentences: ['c', 'de'] } }, 3, 5],
    [{ inputs: { question: 'q?', context: 'ctx' } }, 2, 5],
    [{ input: 'four five' }, 1, 9],
    [{ input: ['x', 'yz'] }, 2, 3],
    [{ input: [[1, 2, 3]] }, 1, undefined],
    [{ input: [{ role: 'user', content: 'hi' }] }, 1, 2],
    [{ messages: [{ role: 'user', content: [{ type: 'text', text: 'abc' }] }] }, 1, 3],
    [{ prompt: 'p' }, 1, 1],
    [{ inputs: new Uint8Array(3) }, 0, undefined],
    [{ inputs: {} }, 0, undefined],
    [{ model: 'm' }, 0, undefined],
    [null, 0, undefined],
    ['text', 0, undefined],
  ])('%j: %i texts, %s characters', (params, textCount, characterCount) => {
    expect(inputTextsOf(params)).toEqual({ textCount, characterCount });
  });

  it('never throws, and counts are integers >= 0 (characters unmeasured rather than wrong)', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (params) => {
        const { textCount, characterCount } = inputTextsOf(params);
        expect(Number.isSafeInteger(textCount) && textCount >= 0).toBe(true);
        expect(characterCount === undefined || (Number.isSafeInteger(characterCount) && characterCount >= 0)).toBe(
          true,
        );
      }),
    );
  });

  it('counts the length of arbitrary strings exactly, lone surrogates and 100,000 characters included', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 50 })), (texts) => {
        const total = texts.reduce((sum, text) => sum + text.length, 0);
        expect(inputTextsOf({ inputs: texts })).toEqual({ textCount: texts.length, characterCount: total });
        expect(inputTextsOf({ input: texts })).toEqual({ textCount: texts.length, characterCount: total });
      }),
    );
    expect(inputTextsOf({ inputs: 'x'.repeat(100_000) })).toEqual({ textCount: 1, characterCount: 100_000 });
  });

  it('reads the model only when it is a string', () => {
    expect(modelOf({ model: 'a/b' })).toBe('a/b');
    expect(modelOf({ model: 42 })).toBeUndefined();
    expect(modelOf(Object.create(null))).toBeUndefined();
  });
});
