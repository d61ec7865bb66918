import { defineConfig } from 'vitest/config';

// The harness's own unit tests (pure helpers). Run: npx vitest run --config bench/vitest.config.ts
// (the root config does not include bench/ yet).
export default defineConfig({
  test: { include: ['bench/src/**/*.test.ts'], root: new URL('..', import.meta.url).pathname },
});
