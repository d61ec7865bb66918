import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// The Docker end-to-end suite: one compose stack (global setup) shared by the scenarios, run
// one file at a time in a fixed order (resilience kills the agent, so it runs last).
// Run: npx vitest run --config e2e/vitest.config.ts
const ORDER = ['ab', 'storage', 'chain', 'concurrency', 'concurrent-deploys', 'resilience'];
const rank = (file: string) => {
  const i = ORDER.findIndex((s) => file.includes(`/e2e/${s}/`));
  return i < 0 ? ORDER.length : i;
};

class ScenarioOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => rank(a.moduleId) - rank(b.moduleId));
  }
}

export default defineConfig({
  root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
  // The sources, not the compiled dist/ (docs/design.md "Build").
  ssr: { resolve: { conditions: ['esb-source'] } },
  test: {
    include: ['e2e/*/**/*.e2e.test.ts'],
    globalSetup: ['e2e/src/global-setup.ts'],
    fileParallelism: false,
    sequence: { sequencer: ScenarioOrder },
    testTimeout: 180_000,
    hookTimeout: 600_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, // as cli/bin/esb.js sets it
    pool: 'forks',
  },
});
