import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestShape, resolveFetchTrack, urlOf } from './fetch-track.js';

const every = resolveFetchTrack(true)!;

describe('the track option of createHfStatsFetch', () => {
  it('matches prefixes, RegExps, lists and predicates; refuses anything else', () => {
    const byPrefix = resolveFetchTrack({ urls: 'http://tei:8080' })!;
    expect(byPrefix.matches('http://tei:8080/embed')).toBe(true);
    expect(byPrefix.matches('http://other/embed')).toBe(false);
    const byList = resolveFetchTrack({ urls: [/\/generate$/, 'http://a'] })!;
    expect(byList.matches('http://x/generate')).toBe(true);
    expect(byList.matches('http://a/anything')).toBe(true);
    expect(byList.matches('http://x/health')).toBe(false);
    expect(resolveFetchTrack({ urls: (url: string) => url.endsWith('/embed') })!.matches('http://x/embed')).toBe(true);
    expect(resolveFetchTrack(false)).toBeUndefined();
    expect(resolveFetchTrack(undefined)).toBeUndefined();
    expect(() => resolveFetchTrack('yes')).toThrow(/track/);
    expect(() => resolveFetchTrack({ urls: [42] })).toThrow(/track\.urls/);
    expect(() => resolveFetchTrack({ model: 42 })).toThrow(/track\.model/);
  });

  it.each([
    ['http://h/embed', 'feature-extraction'],
    ['http://h/embed_all', 'feature-extraction'],
    ['http://h/v1/embeddings', 'feature-extraction'],
    ['http://h/generate', 'text-generation'],
    ['http://h/generate_stream/', 'text-generation'],
    ['http://h/v1/chat/completions', 'chat-completion'],
    ['http://h/v1/completions', 'text-generation'],
    ['http://h/rerank', 'rerank'],
    ['http://h/models/m/pipeline/feature-extraction', 'feature-extraction'],
    ['http://h/users/12345', 'http'],
    ['not a url', 'http'],
  ])('%s is the operation %s', (url, operation) => {
    expect(requestShape(url, undefined, every).operation).toBe(operation);
  });

  it('reads model and texts from a JSON body, a string or bytes; the option model wins', () => {
    const body = JSON.stringify({ model: 'bge', inputs: ['ab', 'c'] });
    expect(requestShape('http://h/embed', body, every)).toEqual({
      operation: 'feature-extraction',
      model: 'bge',
      textCount: 2,
      characterCount: 3,
    });
    expect(requestShape('http://h/embed', new TextEncoder().encode(body), every).textCount).toBe(2);
    expect(requestShape('http://h/embed', body, resolveFetchTrack({ model: 'tei' })!).model).toBe('tei');
  });

  it('never throws on an arbitrary body or input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything()), fc.anything(), (body, input) => {
        const shape = requestShape('http://h/embed', body, every);
        expect(shape.textCount).toBeGreaterThanOrEqual(0);
        const url = urlOf(input);
        expect(url === undefined || typeof url === 'string').toBe(true);
      }),
    );
  });
});
