import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Two projects: the server suite (Node; unit, integration on both databases, e2e in Chromium)
// and the web UI's component tests (jsdom).
export default defineConfig({
  test: {
    // 2 cores: two test files at a time, each with its own database
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'server',
          include: ['test/**/*.test.ts'],
          // installs Dovecot, spamd and Chromium when missing and builds the web UI when stale (once, before any file)
          globalSetup: ['test/global-setup.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'web',
          include: ['web/src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          testTimeout: 10_000,
        },
      },
    ],
  },
});
