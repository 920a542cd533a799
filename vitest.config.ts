import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The renderer's component tests use React's automatic JSX runtime, as its Vite build does.
  esbuild: { jsx: 'automatic' },
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/integration/**/*.test.ts',
      'test/renderer/**/*.test.tsx',
      'test/e2e/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers and child processes; two workers suit a 2-core machine.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default', './test/helpers/plain-summary-reporter.ts'],
  },
});
