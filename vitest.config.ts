import { defineConfig } from 'vitest/config';

// Three projects: unit (no services), integration (real sshd, PostgreSQL, MariaDB, s3rver
// started once by the harness), e2e (the console in Debian chromium through `cofre ui`).
export default defineConfig({
  test: {
    reporters: ['default'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // a few unit tests are CPU-bound (1 500 signing keys, scheduler walks): 5 s timed out
          // on the shared 2-core machine at load ≈ 17; a timeout is not a speed assertion
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
