// The reasons a Deployment's conditions carry, in one table (docs/kube.md "Reasons"): which
// condition each belongs to, whether it is progress, success or a failure, and whether a
// failure is terminal (only a change of the input fixes it) or retried with backoff. The
// controller, `esb deploy`, `esb get` and the tests all read this table.
import type { ConditionType } from './contracts.js';
import { ContractError, YamlSyntaxError } from './validate.js';

export type ReasonKind = 'progress' | 'success' | 'failure' | 'notice';

export interface ReasonInfo {
  reason: string;
  /** The condition this reason is reported on (a failure also sets Ready=False with it). */
  phase: ConditionType;
  kind: ReasonKind;
  /** A failure that retrying cannot fix: not retried until the spec, template or code changes. */
  terminal: boolean;
  description: string;
}

const row = (reason: string, phase: ConditionType, kind: ReasonKind, terminal: boolean, description: string): ReasonInfo => ({ reason, phase, kind, terminal, description });

export const REASON_TABLE = [
  row('Pending', 'Ready', 'progress', false, 'the step has not started yet'),
  row('Generating', 'Generated', 'progress', false, 'generating the artifact from the template'),
  row('Building', 'Generated', 'progress', false, "running SAM's builders (npm, esbuild, pip, makefile, cargo, go, maven) on the code"),
  row('BuildingImages', 'ImagesReady', 'progress', false, 'building function images'),
  row('Applying', 'Applied', 'progress', false, 'merging the artifact into CONFIG_DIR'),
  row('Provisioning', 'Provisioned', 'progress', false, 'creating tables and buckets'),
  row('Generated', 'Generated', 'success', false, 'the artifact was generated from the template'),
  row('ArtifactGiven', 'Generated', 'success', false, 'spec.artifact names a generated artifact'),
  row('ImagesBuilt', 'ImagesReady', 'success', false, 'function images are built'),
  row('NotRequired', 'ImagesReady', 'success', false, 'the process runtime needs no images'),
  row('Applied', 'Applied', 'success', false, 'the artifact is merged into CONFIG_DIR'),
  row('Provisioned', 'Provisioned', 'success', false, 'tables and buckets exist'),
  row('Ready', 'Ready', 'success', false, 'everything the Deployment declares is served'),
  row('TakenOver', 'Overridden', 'notice', false, 'another Deployment took over a route, function, table or bucket of this one (last write wins)'),
  row('InvalidSpec', 'Generated', 'failure', true, 'the manifest is not a valid Deployment'),
  row('TemplateNotFound', 'Generated', 'failure', true, 'spec.template names no file (noticed when it appears)'),
  row('InvalidTemplate', 'Generated', 'failure', true, 'the template does not parse or names missing code'),
  row('InvalidArtifact', 'Generated', 'failure', true, 'the artifact is malformed, changed after generation, or lacks a secret'),
  row('BuildFailed', 'Generated', 'failure', true, "a builder (npm, esbuild, pip, make) failed on the code: fixed by changing it"),
  row('UnsupportedRuntime', 'ImagesReady', 'failure', true, 'a function needs the Docker runtime'),
  row('InspectFailed', 'Generated', 'failure', false, 'reading the template or code failed (e.g. EMFILE, EACCES)'),
  row('GenerateFailed', 'Generated', 'failure', false, 'generating the artifact failed'),
  row('ImageBuildFailed', 'ImagesReady', 'failure', false, 'an image build failed'),
  row('InvalidConfigDir', 'Applied', 'failure', false, 'a CONFIG_DIR file cannot be merged into (fix or remove it)'),
  row('Conflict', 'Applied', 'failure', true, "another namespace already serves one of its functions or routes (kube backend: namespaces never take each other's), or another stack of the CONFIG_DIR already exports one of its export names"),
  row('ApplyFailed', 'Applied', 'failure', false, 'apply failed (lock, disk)'),
  row('ProvisionFailed', 'Provisioned', 'failure', false, 'the storage server refused or did not answer'),
  row('CustomResourceFailed', 'Provisioned', 'failure', true, "a custom resource's function answered FAILED, failed or returned without answering, or answered what CloudFormation refuses: fixed by changing the template or the function"),
  row('OutOfMemory', 'Generated', 'failure', true, "a step needed more than the deploy worker's heap cap (a huge template, YAML aliases): fixed by changing the input or raising the cap and deploying again"),
] as const satisfies readonly ReasonInfo[];

export type Reason = (typeof REASON_TABLE)[number]['reason'];

const BY_NAME = new Map<string, ReasonInfo>(REASON_TABLE.map((r) => [r.reason, r]));

/** The table's row of a reason; undefined for a reason esb does not produce. */
export function reasonInfo(reason: string): ReasonInfo | undefined {
  return BY_NAME.get(reason);
}

export function isTerminalReason(reason: string): boolean {
  return BY_NAME.get(reason)?.terminal === true;
}

export function isProgressReason(reason: string): boolean {
  return BY_NAME.get(reason)?.kind === 'progress';
}

export function isFailureReason(reason: string): boolean {
  // A reason not in the table (another controller's, a hand edit) counts as a failure.
  return (BY_NAME.get(reason)?.kind ?? 'failure') === 'failure';
}

/** The reason a step reports when it fails for a cause that is not bad input (retried). */
export const STEP_FAILURE: Record<ConditionType, Reason> = {
  Generated: 'GenerateFailed',
  ImagesReady: 'ImageBuildFailed',
  Applied: 'ApplyFailed',
  Provisioned: 'ProvisionFailed',
  Ready: 'GenerateFailed',
  Overridden: 'GenerateFailed',
};

/** An error that says which reason it is reported with. */
export class ReasonError extends Error {
  constructor(
    message: string,
    readonly conditionReason: Reason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ReasonError';
  }
}

export interface ReasonContext {
  /** The step that failed: its retried failure reason is the fallback. */
  step: ConditionType;
  /** What a YAML or schema error in the file being read means here (InvalidTemplate, InvalidArtifact, InvalidSpec). */
  invalidInput?: Reason;
}

/**
 * The one place that decides a failure's reason. An error that declares `conditionReason`
 * (where it is thrown) keeps it; a YAML or schema error is bad input of the file being read;
 * anything else (EMFILE, EACCES, a refused connection) is the step's retried failure.
 */
export function reasonOf(err: unknown, context: ReasonContext): Reason {
  const declared = (err as { conditionReason?: unknown } | null)?.conditionReason;
  if (typeof declared === 'string' && BY_NAME.has(declared)) return declared as Reason;
  if ((err instanceof YamlSyntaxError || err instanceof ContractError) && context.invalidInput) return context.invalidInput;
  return STEP_FAILURE[context.step];
}
