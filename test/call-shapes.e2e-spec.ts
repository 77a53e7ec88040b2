import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createHfStatsFetch, HfStatsModule, HfStatsService, TrackHFCall } from 'nestjs-hf-stats';
import { defer, from, lastValueFrom, type Observable } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';

/** Calls the simulator through a tracked fetch in the shapes that outlive a plain promise. */
@Injectable()
class LateCaller {
  readonly trackedFetch = createHfStatsFetch();
  pending: Promise<unknown> = Promise.resolve();

  /** Returns before its request starts: the request is not awaited (a fire-and-forget refresh, say). */
  @TrackHFCall({ model: 'late' })
  fireAndForget(url: string): string {
    this.pending = new Promise((resolve) => setTimeout(resolve, 5)).then(() =>
      this.trackedFetch(url).then((response) => response.text()),
    );
    return 'returned';
  }

  /** The request runs on subscription, as @nestjs/axios's HttpService does. */
  @TrackHFCall({ model: 'rx' })
  observe(url: string): Observable<number> {
    return defer(() => from(this.trackedFetch(url).then((response) => response.status)));
  }
}

describe('tracked fetch attempts of calls that outlive their method (real HTTP)', () => {
  let simulator: HfSimulator;
  let moduleRef: TestingModule;
  let caller: LateCaller;
  let stats: HfStatsService;

  beforeAll(async () => {
    simulator = await startHfSimulator();
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [HfStatsModule.forRoot({ controller: false, log: false })],
      providers: [LateCaller],
    }).compile();
    await moduleRef.init();
    caller = moduleRef.get(LateCaller);
    stats = moduleRef.get(HfStatsService);
  });

  afterEach(async () => {
    await moduleRef.close();
  });

  it('counts an attempt that starts after its call returned as untracked', async () => {
    expect(caller.fireAndForget(`${simulator.url}/health`)).toBe('returned');
    await caller.pending;
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, attemptCount: 0 });
    expect(stats.getSnapshot().untrackedAttemptCount).toBe(1);
  });

  it("counts the attempts made on an Observable's subscription in its call", async () => {
    const observable = caller.observe(`${simulator.url}/health`);
    expect(stats.getGlobalStats().attemptCount).toBe(0);
    await expect(lastValueFrom(observable)).resolves.toBe(200);
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, attemptCount: 1, statusCodes: { '200': 1 } });
    expect(stats.getSnapshot().untrackedAttemptCount).toBe(0);
  });
});
