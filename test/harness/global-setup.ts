/**
 * vitest global setup for the integration and e2e projects: starts the harness once and
 * hands plain connection info to tests as `inject('harness')`. Tests share these servers,
 * so each test uses its own database names, buckets and folders.
 */
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startHarness } from './index.js';
import type { Harness, HarnessInfo } from './index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    harness: HarnessInfo;
  }
}

let harness: Harness | undefined;

export async function setup(project: TestProject): Promise<void> {
  harness = await startHarness({ ssh: { rsaKey: true } });
  project.provide('harness', harness.info);
}

export async function teardown(): Promise<void> {
  const running = harness;
  harness = undefined;
  await running?.stop();
}
