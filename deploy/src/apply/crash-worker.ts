// Test helper process (crash.int.test.ts): warms up (one apply into a scratch folder), says
// "ready", and once told to go (a line on stdin) applies two artifacts alternately into the
// real CONFIG_DIR until it is killed. Bundled with esbuild by the test so it starts fast;
// started ahead of time so that startup and warm-up overlap the previous run.
import { rm } from 'node:fs/promises';
import { applyArtifact } from './apply.js';

const [configDir, a, b, scratch] = process.argv.slice(2);
await applyArtifact({ artifactPath: a, configDir: scratch });
await rm(scratch, { recursive: true, force: true });
process.stdin.once('data', async () => {
  for (let i = 0; ; i++) {
    await applyArtifact({ artifactPath: i % 2 === 0 ? a : b, configDir, lockTimeoutMs: 10_000 });
  }
});
process.stdout.write('ready\n');
