import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import {
  bindInstance,
  hasDecoratedMethods,
  recorderStarted,
  recorderStopped,
} from './decorators/call-site-registry.js';
import { moduleImportedTwice } from './hf-stats.messages.js';
import { HfStatsService } from './hf-stats.service.js';
import { HfStatsRecorder } from './recording/hf-stats.recorder.js';

/**
 * Binds every provider and controller of the app that has `@TrackHFCall` methods to this app's
 * recorder (`HfStatsRecorder`), so that several apps in one process (parallel e2e suites) each count their own
 * calls, and closing one never changes another. Request-scoped instances, made later, and instances
 * no app made reach the most recent app still running.
 */
@Injectable()
export class HfStatsExplorer implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly recorder: HfStatsRecorder,
  ) {
    // At construction, before any lifecycle hook: a decorated call in another provider's onModuleInit is counted.
    recorderStarted(recorder);
  }

  onModuleInit(): void {
    const providers = this.discovery.getProviders();
    const services = new Set(
      providers.filter((wrapper) => wrapper.token === HfStatsService).map((wrapper) => wrapper.instance as unknown),
    );
    if (services.size > 1) {
      // Two copies would split the figures: one counts the calls, the other serves GET /hf-stats.
      throw new Error(moduleImportedTwice(services.size));
    }
    for (const wrapper of [...providers, ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as unknown;
      if (
        wrapper.isDependencyTreeStatic() &&
        instance !== null &&
        typeof instance === 'object' &&
        hasDecoratedMethods(instance)
      ) {
        bindInstance(instance, this.recorder);
      }
    }
  }

  onApplicationShutdown(): void {
    recorderStopped(this.recorder);
  }
}
