// Reconciles one Deployment: inspect inputs -> generate -> build images -> apply -> provision
// -> status. Level-based: the inputs digest (template, code, parameters, env, project) and the
// generation decide whether work is needed; an unchanged Ready resource only checks that what
// it applied is still in CONFIG_DIR (docs/kube.md "Self-heal"). Failure reasons come from the
// reason table of @esb/contracts (docs/kube.md "Reasons").
import path from 'node:path';
import { isTerminalReason, joinInside, ReasonError, reasonOf, type Condition, type ConditionType, type DeploymentOutput, type DeploymentStatus, type Reason } from '@esb/contracts';
import { RUNTIME_FILES } from '@esb/deploy';
import { findCondition, setCondition, type ConditionInput } from './conditions.js';
import { ownedPaths } from './inspect.js';
import type { OwnWrite } from './own-writes.js';
import { keyOf, type ReconcileResult, type Reconciler, type Request, type Store, type StoredDeployment } from './types.js';

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
  /** The fingerprint of the generator the digest counts (its own esb's): a CLI of another esb computes the digest with it. */
  generator?: string;
}

/** The work of a deploy, behind one port so the reconciler is tested without I/O. */
export interface DeploySteps {
  /** `exclude`: esb's own folders, never part of a code folder (see ownedPaths). */
  /** `codeRoot`: the folder the template's paths must stay in (the workspace; see codeRootOf). */
  /** `configDir`: where it is applied; the exports of its other stacks are inputs too (docs/generate.md "Outputs and exports"). */
  inspect(input: { templatePath?: string; artifactPath?: string; parameters: Record<string, string>; envVars?: Record<string, Record<string, string>>; env: string; project: string; exclude?: readonly string[]; stackName?: string; codeRoot?: string; configDir?: string }): Promise<Inspection>;
  generate(input: {
    templatePath: string;
    outDir: string;
    env: string;
    project: string;
    parameters: Record<string, string>;
    envVars?: Record<string, Record<string, string>>;
    exclude?: readonly string[];
    stackName?: string;
    codeRoot?: string;
    /** The CONFIG_DIR it is applied to: the exports of its other stacks answer !ImportValue. */
    configDir?: string;
    /** Where SAM's builders put their output and cache (docs/build.md). */
    buildDir?: string;
    /** Build progress ("building HelloWorldFunction (npm)"), shown in the Generated condition. */
    progress?(message: string): Promise<void>;
    signal?: AbortSignal;
  }): Promise<{
    artifactPath: string;
    artifactDigest: string;
    warnings: string[];
    built?: string;
    stackName?: string;
    /** What the artifact holds, when generate knows it (then describeArtifact is not asked). */
    counts?: Counts;
  }>;
  /** Reads the digest and counts of an artifact (generated or given by spec.artifact). */
  describeArtifact(artifactPath: string): Promise<{ artifactDigest: string; counts: Counts }>;
  /** Builds function images; `undefined` when the runtime needs none (process runtime). */
  buildImages(artifactPath: string, signal: AbortSignal): Promise<{ message: string; reason?: string } | undefined>;
  apply(input: { artifactPath: string; configDir: string; owner?: { deployment: string; template?: string } }): Promise<{
    message: string;
    warnings?: string[];
    takeovers?: TakeoverNote[];
    /** The CONFIG_DIR files it wrote, each with the signature of the version it wrote. */
    written?: OwnWrite[];
    /** The Outputs of the stacks it applied, in template order. */
    outputs?: DeploymentOutput[];
  }>;
  provision(input: { artifactPath: string; configDir: string }, signal: AbortSignal): Promise<{ message: string }>;
  /** What of an applied artifact is missing from CONFIG_DIR; undefined when all is there. */
  verify?(input: { artifactPath: string; configDir: string }): Promise<string | undefined>;
}

/** Something a deploy took over from another Deployment (last write wins). */
export interface TakeoverNote {
  /** namespace/name of the Deployment that had it. */
  fromDeployment?: string;
  /** e.g. "route GET /hello (was stack a, deployment default/a-default)". */
  what: string;
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
  /** The folder of the Deployment manifests (file backend): never part of a code folder. */
  deploymentsDir?: string;
  /**
   * Called with what to watch for each key, so code changes (and a damaged CONFIG_DIR)
   * reconcile again; `owned` are esb's own folders, whose changes are not code changes.
   */
  onWatchPaths?(request: Request, paths: string[], owned: string[]): void;
  /** Told what each apply wrote into CONFIG_DIR, so that esb's own writes are not taken for damage. */
  onOwnWrites?(written: OwnWrite[]): void;
  now?(): Date;
  log?: ReconcilerLog;
}

/** Where the artifact of one Deployment is generated: beside its env's CONFIG_DIR. */
export function artifactOutDir(configDir: string, request: Request): string {
  return joinInside(path.join(path.dirname(configDir), 'artifacts'), `${request.namespace}-${request.name}`);
}

/** Where SAM's builders build one Deployment's code (and keep their cache): beside its artifact. */
export function buildOutDir(configDir: string, request: Request): string {
  return joinInside(path.join(path.dirname(configDir), 'build'), `${request.namespace}-${request.name}`);
}

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
      // A manifest that cannot be read as a Deployment says so in its status (InvalidSpec, not
      // retried); an API server that does not answer is retried.
      const reason = reasonOf(err, { step: 'Generated', invalidInput: 'InvalidSpec' });
      await this.fail(request, undefined, {}, 'Generated', reason, errorMessage(err), undefined);
      throw new ReasonError(errorMessage(err), reason, { cause: err });
    }
    if (!stored) {
      log?.info(`${keyOf(request)} deleted: its functions, routes and resources stay deployed (esb never deletes on deploy)`);
      await store.forget?.(request);
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
    const outDir = artifactOutDir(configDir, request);
    // Where generate writes the artifact (what the Ready check reads back).
    const expectedArtifact = templatePath ? path.join(outDir, 'artifact.yml') : givenArtifact!;
    const owned = ownedPaths({ deploymentsDir: this.options.deploymentsDir, configDir });
    // The runtime files of CONFIG_DIR are watched for self-heal.
    const configFiles = Object.values(RUNTIME_FILES).map((f) => path.join(configDir, f));

    let inspection: Inspection;
    try {
      inspection = await this.options.steps.inspect({ templatePath, artifactPath: givenArtifact, parameters, ...(spec.envVars ? { envVars: spec.envVars } : {}), env: spec.env, project: spec.project, exclude: owned, stackName: spec.stackName, codeRoot: this.options.workspace, configDir });
    } catch (err) {
      // Watch the input even when it is missing: its appearance reconciles again.
      this.options.onWatchPaths?.(request, [templatePath ?? path.dirname(givenArtifact!)], owned);
      const reason = reasonOf(err, { step: 'Generated', invalidInput: templatePath ? 'InvalidTemplate' : 'InvalidArtifact' });
      await this.fail(request, generation, previous, 'Generated', reason, errorMessage(err), undefined);
      throw new ReasonError(errorMessage(err), reason, { cause: err });
    }
    this.options.onWatchPaths?.(request, [...inspection.watchPaths, ...configFiles], owned);

    const ready = findCondition(previous.conditions, 'Ready');
    const unchanged = previous.observedGeneration === generation && previous.inputsDigest === inspection.digest;
    if (unchanged && ready && ready.status !== 'True' && isTerminalReason(ready.reason)) return {};
    if (unchanged && ready?.status === 'True') {
      // Ready is a claim about CONFIG_DIR: check it still holds (moved away, emptied, corrupted).
      const missing = previous.configDir === configDir ? await this.options.steps.verify?.({ artifactPath: expectedArtifact, configDir }) : `CONFIG_DIR is now ${configDir}`;
      if (missing === undefined) return {};
      log?.warn(`${keyOf(request)}: ${missing}; applying again`);
    }

    let status: DeploymentStatus = { ...previous, configDir };
    // Progress is written behind the steps (in order): the next step does not wait for the write.
    const progressWrites = new StatusWriter(store, request);
    const progress = async (type: ConditionType, condition: Omit<ConditionInput, 'type'>, readyReason: string) => {
      let conditions = setCondition(status.conditions ?? [], { type, ...condition, observedGeneration: generation }, this.now());
      conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: readyReason, message: condition.message, observedGeneration: generation }, this.now());
      status = { ...status, conditions };
      progressWrites.write(status);
    };

    let step: ConditionType = 'Generated';
    try {
      // Mark every step Unknown first so that `esb deploy` shows progress from a clean slate.
      for (const type of ['Generated', 'ImagesReady', 'Applied', 'Provisioned'] as const) {
        status = { ...status, conditions: setCondition(status.conditions ?? [], { type, status: 'Unknown', reason: 'Pending', message: '', observedGeneration: generation }, this.now()) };
      }
      await progress('Generated', { status: 'Unknown', reason: 'Generating', message: templatePath ? `generating from ${templatePath}` : `reading ${givenArtifact}` }, 'Generating');

      let warnings: string[] = [];
      let artifactPath = expectedArtifact;
      let built: string | undefined;
      let described: { artifactDigest: string; counts: Counts } | undefined;
      if (templatePath) {
        const buildProgress = (message: string) => progress('Generated', { status: 'Unknown', reason: 'Building', message }, 'Building');
        const generated = await this.options.steps.generate({
          templatePath,
          outDir,
          env: spec.env,
          project: spec.project,
          parameters,
          ...(spec.envVars ? { envVars: spec.envVars } : {}),
          exclude: owned,
          stackName: spec.stackName,
          codeRoot: this.options.workspace,
          configDir,
          buildDir: buildOutDir(configDir, request),
          progress: buildProgress,
          signal,
        });
        artifactPath = generated.artifactPath;
        warnings = generated.warnings;
        built = generated.built;
        if (generated.stackName) status = { ...status, stackName: generated.stackName };
        if (generated.counts) described = { artifactDigest: generated.artifactDigest, counts: generated.counts };
      }
      const { artifactDigest, counts } = described ?? (await this.options.steps.describeArtifact(artifactPath));
      status = { ...status, artifactDigest, ...counts };
      const generatedMessage = `${describeCounts(counts)}${built ? `; ${built}` : ''}${warnings.length ? `; ${warnings.length} warning(s): ${warnings.join('; ')}` : ''}`;
      await progress('Generated', { status: 'True', reason: templatePath ? 'Generated' : 'ArtifactGiven', message: generatedMessage }, 'BuildingImages');

      step = 'ImagesReady';
      const images = await this.options.steps.buildImages(artifactPath, signal);
      await progress('ImagesReady', images ? { status: 'True', reason: images.reason ?? 'ImagesBuilt', message: images.message } : { status: 'True', reason: 'NotRequired', message: 'the process runtime runs code directly' }, 'Applying');

      step = 'Applied';
      const self = keyOf(request);
      const applied = await this.options.steps.apply({ artifactPath, configDir, owner: { deployment: self, ...(templatePath ? { template: templatePath } : {}) } });
      if (applied.written?.length) this.options.onOwnWrites?.(applied.written);
      warnings = [...warnings, ...(applied.warnings ?? [])];
      // This deploy owns all it deployed again; the Deployments it took things from are told.
      // An output the template no longer has goes with it: the list is the one just applied.
      const { outputs: _previousOutputs, ...rest } = status;
      status = { ...rest, warnings, ...(applied.outputs?.length ? { outputs: applied.outputs } : {}), conditions: (status.conditions ?? []).filter((c) => c.type !== 'Overridden') };
      await this.markOverridden(self, applied.takeovers ?? []);
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
        ...(inspection.generator ? { generator: inspection.generator } : {}),
        conditions: setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Ready', message: describeCounts(counts), observedGeneration: generation }, this.now()),
      };
      await progressWrites.flush();
      await store.patchStatus(request, status);
      await store.recordEvent?.(request, 'Normal', 'Ready', `${deployment.metadata.name} is ready: ${describeCounts(counts)}`);
      log?.info(`${keyOf(request)} ready: ${describeCounts(counts)} in ${configDir}`);
      return {};
    } catch (err) {
      await progressWrites.flush().catch(() => {}); // the failure is written after the progress before it
      const reason = reasonOf(err, { step, invalidInput: step === 'Generated' && templatePath ? 'InvalidTemplate' : 'InvalidArtifact' });
      await this.fail(request, generation, status, step, reason, errorMessage(err), inspection);
      await store.recordEvent?.(request, 'Warning', reason, errorMessage(err));
      throw new ReasonError(errorMessage(err), reason, { cause: err });
    }
  }

  /** Sets Overridden=True on each Deployment that lost something to `by`; never throws. */
  private async markOverridden(by: string, takeovers: TakeoverNote[]): Promise<void> {
    const byOwner = new Map<string, string[]>();
    for (const t of takeovers) {
      if (!t.fromDeployment || t.fromDeployment === by) continue;
      byOwner.set(t.fromDeployment, [...(byOwner.get(t.fromDeployment) ?? []), t.what]);
    }
    for (const [owner, what] of byOwner) {
      const slash = owner.indexOf('/');
      const request = { namespace: owner.slice(0, slash), name: owner.slice(slash + 1) };
      try {
        const stored = await this.options.store.get(request);
        if (!stored) continue;
        const previous = stored.deployment.status ?? {};
        const earlier = findCondition(previous.conditions, 'Overridden');
        const items = [...new Set([...(earlier?.message.match(/(?<=: ).*$/)?.[0].split('; ') ?? []), ...what])];
        const message = `${by} took over: ${items.join('; ')}`;
        const conditions = setCondition(previous.conditions ?? [], { type: 'Overridden', status: 'True', reason: 'TakenOver', message, ...(previous.observedGeneration !== undefined ? { observedGeneration: previous.observedGeneration } : {}) }, this.now());
        await this.options.store.patchStatus(request, { ...previous, conditions });
        await this.options.store.recordEvent?.(request, 'Warning', 'TakenOver', message);
      } catch (err) {
        this.options.log?.warn(`${owner}: could not record what ${by} took over: ${errorMessage(err)}`);
      }
    }
  }

  /** Writes a failed step and Ready=False; never throws (the original error matters more). */
  private async fail(
    request: Request,
    generation: number | undefined,
    base: DeploymentStatus,
    step: ConditionType,
    reason: Reason,
    message: string,
    inputs: Pick<Inspection, 'digest' | 'generator'> | undefined,
  ): Promise<void> {
    const now = this.now();
    let conditions: Condition[] = setCondition(base.conditions ?? [], { type: step, status: 'False', reason, message, observedGeneration: generation }, now);
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason, message, observedGeneration: generation }, now);
    // The digest of the inputs that failed; none when they could not be read (a template that
    // reappears unchanged must not look already handled).
    const { inputsDigest: _previous, generator: _generator, ...rest } = base;
    const status: DeploymentStatus = {
      ...rest,
      conditions,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      ...(inputs ? { inputsDigest: inputs.digest, ...(inputs.generator ? { generator: inputs.generator } : {}) } : {}),
    };
    try {
      await this.options.store.patchStatus(request, status);
    } catch (err) {
      this.options.log?.warn(`${keyOf(request)}: could not write status: ${errorMessage(err)}`);
    }
  }
}

/**
 * Status writes of one reconcile, one after the other in the order given, without the caller
 * waiting for each; `flush` waits for all and throws the first write error (later ones are
 * skipped after an error, so a status never goes backwards).
 */
export class StatusWriter {
  private chain: Promise<void> = Promise.resolve();
  private error: { cause: unknown } | undefined;

  constructor(
    private readonly store: Pick<Store, 'patchStatus'>,
    private readonly request: Request,
  ) {}

  write(status: DeploymentStatus): void {
    this.chain = this.chain.then(async () => {
      if (this.error) return;
      try {
        await this.store.patchStatus(this.request, status);
      } catch (cause) {
        this.error = { cause };
      }
    });
  }

  async flush(): Promise<void> {
    await this.chain;
    const error = this.error;
    this.error = undefined;
    if (error) throw error.cause;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
