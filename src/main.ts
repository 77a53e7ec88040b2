import { Logger } from '@nestjs/common';
import { baseUrlOf, createApp } from './app.bootstrap.js';

const logger = new Logger('Main');

/** `PORT`, default 3000; 0 picks a free port. */
function portFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') {
    return 3000;
  }
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${value}".`);
  }
  return port;
}

async function bootstrap(): Promise<void> {
  const port = portFromEnv(process.env.PORT);
  const app = await createApp();
  try {
    await app.listen(port);
  } catch (error) {
    // Stops the simulator too, so that the process can exit.
    await app.close();
    throw error;
  }
  const url = baseUrlOf(app);
  logger.log(`Listening on ${url}: POST /embeddings, POST /chat; statistics at GET ${url}/hf-stats`);
  logger.log(`Dashboard: ${url}/hf-stats/dashboard`);
}

try {
  await bootstrap();
} catch (error) {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
  // A provider may have started the simulator before another one failed (an invalid environment
  // variable): without the app there is nothing to close it, and it would keep the process alive.
  setTimeout(() => process.exit(1), 1_000).unref();
}
