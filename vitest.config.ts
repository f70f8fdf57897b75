import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // installs Dovecot and spamd for the e-mail tests when missing (once, before any file)
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // 2 cores: two test files at a time, each with its own database
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
