// Placeholder until the Docker runtime lands (see docs/agent.md).
import type { Logger } from 'pino';
import type { InstanceDriver } from './driver.js';

export async function createDockerDriver(_opts: { log: Logger } & Record<string, unknown>): Promise<InstanceDriver> {
  throw new Error('the Docker runtime is not available in this build yet');
}
