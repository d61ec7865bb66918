// How a command names a deployed function as `sam` commands do (`sam local invoke`, `sam logs
// -n`): its key, or its logical id in a stack (docs/design.md "CLI").
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readSamConfig, templateHere } from './samconfig.js';

/** The stack a logical id belongs to: --stack-name, else the samconfig's stack_name or the template's folder, as esb deploy names it. */
export async function stackOf(values: { 'stack-name'?: string; template?: string }): Promise<string | undefined> {
  if (values['stack-name']) return values['stack-name'];
  const template = values.template ?? templateHere();
  if (!template || !existsSync(template)) return undefined;
  const dir = path.dirname(path.resolve(template));
  const samconfig = await readSamConfig(dir, { command: 'deploy' }).catch(() => undefined);
  if (samconfig?.stackName) return samconfig.stackName;
  const { defaultStackName } = await import('@esb/deploy');
  return defaultStackName(path.resolve(template));
}

/** The keys `name` may be deployed under: itself (a key or a FunctionName), then `<stack>-<name>` (a logical id, as esb deploy names it). */
export function functionKeys(name: string, stack: string | undefined): string[] {
  return [name, ...(stack && !name.startsWith(`${stack}-`) ? [`${stack}-${name}`] : [])];
}
