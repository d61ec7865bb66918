// The digest of everything a deploy reads. Shared by the controller (is there work to do?) and
// `esb deploy` (is the controller done with exactly my input?), so it stays light to import.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ContractError, YamlSyntaxError } from '@esb/contracts';
import { SamTemplateError, templateInputsDigest } from '@esb/deploy';
import type { Inspection } from './deployment-reconciler.js';
import { TerminalError } from './types.js';

export type RuntimeKind = 'process' | 'docker';

export interface InspectInput {
  templatePath?: string;
  artifactPath?: string;
  parameters: Record<string, string>;
  env: string;
  project: string;
  runtime: RuntimeKind;
}

export async function inspectInputs({ templatePath, artifactPath, parameters, env, project, runtime }: InspectInput): Promise<Inspection> {
  const context = JSON.stringify({ env, project, runtime, parameters });
  if (templatePath) {
    try {
      const inputs = await templateInputsDigest(templatePath, parameters);
      const digest = createHash('sha256').update(inputs.digest).update(context).digest('hex');
      return { digest: `sha256:${digest}`, watchPaths: [templatePath, ...inputs.referencedPaths] };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new TerminalError(`${templatePath}: template not found`, 'TemplateNotFound', { cause: err });
      }
      if (err instanceof SamTemplateError || err instanceof YamlSyntaxError || err instanceof ContractError) {
        throw new TerminalError(err.message, 'InvalidTemplate', { cause: err });
      }
      throw err;
    }
  }
  let text: string;
  try {
    text = await readFile(artifactPath!, 'utf8');
  } catch (err) {
    throw new TerminalError(`${artifactPath}: artifact not found`, 'InvalidArtifact', { cause: err });
  }
  const digest = createHash('sha256').update(text).update(context).digest('hex');
  return { digest: `sha256:${digest}`, watchPaths: [path.dirname(artifactPath!)] };
}
