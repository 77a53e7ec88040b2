import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // SWC, not esbuild: Nest's DI needs emitDecoratorMetadata, which esbuild does not emit.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: {
      // Tests and the example app import the library by its package name; resolve it to the source.
      'nestjs-hf-stats': fileURLToPath(new URL('./libs/hf-stats/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['libs/**/*.spec.ts', 'src/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    environment: 'node',
    setupFiles: ['reflect-metadata'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
