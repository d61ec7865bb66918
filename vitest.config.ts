import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code (*.test.ts); integration tests (real processes,
// real servers) are *.int.test.ts. The Docker end-to-end suite lives in e2e/ and has
// its own config (e2e/vitest.config.ts), run by `npm run test:docker`.
export default defineConfig({
  // Tests run the TypeScript sources: `@esb/*` resolves through the `esb-source` export
  // condition, never the compiled dist/ (docs/design.md "Build").
  ssr: { resolve: { conditions: ['esb-source'] } },
  test: {
    // e2e/apps: real SAM app shapes deployed into `esb dev` (process runtime, no Docker needed).
    include: ['{crds,states,deploy,controller,gateway,agent,provisioner,storage,cli,console,bench}/src/**/*.test.ts', 'tests/**/*.test.ts', 'e2e/apps/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['tests/fast-check-seed.ts'],
    // Tests start esb in process, as the esb bin does not: the same quiet SDK (cli/bin/esb.js).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
