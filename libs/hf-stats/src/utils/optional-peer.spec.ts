import { describe, expect, it } from 'vitest';
import { importOptionalPeer } from './optional-peer.js';

describe('importOptionalPeer', () => {
  it('loads an installed peer', async () => {
    const client = await importOptionalPeer<typeof import('prom-client')>('prom-client', 'metrics.prometheus');
    expect(typeof client.Registry).toBe('function');
  });

  it('fails with an error naming the option and the package to install when it is missing', async () => {
    await expect(importOptionalPeer('nestjs-hf-stats-no-such-peer', 'metrics.openTelemetry')).rejects.toThrow(
      'nestjs-hf-stats: option "metrics.openTelemetry" needs the package "nestjs-hf-stats-no-such-peer", which is not ' +
        'installed. Run `npm install nestjs-hf-stats-no-such-peer`, or turn "metrics.openTelemetry" off.',
    );
  });
});
