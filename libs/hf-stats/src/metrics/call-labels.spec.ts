import { describe, expect, it } from 'vitest';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import {
  BoundedLabel,
  genAiOperationName,
  MAX_ERROR_TYPE_LABELS,
  MAX_OPERATION_LABELS,
  SeriesCache,
} from './call-labels.js';
import { callRecord } from '../stats/call-record.fixture.js';

function call(overrides: Partial<HfCallRecord> = {}): HfCallRecord {
  return callRecord({ model: 'm', operation: 'feature-extraction', durationMs: 1, ...overrides });
}

describe('genAiOperationName', () => {
  it('maps Hugging Face tasks to the GenAI operation names and keeps the others', () => {
    expect(genAiOperationName('feature-extraction')).toBe('embeddings');
    expect(genAiOperationName('featureExtraction')).toBe('embeddings');
    expect(genAiOperationName('chat-completion')).toBe('chat');
    expect(genAiOperationName('chatCompletionStream')).toBe('chat');
    expect(genAiOperationName('text-generation')).toBe('text_completion');
    expect(genAiOperationName('summarization')).toBe('summarization');
  });
});

describe('BoundedLabel', () => {
  it('keeps the first values and maps later ones to "other"', () => {
    const label = new BoundedLabel(2);
    expect(['a', 'b', 'c', 'a', 'd', 'b'].map((value) => label.map(value))).toEqual([
      'a',
      'b',
      'other',
      'a',
      'other',
      'b',
    ]);
  });
});

describe('SeriesCache', () => {
  it('gives a model that carries real traffic its own label when junk names took every label first', () => {
    const cache = new SeriesCache(50, (labels) => labels);
    for (let i = 0; i < 50; i++) {
      cache.of(call({ model: `junk-${i}` }));
    }
    const models = Array.from({ length: 100 }, () => cache.of(call({ model: 'real/model' })).model);
    expect(models.filter((model) => model === 'real/model').length).toBeGreaterThanOrEqual(95);
    expect(models.at(-1)).toBe('real/model');
  });

  it('creates one series per label set and reuses it', () => {
    const created: string[] = [];
    const cache = new SeriesCache(10, (labels) => {
      created.push(JSON.stringify(labels));
      return labels;
    });
    const first = cache.of(call({}));
    expect(cache.of(call({ sessionId: 'other-session', durationMs: 9 }))).toBe(first);
    expect(first).toEqual({ operation: 'embeddings', model: 'm', provider: '', errorType: '' });
    expect(cache.of(call({ ok: false, errorType: '503' }))).toEqual({
      operation: 'embeddings',
      model: 'm',
      provider: '',
      errorType: '503',
    });
    expect(cache.of(call({ model: undefined, operation: undefined }))).toEqual({
      operation: '',
      model: '',
      provider: '',
      errorType: '',
    });
    expect(created).toHaveLength(3);
  });

  it('bounds every label, whatever the calls', () => {
    const maxModels = 5;
    const cache = new SeriesCache(maxModels, (labels) => labels);
    for (let index = 0; index < 2_000; index += 1) {
      cache.of(
        call({
          model: `model-${index}`,
          operation: `operation-${index % 97}`,
          ok: index % 2 === 0,
          errorType: `Error${index}`,
          sessionId: `session-${index}`,
        }),
      );
    }
    expect(cache.size).toBeLessThanOrEqual((maxModels + 1) * (MAX_OPERATION_LABELS + 1) * (MAX_ERROR_TYPE_LABELS + 2));
    expect(cache.size).toBeGreaterThan(maxModels);
  });
});

describe('SeriesCache: the provider label', () => {
  it('gives each provider its series, within maxModels values, and "" when the provider is not known', () => {
    const made: Array<{ provider: string }> = [];
    const cache = new SeriesCache(2, (labels) => {
      made.push(labels);
      return labels;
    });
    for (const provider of ['together', 'novita', 'groq', 'together', undefined]) {
      cache.of(call({ provider }));
    }
    expect(made.map((labels) => labels.provider)).toEqual(['together', 'novita', 'other', '']);
  });
});
