import { HttpException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { HfBudgetExceededError } from './hf-stats.exceptions.js';

describe('HfBudgetExceededError', () => {
  it('is an HttpException answering 429, catchable by its type, with the session id only as a property', () => {
    const error = new HfBudgetExceededError('client-session-42', 'maxCostUsd', 0.5, 0.5003);
    expect(error).toBeInstanceOf(HfBudgetExceededError);
    expect(error).toBeInstanceOf(HttpException);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('HfBudgetExceededError');
    expect(error.getStatus()).toBe(429);
    expect(error).toMatchObject({ sessionId: 'client-session-42', limit: 'maxCostUsd', limitValue: 0.5 });
    expect(error.getResponse()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Hugging Face budget of the session exceeded: maxCostUsd 0.5 reached (0.5003).',
      limit: 'maxCostUsd',
      limitValue: 0.5,
      usedValue: 0.5003,
    });
    expect(error.message).not.toContain('client-session-42');
    expect(JSON.stringify(error.getResponse())).not.toContain('client-session-42');
  });

  it('names maxSessions when the session could not be kept', () => {
    const error = new HfBudgetExceededError('s', 'maxSessions', 10_000, 10_000);
    expect(error.message).toMatch(/maxSessions 10000 reached/);
  });
});
