// Reconciles one Deployment: inspect inputs -> generate -> build images -> apply -> provision
// -> status. Level-based: the inputs digest (template, code, parameters, env, project) and the
// generation decide whether work is needed; an unchanged resource is a no-op.
import path from 'node:path';
import type { Condition, ConditionType, DeploymentStatus } from '@esb/contracts';
import { findCondition, setCondition, type ConditionInput } from './conditions.js';
import { keyOf, TerminalError, type ReconcileResult, type Reconciler, type Request, type Store, type StoredDeployment } from './types.js';

export interface Counts {
  functions: number;
  routes: number;
  resources: number;
}

export interface Inspection {
  /** Digest of every input of the deploy; equal digests mean nothing to do. */
  digest: string;
  /** Files and folders whose change should trigger a new reconcile (template, code, layers). */
  watchPaths: string[];
}

/** The work of a deploy, behind one port so the reconciler is tested without I/O. */
export interface DeploySteps {
  inspect(input: { templatePath?: string; artifactPath?: string; parameters: Record<string, string>; env: string; project: string }): Promise<Inspection>;
  generate(input: {
    templatePath: string;
    outDir: string;
    env: string;
    project: string;
    parameters: Record<string, string>;
  }): Promise<{ artifactPath: string; artifactDigest: string; warnings: string[] }>;
  /** Reads the digest and counts of an artifact (generated or given by spec.artifact). */
  describeArtifact(artifactPath: string): Promise<{ artifactDigest: string; counts: Counts }>;
  /** Builds function images; `undefined` when the runtime needs none (process runtime). */
  buildImages(artifactPath: string, signal: AbortSignal): Promise<{ message: string } | undefined>;
  /** `owner`: the Deployment being applied (for steps that keep track of who serves what). */
  apply(input: { artifactPath: string; configDir: string; owner?: Request }): Promise<{ message: string }>;
  provision(input: { artifactPath: string; configDir: string }, signal: AbortSignal): Promise<{ message: string }>;
  /**
   * Why what a Ready deploy applied is no longer in CONFIG_DIR (a lost or replaced volume), or
   * undefined when it is all there. Optional: without it, Ready is trusted.
   */
  verifyApplied?(input: { artifactPath: string; configDir: string }): Promise<string | undefined>;
}

export interface ReconcilerLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface DeploymentReconcilerOptions {
  store: Store;
  steps: DeploySteps;
  workspace: string;
  configDirFor(project: string, env: string): string;
  /** Called with what to watch for each key, so code changes reconcile again. */
  onWatchPaths?(request: Request, paths: string[]): void;
  now?(): Date;
  log?: ReconcilerLog;
}

/** Where the artifact of one Deployment is generated: beside its env's CONFIG_DIR. */
export function artifactOutDir(configDir: string, request: Request): string {
  return path.join(path.dirname(configDir), 'artifacts', `${request.namespace}-${request.name}`);
}

/** Reasons of failures that only a change of the spec or template can fix. */
export const TERMINAL_REASONS = new Set(['InvalidSpec', 'InvalidTemplate', 'InvalidArtifact', 'TemplateNotFound', 'UnsupportedRuntime']);

export function describeCounts(counts: Counts): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [
    plural(counts.functions, 'function', 'functions'),
    plural(counts.routes, 'route', 'routes'),
    plural(counts.resources, 'resource', 'resources'),
  ].join(', ');
}

export class DeploymentReconciler implements Reconciler {
  private readonly now: () => Date;

  constructor(private readonly options: DeploymentReconcilerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async reconcile(request: Request, signal: AbortSignal): Promise<ReconcileResult> {
    const { store, log } = this.options;
    let stored: StoredDeployment | undefined;
    try {
      stored = await store.get(request);
    } catch (err) {
      // A manifest that cannot be read as a Deployment: say so in its status, do not retry.
      const terminal = err instanceof TerminalError ? err : new TerminalError(errorMessage(err), 'InvalidSpec', { cause: err });
      await this.fail(request, undefined, {}, 'Generated', terminal.reason, terminal.message, undefined);
      throw terminal;
    }
    if (!stored) {
      log?.info(`${keyOf(request)} deleted: its functions, routes and resources stay deployed (esb never deletes on deploy)`);
      return {};
    }

    const { deployment, baseDir } = stored;
    const { spec } = deployment;
    const generation = deployment.metadata.generation ?? 1;
    const previous: DeploymentStatus = deployment.status ?? {};
    const configDir = this.options.configDirFor(spec.project, spec.env);
    const templatePath = spec.template !== undefined ? path.resolve(baseDir, spec.template) : undefined;
    const givenArtifact = spec.artifact !== undefined ? path.resolve(baseDir, spec.artifact) : undefined;
    const parameters = spec.parameters ?? {};

    let inspection: Inspection;
    try {
      inspection = await this.options.steps.inspect({ templatePath, artifactPath: givenArtifact, parameters, env: spec.env, project: spec.project });
    } catch (err) {
      await this.fail(request, generation, previous, 'Generated', reasonOf(err, 'TemplateNotFound'), errorMessage(err), undefined);
      throw asTerminalIfKnown(err, 'TemplateNotFound');
    }
    this.options.onWatchPaths?.(request, inspection.watchPaths);

    const ready = findCondition(previous.conditions, 'Ready');
    const unchanged = previous.observedGeneration === generation && previous.inputsDigest === inspection.digest;
    if (unchanged && ready && ready.status !== 'True' && TERMINAL_REASONS.has(ready.reason)) return {};
    if (unchanged && ready?.status === 'True') {
      // Ready only while it is true: what was applied must still be in CONFIG_DIR.
      const applied = templatePath ? path.join(artifactOutDir(configDir, request), 'artifact.yml') : givenArtifact!;
      const missing = await this.options.steps.verifyApplied?.({ artifactPath: applied, configDir });
      if (!missing) return {};
      log?.warn(`${keyOf(request)} was Ready but ${missing}: deploying again`);
    }

    let status: DeploymentStatus = { ...previous, configDir };
    const progress = async (type: ConditionType, condition: Omit<ConditionInput, 'type'>, readyReason: string) => {
      let conditions = setCondition(status.conditions ?? [], { type, ...condition, observedGeneration: generation }, this.now());
      conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: readyReason, message: condition.message, observedGeneration: generation }, this.now());
      status = { ...status, conditions };
      await store.patchStatus(request, status);
    };

    let step: ConditionType = 'Generated';
    try {
      // Mark every step Unknown first so that `esb deploy` shows progress from a clean slate.
      for (const type of ['Generated', 'ImagesReady', 'Applied', 'Provisioned'] as const) {
        status = { ...status, conditions: setCondition(status.conditions ?? [], { type, status: 'Unknown', reason: 'Pending', message: '', observedGeneration: generation }, this.now()) };
      }
      await progress('Generated', { status: 'Unknown', reason: 'Generating', message: templatePath ? `generating from ${templatePath}` : `reading ${givenArtifact}` }, 'Generating');

      let artifactPath: string;
      let warnings: string[] = [];
      if (templatePath) {
        const outDir = artifactOutDir(configDir, request);
        const generated = await this.options.steps.generate({ templatePath, outDir, env: spec.env, project: spec.project, parameters });
        artifactPath = generated.artifactPath;
        warnings = generated.warnings;
      } else {
        artifactPath = givenArtifact!;
      }
      const { artifactDigest, counts } = await this.options.steps.describeArtifact(artifactPath);
      status = { ...status, artifactDigest, ...counts };
      const generatedMessage = `${describeCounts(counts)}${warnings.length ? `; ${warnings.length} warning(s): ${warnings.join('; ')}` : ''}`;
      await progress('Generated', { status: 'True', reason: templatePath ? 'Generated' : 'ArtifactGiven', message: generatedMessage }, 'BuildingImages');

      step = 'ImagesReady';
      const images = await this.options.steps.buildImages(artifactPath, signal);
      await progress('ImagesReady', images ? { status: 'True', reason: 'ImagesBuilt', message: images.message } : { status: 'True', reason: 'NotRequired', message: 'the process runtime runs code directly' }, 'Applying');

      step = 'Applied';
      const applied = await this.options.steps.apply({ artifactPath, configDir, owner: request });
      await progress('Applied', { status: 'True', reason: 'Applied', message: applied.message }, 'Provisioning');

      step = 'Provisioned';
      const provisioned = await this.options.steps.provision({ artifactPath, configDir }, signal);
      const conditions = setCondition(
        status.conditions ?? [],
        { type: 'Provisioned', status: 'True', reason: 'Provisioned', message: provisioned.message, observedGeneration: generation },
        this.now(),
      );
      status = {
        ...status,
        observedGeneration: generation,
        inputsDigest: inspection.digest,
        conditions: setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Ready', message: describeCounts(counts), observedGeneration: generation }, this.now()),
      };
      await store.patchStatus(request, status);
      await store.recordEvent?.(request, 'Normal', 'Ready', `${deployment.metadata.name} is ready: ${describeCounts(counts)}`);
      log?.info(`${keyOf(request)} ready: ${describeCounts(counts)} in ${configDir}`);
      return {};
    } catch (err) {
      const reason = reasonOf(err, FAILURE_REASONS[step]);
      await this.fail(request, generation, status, step, reason, errorMessage(err), inspection.digest);
      await store.recordEvent?.(request, 'Warning', reason, errorMessage(err));
      throw asTerminalIfKnown(err, reason);
    }
  }

  /** Writes a failed step and Ready=False; never throws (the original error matters more). */
  private async fail(
    request: Request,
    generation: number | undefined,
    base: DeploymentStatus,
    step: ConditionType,
    reason: string,
    message: string,
    inputsDigest: string | undefined,
  ): Promise<void> {
    const now = this.now();
    let conditions: Condition[] = setCondition(base.conditions ?? [], { type: step, status: 'False', reason, message, observedGeneration: generation }, now);
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason, message, observedGeneration: generation }, now);
    const status: DeploymentStatus = { ...base, conditions, ...(generation !== undefined ? { observedGeneration: generation } : {}), ...(inputsDigest ? { inputsDigest } : {}) };
    try {
      await this.options.store.patchStatus(request, status);
    } catch (err) {
      this.options.log?.warn(`${keyOf(request)}: could not write status: ${errorMessage(err)}`);
    }
  }
}

const FAILURE_REASONS: Record<ConditionType, string> = {
  Generated: 'GenerateFailed',
  ImagesReady: 'ImageBuildFailed',
  Applied: 'ApplyFailed',
  Provisioned: 'ProvisionFailed',
  Ready: 'Failed',
};

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function reasonOf(err: unknown, fallback: string): string {
  return err instanceof TerminalError ? err.reason : fallback;
}

function asTerminalIfKnown(err: unknown, reason: string): unknown {
  if (err instanceof TerminalError) return err;
  return TERMINAL_REASONS.has(reason) ? new TerminalError(errorMessage(err), reason, { cause: err }) : err;
}
