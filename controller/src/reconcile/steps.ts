// The real work of a deploy behind the DeploySteps port: generate (@esb/deploy),
// image builds (@esb/deploy/build), apply (@esb/deploy), provision (provisioner). Errors users can
// only fix by changing their input become TerminalErrors with a reason.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ContractError, FunctionsFile, YamlSyntaxError } from '@esb/contracts';
import { provision, type Credentials } from '@esb/provisioner';
import { applyArtifact, ArtifactError, DigestMismatchError, loadArtifact, readRuntimeConfig, routeKey, SecretMissingError } from '@esb/deploy';
import { generateArtifact, SamTemplateError } from '@esb/deploy';
import { inspectInputs } from './inspect.js';
import type { Counts, DeploySteps } from './deployment-reconciler.js';
import { TerminalError } from './types.js';

export type { RuntimeKind } from './inspect.js';
import type { RuntimeKind } from './inspect.js';

export interface StepsOptions {
  runtime: RuntimeKind;
  dynamodbEndpoint?: string;
  s3Endpoint?: string;
  region?: string;
  credentials?: Credentials;
  /** Values for `${KEY}` placeholders in function environments. */
  secrets?: Record<string, string>;
  /** Builds the function images of an artifact (Docker runtime only). */
  buildImages?(artifactPath: string, signal: AbortSignal): Promise<{ built: number; reused: number }>;
  log?: { info(msg: string): void; warn(msg: string): void };
}

/** Input errors: the same input fails the same way, so retrying is pointless. */
export function classify(err: unknown, reason: string): unknown {
  if (err instanceof TerminalError) return err;
  if (err instanceof SamTemplateError || err instanceof YamlSyntaxError || err instanceof ContractError) {
    return new TerminalError((err as Error).message, reason, { cause: err });
  }
  if (err instanceof ArtifactError || err instanceof DigestMismatchError || err instanceof SecretMissingError) {
    return new TerminalError((err as Error).message, 'InvalidArtifact', { cause: err });
  }
  return err;
}

async function countArtifact(artifactPath: string): Promise<{ artifactDigest: string; counts: Counts; functions: FunctionsFile['functions'] }> {
  const artifact = await loadArtifact(artifactPath);
  const counts: Counts = { functions: 0, routes: 0, resources: 0 };
  const functions: FunctionsFile['functions'] = {};
  const digests: string[] = [];
  for (const entry of artifact.entries) {
    const { config } = entry;
    Object.assign(functions, config.functions.functions);
    counts.functions += Object.keys(config.functions.functions).length;
    counts.routes += config.routing.routes.length;
    const r = config.resources.resources;
    counts.resources += (r.dynamodb?.length ?? 0) + (r.s3?.length ?? 0) + (r.layers?.length ?? 0);
    digests.push(entry.entry.digest ?? `sha256:${entry.entry.source_template.sha256}`);
  }
  const artifactDigest = digests.length === 1 ? digests[0] : `sha256:${createHash('sha256').update(digests.join('\n')).digest('hex')}`;
  return { artifactDigest, counts, functions };
}

export function createDeploySteps(options: StepsOptions): DeploySteps {
  return {
    inspect: (input) => inspectInputs({ ...input, runtime: options.runtime }),

    async generate({ templatePath, outDir, env, project, parameters }) {
      try {
        const result = await generateArtifact({ templatePath, outDir, env, project, parameterOverrides: parameters, region: options.region });
        return { artifactPath: result.artifactPath, artifactDigest: result.digest, warnings: result.warnings.map(String) };
      } catch (err) {
        throw classify(err, 'InvalidTemplate');
      }
    },

    async describeArtifact(artifactPath) {
      try {
        const { artifactDigest, counts } = await countArtifact(artifactPath);
        return { artifactDigest, counts };
      } catch (err) {
        throw classify(err, 'InvalidArtifact');
      }
    },

    async buildImages(artifactPath, signal) {
      if (options.runtime === 'process') {
        const { functions } = await countArtifact(artifactPath);
        const images = Object.entries(functions).filter(([, fn]) => fn.package_type === 'Image');
        if (images.length > 0) {
          throw new TerminalError(
            `${images.map(([name]) => name).join(', ')}: PackageType Image functions need the Docker runtime (esb dev --runtime docker); the process runtime runs zip functions only`,
            'UnsupportedRuntime',
          );
        }
        return undefined;
      }
      if (!options.buildImages) throw new Error('the Docker runtime has no image builder configured');
      const { built, reused } = await options.buildImages(artifactPath, signal);
      return { message: `${built} image(s) built, ${reused} reused` };
    },

    async apply({ artifactPath, configDir }) {
      try {
        const report = await applyArtifact({ artifactPath, configDir, secrets: options.secrets, log: options.log });
        const changes = report.entries.map((e) => e.changes);
        const count = (pick: (c: (typeof changes)[number]) => { added: string[]; replaced: string[] } | undefined) =>
          changes.reduce((n, c) => n + (pick(c)?.added.length ?? 0) + (pick(c)?.replaced.length ?? 0), 0);
        return {
          message: report.changed
            ? `${count((c) => c.functions)} function(s), ${count((c) => c.routes)} route(s) written to ${configDir}`
            : `no change in ${configDir}`,
        };
      } catch (err) {
        throw classify(err, 'InvalidArtifact');
      }
    },

    async provision({ artifactPath }, signal) {
      const artifact = await loadArtifact(artifactPath);
      const messages: string[] = [];
      for (const entry of artifact.entries) {
        const report = await provision(entry.config.resources, {
          dynamodbEndpoint: options.dynamodbEndpoint,
          s3Endpoint: options.s3Endpoint,
          region: options.region,
          credentials: options.credentials,
          log: options.log,
          signal,
          source: path.join(entry.runtimeConfigDir, 'resources.yml'),
        });
        messages.push(`${report.tables.length} table(s), ${report.buckets.length} bucket(s)${report.warnings.length ? `; ${report.warnings.join('; ')}` : ''}`);
      }
      return { message: messages.join('; ') };
    },
    async verifyApplied({ artifactPath, configDir }) {
      let artifact;
      try {
        artifact = await loadArtifact(artifactPath);
      } catch (err) {
        return `its artifact is gone (${(err as Error).message})`;
      }
      let config;
      try {
        ({ config } = await readRuntimeConfig(configDir));
      } catch (err) {
        return `CONFIG_DIR ${configDir} is unreadable (${(err as Error).message})`;
      }
      const functions = new Set(Object.keys(config.functions.functions));
      const routes = new Set(config.routing.routes.map(routeKey));
      for (const entry of artifact.entries) {
        const fn = Object.keys(entry.config.functions.functions).find((f) => !functions.has(f));
        if (fn) return `function ${fn} is missing from ${configDir}`;
        const route = entry.config.routing.routes.map(routeKey).find((r) => !routes.has(r));
        if (route) return `route ${route} is missing from ${configDir}`;
      }
      return undefined;
    },
  };
}

/** The image builder, loaded only for the Docker runtime (dockerode is not needed otherwise). */
export async function loadDockerImageBuilder(): Promise<NonNullable<StepsOptions['buildImages']>> {
  const { buildArtifactImages } = await import('@esb/deploy/build');
  return (artifactPath, signal) => buildArtifactImages(artifactPath, { signal });
}
