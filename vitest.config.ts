import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file gets its own process: the addon and libtorch's thread pools are per process.
    pool: 'forks',
    // --expose-gc lets the memory tests force collections and prove the finalizer path.
    execArgv: ['--expose-gc'],
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
