// The digest of everything a deploy reads. Shared by the controller (is there work to do?) and
// `esb deploy` (is the controller done with exactly my input?), so it stays light to import.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ReasonError, reasonOf } from '@esb/contracts';
import { generatorFingerprint, templateInputsDigest } from '@esb/deploy';
import type { Inspection } from './deployment-reconciler.js';

export type RuntimeKind = 'process' | 'docker';

export interface InspectInput {
  templatePath?: string;
  artifactPath?: string;
  parameters: Record<string, string>;
  /** Environment overrides (spec.envVars). */
  envVars?: Record<string, Record<string, string>>;
  env: string;
  project: string;
  runtime: RuntimeKind;
  /** esb's own folders, never part of a code folder (see ownedPaths). */
  exclude?: readonly string[];
  stackName?: string;
  /** The folder the template's paths must stay in, when wider than its own (the workspace). */
  codeRoot?: string;
  /** The CONFIG_DIR it is applied to: what the template imports from its other stacks is an input (docs/generate.md "Outputs and exports"). */
  configDir?: string;
  /** The generator's fingerprint (default: this esb's, generatorFingerprint). */
  generator?: string;
}

/**
 * Folders esb writes that may lie inside a template's `CodeUri: .`: the Deployment manifests,
 * CONFIG_DIR and the env's artifacts (`<workspace>/.esb` is skipped by name). Left out of the
 * code digest, the generated code and the watch, or each deploy would change its own input.
 */
export function ownedPaths(input: { deploymentsDir?: string; configDir: string }): string[] {
  return [...(input.deploymentsDir ? [input.deploymentsDir] : []), input.configDir, path.join(path.dirname(input.configDir), 'artifacts')].map((p) => path.resolve(p));
}

export async function inspectInputs(input: InspectInput): Promise<Inspection> {
  const [inspection] = await inspectInputsFor(input, [input.runtime]);
  return inspection;
}

/**
 * inspectInputs for several runtimes at once (`esb deploy` not knowing the controller's): the
 * template and its code are read and hashed once, the runtime only enters the final hash.
 */
export async function inspectInputsFor({ templatePath, artifactPath, parameters, envVars, env, project, exclude, stackName, codeRoot, configDir, generator }: Omit<InspectInput, 'runtime'>, runtimes: readonly RuntimeKind[]): Promise<Inspection[]> {
  // The generator is an input too: a newer esb regenerates an unchanged template.
  const generatedBy = generator ?? (await generatorFingerprint());
  const digestWith = (inputs: string | Buffer, runtime: RuntimeKind) =>
    `sha256:${createHash('sha256').update(inputs).update(JSON.stringify({ env, project, runtime, parameters, generatedBy, ...(stackName ? { stackName } : {}), ...(envVars ? { envVars } : {}) })).digest('hex')}`;
  if (templatePath) {
    try {
      const inputs = await templateInputsDigest(templatePath, parameters, { exclude, codeRoot, ...(configDir ? { configDir } : {}), ...(stackName ? { stackName } : {}) });
      return runtimes.map((runtime) => ({ digest: digestWith(inputs.digest, runtime), watchPaths: [templatePath, ...inputs.referencedPaths], generator: generatedBy }));
    } catch (err) {
      // TemplateNotFound and InvalidTemplate are declared where they are thrown; an EMFILE or
      // EACCES while reading is retried.
      const reason = reasonOf(err, { step: 'Generated', invalidInput: 'InvalidTemplate' });
      throw new ReasonError(err instanceof Error ? err.message : String(err), reason === 'GenerateFailed' ? 'InspectFailed' : reason, { cause: err });
    }
  }
  let text: string;
  try {
    text = await readFile(artifactPath!, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ReasonError(`${artifactPath}: artifact not found`, 'InvalidArtifact', { cause: err });
    throw new ReasonError(`${artifactPath}: cannot read the artifact (${code})`, 'InspectFailed', { cause: err });
  }
  return runtimes.map((runtime) => ({ digest: digestWith(text, runtime), watchPaths: [path.dirname(artifactPath!)], generator: generatedBy }));
}
