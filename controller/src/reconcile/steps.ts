// The real work of a deploy behind the DeploySteps port: generate (@esb/deploy),
// image builds (@esb/deploy/build), apply (@esb/deploy), provision (provisioner). Errors keep
// the reason they were thrown with; the reconciler turns them into conditions through
// reasonOf (docs/kube.md "Reasons").
import { createHash } from 'node:crypto';
import { rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { ContractError, ReasonError, YamlSyntaxError, type DeploymentOutput, type FunctionsFile, type StackOutput } from '@esb/contracts';
import { provision, readParameterValues, type Credentials, type ProvisionReport } from '@esb/provisioner';
import { applyArtifact, describeTakeover, loadArtifact, readRuntimeConfig, routeKey, type LoadedArtifact, type RuntimeConfig } from '@esb/deploy';
import { BuildError, describeBuild, describeProgress, generateArtifact, type BuildProgress } from '@esb/deploy';
import { inspectInputs } from './inspect.js';
import { fileSignature, type OwnWrite } from './own-writes.js';
import type { Counts, DeploySteps } from './deployment-reconciler.js';

export type { RuntimeKind } from './inspect.js';
import type { RuntimeKind } from './inspect.js';

export interface StepsOptions {
  runtime: RuntimeKind;
  dynamodbEndpoint?: string;
  s3Endpoint?: string;
  sqsEndpoint?: string;
  region?: string;
  credentials?: Credentials;
  /** The Lambda Invoke API (the gateway) custom resources' functions are invoked through (docs/provisioner.md "Custom resources"). */
  lambdaEndpoint?: string;
  /** What the Invoke API takes; default `credentials`. */
  lambdaCredentials?: Credentials;
  /** The S3 endpoint as functions reach it (custom resources answer there); default s3Endpoint. */
  responseS3Endpoint?: string;
  /** Values for `${KEY}` placeholders in function environments. */
  secrets?: Record<string, string>;
  /** Builds the function images of an artifact (Docker runtime only). */
  buildImages?(artifactPath: string, signal: AbortSignal): Promise<{ built: number; reused: number }>;
  log?: { info(msg: string): void; warn(msg: string): void };
  /**
   * Told as soon as an apply has renamed its runtime files into CONFIG_DIR (before it releases
   * the lock and returns): an in-process gateway reloads now instead of waiting for its file
   * watch, which stays for other writers (docs/apply.md).
   */
  onConfigWritten?(configDir: string): void;
  /** Process runtime: what the machine lacks to run these functions as Lambda would (e.g. boto3), said at deploy time. */
  processRuntimeNotes?(functions: FunctionsFile['functions']): string[] | Promise<string[]>;
}

/**
 * The artifact each deploy step reads (describe, images, apply, provision), loaded once: the last
 * one loaded of those this instance's generate wrote, while its artifact.yml is the same file
 * (generate replaces the whole folder, so a new artifact.yml is a new file). An artifact given
 * by a spec (the user's files) is read every time.
 */
export class ArtifactCache {
  private readonly generated = new Set<string>();
  private last?: { path: string; signature: string; loaded: LoadedArtifact };

  /** generate wrote (or is about to write) an artifact here; the one held goes (a generate needs the heap). */
  written(artifactPath: string): void {
    this.generated.add(path.resolve(artifactPath));
    this.last = undefined;
  }

  async load(artifactPath: string): Promise<LoadedArtifact> {
    const file = path.resolve(artifactPath);
    if (!this.generated.has(file)) return loadArtifact(file);
    // Read before loading: a generate in between gives the next look-up another signature.
    const signature = fileSignature(file);
    if (signature !== undefined && this.last?.path === file && this.last.signature === signature) return this.last.loaded;
    const loaded = await loadArtifact(file);
    if (signature !== undefined) this.last = { path: file, signature, loaded };
    return loaded;
  }
}

/**
 * What a Deployment's status counts (functions, routes, and tables, buckets, queues, Kinesis streams,
 * secrets, parameters, layers, EventBridge rules, SNS subscriptions, Firehose delivery streams and S3 bucket notifications as resources) over the runtime configs of an artifact's entries: one rule for what generate
 * reports and what describeArtifact reads back.
 */
export function countRuntimeConfigs(configs: readonly RuntimeConfig[]): Counts {
  const counts: Counts = { functions: 0, routes: 0, resources: 0 };
  for (const config of configs) {
    counts.functions += Object.keys(config.functions.functions).length;
    counts.routes += config.routing.routes.length;
    const r = config.resources.resources;
    counts.resources += (r.dynamodb?.length ?? 0) + (r.s3?.length ?? 0) + (r.sqs?.length ?? 0) + (r.kinesis?.length ?? 0) + (r.secrets?.length ?? 0) + (r.parameters?.length ?? 0) + (r.schedule_groups?.length ?? 0) + (r.schedules?.length ?? 0) + (r.layers?.length ?? 0) + (r.custom_resources?.length ?? 0) + Object.keys(config.functions.rules ?? {}).length + Object.keys(config.functions.subscriptions ?? {}).length + Object.keys(config.functions.delivery_streams ?? {}).length + Object.keys(config.functions.bucket_notifications ?? {}).length;
  }
  return counts;
}

async function countArtifact(artifacts: ArtifactCache, artifactPath: string): Promise<{ artifactDigest: string; counts: Counts; functions: FunctionsFile['functions'] }> {
  const artifact = await artifacts.load(artifactPath);
  const functions: FunctionsFile['functions'] = {};
  for (const { config } of artifact.entries) Object.assign(functions, config.functions.functions);
  const digests = artifact.entries.map(({ entry }) => entry.digest ?? `sha256:${entry.source_template.sha256}`);
  const artifactDigest = digests.length === 1 ? digests[0] : `sha256:${createHash('sha256').update(digests.join('\n')).digest('hex')}`;
  return { artifactDigest, counts: countRuntimeConfigs(artifact.entries.map((e) => e.config)), functions };
}

export function createDeploySteps(options: StepsOptions): DeploySteps {
  const artifacts = new ArtifactCache();
  return {
    inspect: (input) => inspectInputs({ ...input, runtime: options.runtime }),

    async generate({ templatePath, outDir, env, project, parameters, envVars, exclude, stackName, codeRoot, configDir, buildDir, progress, signal }) {
      // Progress lines are written in order; a slow status write never holds up the build.
      let shown = Promise.resolve();
      const onBuildProgress = (event: BuildProgress) => {
        const line = describeProgress(event);
        options.log?.info(`build ${line}`);
        if (progress) shown = shown.then(() => progress(line)).catch(() => undefined);
      };
      artifacts.written(path.join(outDir, 'artifact.yml'));
      try {
        // Parameter Store is the storage's SSM, which CloudFormation would read as it deploys.
        const readParameterStore = options.sqsEndpoint ? (names: string[]) => readParameterValues(names, { sqsEndpoint: options.sqsEndpoint, region: options.region, credentials: options.credentials, signal }) : undefined;
        const result = await generateArtifact({ templatePath, outDir, env, project, stackName, codeRoot, configDir, parameterOverrides: parameters, envVars, region: options.region, exclude, buildDir, onBuildProgress, signal, ...(readParameterStore ? { readParameterStore } : {}) });
        await shown;
        artifacts.written(result.artifactPath);
        return {
          artifactPath: result.artifactPath,
          // generate writes one entry recording this digest, so describeArtifact reads back the same;
          // its fallbacks (no recorded digest, several entries) serve artifacts given by spec.artifact.
          artifactDigest: result.digest,
          warnings: result.warnings.map(String),
          built: result.build ? describeBuild(result.build) : undefined,
          stackName: result.summary.stack,
          counts: countRuntimeConfigs([result.config]),
        };
      } catch (err) {
        await shown;
        throw err;
      }
    },

    async describeArtifact(artifactPath) {
      const { artifactDigest, counts } = await countArtifact(artifacts, artifactPath);
      return { artifactDigest, counts };
    },

    // The self-heal check reads the artifact afresh: what it checks includes the artifact itself.
    verify: (input) => verifyApplied(input, options.log),

    async buildImages(artifactPath, signal) {
      if (options.runtime === 'process') {
        const { functions } = await countArtifact(artifacts, artifactPath);
        const images = Object.entries(functions).filter(([, fn]) => fn.package_type === 'Image');
        if (images.length > 0) {
          throw new ReasonError(
            `${images.map(([name]) => name).join(', ')}: PackageType Image functions need the Docker runtime (esb dev --runtime docker); the process runtime runs zip functions only`,
            'UnsupportedRuntime',
          );
        }
        const notes = (await options.processRuntimeNotes?.(functions)) ?? [];
        return notes.length ? { message: `the process runtime runs code directly; WARNING: ${notes.join('; ')}`, reason: 'NotRequired' } : undefined;
      }
      if (!options.buildImages) throw new Error('the Docker runtime has no image builder configured');
      const { built, reused } = await options.buildImages(artifactPath, signal);
      return { message: `${built} image(s) built, ${reused} reused` };
    },

    async apply({ artifactPath, configDir, owner }) {
      let written: OwnWrite[] = [];
      const onWritten = (names: string[]) => {
        // Signatures of what was written, read under the deploy lock right after the renames:
        // events for these versions are esb's own, and no later writer's version is taken for one.
        written = names.flatMap((name) => {
          const file = path.join(configDir, name);
          const signature = fileSignature(file);
          return signature ? [{ path: file, signature }] : [];
        });
        options.onConfigWritten?.(configDir);
      };
      const loaded = await artifacts.load(artifactPath);
      const report = await applyArtifact({ artifactPath, configDir, secrets: options.secrets, log: options.log, owner, loaded, onWritten });
      const changes = report.entries.map((e) => e.changes);
      const count = (pick: (c: (typeof changes)[number]) => { added: string[]; replaced: string[] } | undefined) =>
        changes.reduce((n, c) => n + (pick(c)?.added.length ?? 0) + (pick(c)?.replaced.length ?? 0), 0);
      return {
        written,
        message: report.changed
          ? `${count((c) => c.functions)} function(s), ${count((c) => c.routes)} route(s) written to ${configDir}`
          : `no change in ${configDir}`,
        warnings: report.warnings,
        takeovers: report.takeovers.map((t) => ({ fromDeployment: t.fromDeployment, what: describeTakeover(t) })),
        outputs: loaded.entries.flatMap((e) => deploymentOutputs(e.outputs ?? {})),
      };
    },

    async provision({ artifactPath }, signal) {
      const artifact = await artifacts.load(artifactPath);
      const messages: string[] = [];
      for (const entry of artifact.entries) {
        const report = await provision(entry.config.resources, {
          dynamodbEndpoint: options.dynamodbEndpoint,
          s3Endpoint: options.s3Endpoint,
          sqsEndpoint: options.sqsEndpoint,
          region: options.region,
          credentials: options.credentials,
          log: options.log,
          signal,
          source: path.join(entry.runtimeConfigDir, 'resources.yml'),
          lambdaEndpoint: options.lambdaEndpoint,
          lambdaCredentials: options.lambdaCredentials,
          responseS3Endpoint: options.responseS3Endpoint,
        });
        messages.push(provisionedMessage(report));
      }
      return { message: messages.join('; ') };
    },
  };
}

/** The Provisioned condition's message of one stack: what it provisioned and the warnings, or that it had nothing to (most stacks: no warning, docs/provisioner.md). */
export function provisionedMessage(report: ProvisionReport): string {
  const { tables, buckets, queues, streams, secrets, parameters, scheduleGroups, schedules, customResources, warnings } = report;
  if ([tables, buckets, queues, streams, secrets, parameters, scheduleGroups, schedules, customResources, warnings].every((l) => l.length === 0)) return 'nothing to provision';
  return `${tables.length} table(s), ${buckets.length} bucket(s), ${queues.length} queue(s), ${streams.length} stream(s)${secrets.length ? `, ${secrets.length} secret(s)` : ''}${parameters.length ? `, ${parameters.length} parameter(s)` : ''}${schedules.length ? `, ${schedules.length} schedule(s)` : ''}${customResources.length ? `, ${customResources.length} custom resource(s) (${customResources.map((r) => `${r.name.slice(r.name.indexOf('/') + 1)} ${r.status}`).join(', ')})` : ''}${warnings.length ? `; ${warnings.join('; ')}` : ''}`;
}

/** The image builder, loaded only for the Docker runtime (dockerode is not needed otherwise). */
export async function loadDockerImageBuilder(): Promise<NonNullable<StepsOptions['buildImages']>> {
  const { buildArtifactImages } = await import('@esb/deploy/build');
  return (artifactPath, signal) => buildArtifactImages(artifactPath, { signal });
}

/**
 * Whether what a Ready Deployment applied is still in CONFIG_DIR (docs/kube.md "Self-heal"):
 * its artifact, every function it declares (by name, with its code folder) and every route (by
 * method and path). Another Deployment replacing a function or route (last write wins) is not
 * damage; a missing one is, since deploys never delete. A runtime file that no longer parses is
 * set aside as `<file>.corrupt-<time>` so that re-applying can rebuild it. Returns what is
 * missing, or undefined when everything is there.
 */
export async function verifyApplied(
  { artifactPath, configDir }: { artifactPath: string; configDir: string },
  log?: { warn(msg: string): void },
): Promise<string | undefined> {
  let artifact;
  try {
    artifact = await loadArtifact(artifactPath);
  } catch (err) {
    return `the artifact is gone or unreadable (${err instanceof Error ? err.message : String(err)})`;
  }
  let current;
  try {
    current = await readRuntimeConfig(configDir);
  } catch (err) {
    // A read error (EACCES) is not corruption: retried by the caller.
    if (!(err instanceof YamlSyntaxError || err instanceof ContractError) || (err as Error).cause !== undefined) throw err;
    const aside = `${err.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(err.file, aside);
    log?.warn(`${err.message}: moved aside to ${aside}; re-applying the Deployments of ${configDir}`);
    return `${err.file} was corrupt`;
  }
  const { functions } = current.config.functions;
  const routes = new Set(current.config.routing.routes.map(routeKey));
  for (const entry of artifact.entries) {
    for (const name of Object.keys(entry.config.functions.functions)) {
      const deployed = functions[name];
      if (!deployed) return `function ${name} is missing from ${path.join(configDir, 'functions.yml')}`;
      if (deployed.code && !(await stat(deployed.code).catch(() => undefined))) return `the code folder of function ${name} (${deployed.code}) is missing`;
    }
    for (const route of entry.config.routing.routes) {
      if (!routes.has(routeKey(route))) return `route ${routeKey(route)} is missing from ${path.join(configDir, 'routing.yml')}`;
    }
  }
  return undefined;
}

/** A stack's Outputs (outputs.yml) as a Deployment's status lists them. */
export function deploymentOutputs(outputs: Record<string, StackOutput>): DeploymentOutput[] {
  return Object.entries(outputs).map(([key, o]) => ({
    key,
    ...(o.value !== undefined ? { value: o.value } : {}),
    ...(o.problem !== undefined ? { problem: o.problem } : {}),
    ...(o.description !== undefined ? { description: o.description } : {}),
    ...(o.export !== undefined ? { exportName: o.export } : {}),
  }));
}
