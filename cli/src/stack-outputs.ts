// A deployed stack's Outputs as apply recorded them in its CONFIG_DIR's stacks.yml (docs/apply.md
// "Stacks and owners"), for `esb deploy` and `esb describe deployment`.
import { readRuntimeFile, STACKS_CODEC } from '@esb/contracts';
import type { StackOutputs } from './present.js';

/** The stack's Outputs in template order (without the placeholders imports get) and the Deployment that applied them; undefined when CONFIG_DIR has no such stack (or no readable stacks.yml). */
export async function readStackOutputs(configDir: string, stack: string): Promise<StackOutputs | undefined> {
  const stacks = await readRuntimeFile(STACKS_CODEC, configDir).catch(() => undefined);
  const record = stacks?.value.stacks[stack];
  if (!record) return undefined;
  return { stack, ...(record.deployment ? { deployment: record.deployment } : {}), outputs: Object.entries(record.outputs ?? {}).map(([key, { placeholder: _, ...output }]) => ({ key, ...output })) };
}
