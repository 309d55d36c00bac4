import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start their own nats-server on a free port; two cores, so run files in parallel lightly.
    maxWorkers: 2,
  },
});
