// Test helper process (crash.int.test.ts): once told to go (a line on stdin), applies two
// artifacts alternately into one CONFIG_DIR until it is killed. Bundled with esbuild by the
// test so it starts fast; started ahead of time so that startup is not part of the timing.
import { applyArtifact } from './apply.js';

const [configDir, a, b] = process.argv.slice(2);
process.stdin.once('data', async () => {
  for (let i = 0; ; i++) {
    await applyArtifact({ artifactPath: i % 2 === 0 ? a : b, configDir, lockTimeoutMs: 10_000 });
    if (i === 0) process.stdout.write('applied\n');
  }
});
process.stdout.write('ready\n');
