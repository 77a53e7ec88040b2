import { describe, expect, it } from 'vitest';
import { readQuietly } from './redis-script.js';

describe('readQuietly', () => {
  it('reads again when a write started or ended during the read, after waiting for it', async () => {
    let generation = 0;
    let idles = 0;
    let reads = 0;
    const value = await readQuietly(
      async () => {
        idles += 1;
      },
      () => generation,
      async () => {
        reads += 1;
        if (reads === 1) {
          // A flush started while this read was under way: its answer may be half of it.
          generation += 1;
        }
        return reads;
      },
    );
    expect(value).toBe(2);
    expect(idles).toBe(2);
  });

  it('gives up after three reads that each saw a write, so that the reader answers its own view', async () => {
    let generation = 0;
    await expect(
      readQuietly(
        () => Promise.resolve(),
        () => generation,
        async () => {
          generation += 1;
          return generation;
        },
      ),
    ).rejects.toThrow(/written while read/);
  });
});
