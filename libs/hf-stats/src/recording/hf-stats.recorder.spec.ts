import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { HfStatsModule } from '../hf-stats.module.js';
import { HfStatsService } from '../hf-stats.service.js';
import { callRecord } from '../stats/call-record.fixture.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import { HfStatsRecorder } from './hf-stats.recorder.js';

describe('HfStatsRecorder', () => {
  let moduleRef: TestingModule | undefined;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('prices a copy of the record: the call site keeps its object as it handed it over', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [HfStatsModule.forRoot({ controller: false, log: false, pricing: [{ model: '*', perCall: 0.002 }] })],
    }).compile();
    await moduleRef.init();
    const recorder = moduleRef.get(HfStatsRecorder);
    const heard: HfCallRecord[] = [];
    recorder.addListener({ onCall: (call) => heard.push(call) });
    const record = Object.freeze(callRecord({ model: 'm', sessionId: 's', endedAt: Date.now() }));

    recorder.recordCall(record);

    expect(record.costNanoUsd).toBeUndefined();
    expect(heard).toHaveLength(1);
    expect(heard[0]).toEqual({ ...record, costNanoUsd: 2_000_000, priceSource: 'userRule' });
    const stats = moduleRef.get(HfStatsService);
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, estimatedCostUsd: 0.002, unpricedCallCount: 0 });
    expect(stats.getSessionStats('s')).toMatchObject({ callCount: 1, estimatedCostUsd: 0.002 });
    expect(stats.getSnapshot().internalErrorCount).toBe(0);
  });
});
