import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: browser and multi-process suites are heavy; more workers only add contention.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
