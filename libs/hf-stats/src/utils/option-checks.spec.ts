import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { booleanOption, integerOption, mergeOntoDefaults, objectOption, urlPath } from './option-checks.js';

class Defaults {
  size = 10;
  label = 'x';
}

describe('mergeOntoDefaults', () => {
  it('keeps a default where the user option is undefined', () => {
    expect(mergeOntoDefaults(new Defaults(), { size: undefined, label: 'y' }, 'part.')).toEqual({
      size: 10,
      label: 'y',
    });
  });

  it('refuses every key that is not a default, __proto__ and constructor included (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty')),
        fc.anything(),
        (key, value) => {
          fc.pre(key !== 'size' && key !== 'label');
          const options = JSON.parse(JSON.stringify({ [key]: null })) as Record<string, unknown>;
          options[key] = value;
          if (!Object.keys(options).includes(key)) {
            return;
          }
          expect(() => mergeOntoDefaults(new Defaults(), options, 'part.')).toThrow(`invalid option "part.${key}"`);
        },
      ),
    );
  });

  it('says what the known keys are', () => {
    expect(() => mergeOntoDefaults(new Defaults(), { colour: 1 }, '')).toThrow(
      'nestjs-hf-stats: invalid option "colour": got 1, expected one of size, label.',
    );
  });
});

describe('the shared checks', () => {
  it('name the option, the value and what is allowed', () => {
    expect(() => integerOption('a.b', 1.5, 0)).toThrow('invalid option "a.b": got 1.5, expected an integer >= 0.');
    expect(() => integerOption('a.b', 0, 1)).toThrow('expected a positive integer.');
    expect(() => booleanOption('flag', 'yes')).toThrow('invalid option "flag": got "yes", expected true or false.');
    expect(() => objectOption('part', [], 'an object')).toThrow('invalid option "part": got an array of 0');
    expect(() => urlPath('path', 'a//b', "'x'")).toThrow("expected a URL path such as 'x'.");
  });

  it('return the value they accept', () => {
    expect(integerOption('n', 0, 0)).toBe(0);
    expect(booleanOption('b', false)).toBe(false);
    expect(urlPath('p', '/internal/hf-stats/', "'x'")).toBe('/internal/hf-stats/');
  });
});
