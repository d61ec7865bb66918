// Global setup of the Docker end-to-end suite: brings one compose stack up for all scenarios
// (own project, network, ports and workspace), and tears it down afterwards, also when a
// scenario or the setup itself fails. Without a Docker engine: a LOUD skip, or a failure
// when CI=true (CI must never skip silently). ESB_E2E_KEEP=1 keeps the stack for debugging.
import type { TestProject } from 'vitest/node';
import { dockerEngine, planStack, prepareImages, type StackInfo, stackDown, stackUp } from './stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo | null;
  }
}

function banner(lines: string[]): string {
  const bar = '!'.repeat(78);
  return `\n${bar}\n${lines.map((l) => `!!! ${l}`).join('\n')}\n${bar}\n`;
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const engine = await dockerEngine();
  if (!engine.ok) {
    const msg = [
      'NO DOCKER ENGINE ANSWERS: the Docker end-to-end suite is SKIPPED.',
      `reason: ${engine.reason}`,
      'start one with scripts/docker-up.sh (installs docker.io and starts dockerd).',
    ];
    if (process.env.CI === 'true' || process.env.CI === '1') {
      process.stderr.write(banner([...msg.slice(1), 'CI=true: failing instead of skipping.']));
      throw new Error(`e2e: no Docker engine answers (${engine.reason}); CI never skips this suite`);
    }
    process.stderr.write(banner(msg));
    project.provide('stack', null);
    return undefined;
  }
  const started = Date.now();
  const stack = await planStack(`${process.pid}`);
  process.stderr.write(`e2e: Docker ${engine.version}; project ${stack.project}, workspace ${stack.workspace}\n`);
  const echo = process.env.ESB_E2E_VERBOSE === '1';
  try {
    await prepareImages(echo);
    await stackUp(stack, echo);
  } catch (err) {
    process.stderr.write(`e2e: the stack did not come up; tearing it down\n`);
    await stackDown(stack, { keepWorkspace: process.env.ESB_E2E_KEEP === '1' });
    throw err;
  }
  process.stderr.write(`e2e: stack healthy in ${((Date.now() - started) / 1000).toFixed(1)}s at ${stack.gatewayUrl}\n`);
  project.provide('stack', stack);
  return async () => {
    if (process.env.ESB_E2E_KEEP === '1') {
      process.stderr.write(`e2e: ESB_E2E_KEEP=1: stack ${stack.project} left running (workspace ${stack.workspace})\n`);
      return;
    }
    const t = Date.now();
    await stackDown(stack);
    process.stderr.write(`e2e: stack ${stack.project} torn down in ${((Date.now() - t) / 1000).toFixed(1)}s\n`);
  };
}
