import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';

/** Creates the app as `main.ts` and the demo run it: shutdown hooks on, so that the simulator stops with it. */
export async function createApp(logLevels?: LogLevel[]): Promise<INestApplication> {
  // abortOnError: false, so that a startup error reaches the caller instead of aborting the process.
  const app = await NestFactory.create(AppModule, { abortOnError: false, logger: logLevels });
  app.enableShutdownHooks();
  return app;
}

/** The base URL a listening app is reached at, as a browser would type it. */
export function baseUrlOf(app: INestApplication): string {
  const { address, port } = app.getHttpServer().address() as AddressInfo;
  const host = address === '::' || address === '0.0.0.0' || address === '::1' ? 'localhost' : address;
  return `http://${host}:${port}`;
}
