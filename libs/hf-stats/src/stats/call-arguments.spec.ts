import { describe, expect, it } from 'vitest';
import { defaultCharacterCount, defaultModel, defaultTextCount } from './call-arguments.js';

describe('defaultTextCount', () => {
  it.each([
    [['hello'], 1],
    [[['a', 'b', 'c']], 3],
    [[[]], 0],
    [[{ inputs: 'one' }], 1],
    [[{ inputs: ['a', 'b'] }], 2],
    [
      [
        {
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'assistant', content: 'yo' },
          ],
        },
      ],
      2,
    ],
    [[{ model: 'm' }], 0],
    [[42], 0],
    [[null], 0],
    [[], 0],
    [[undefined, 'second argument is not read'], 0],
  ])('counts %j as %i', (args, expected) => {
    expect(defaultTextCount(args)).toBe(expected);
  });
});

describe('defaultModel', () => {
  it('reads the model field of the first argument', () => {
    expect(defaultModel([{ model: 'BAAI/bge-small-en-v1.5', inputs: 'x' }])).toBe('BAAI/bge-small-en-v1.5');
  });

  it.each([[['text']], [[{ model: 42 }]], [[['model']]], [[]], [[null]]])('is undefined for %j', (args) => {
    expect(defaultModel(args)).toBeUndefined();
  });
});

describe('defaultCharacterCount', () => {
  it.each([
    [['hello'], 5],
    [[['ab', 'cde']], 5],
    [[{ inputs: 'four' }], 4],
    [[{ inputs: ['a', 'bb'] }], 3],
    [
      [
        {
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'user', content: [{ type: 'text', text: 'abc' }] },
          ],
        },
      ],
      5,
    ],
    [[{ messages: [{ role: 'assistant', content: null }] }], 0],
    [
      [
        [
          { role: 'user', content: 'bare' },
          { role: 'user', content: 'list' },
        ],
      ],
      8,
    ],
  ])('measures %j as %i characters', (args, expected) => {
    expect(defaultCharacterCount(args)).toBe(expected);
  });

  it.each([[[42]], [[['a', 7]]], [[{ model: 'm' }]], [[{ messages: [{ content: 42 }] }]], [[]]])(
    'leaves %j unmeasured',
    (args) => {
      expect(defaultCharacterCount(args)).toBeUndefined();
    },
  );
});
