// SamModel -> the files of an artifact. Pure: code folders come in as listings (path, sha256,
// and where the bytes are) supplied by the adapter; nothing here touches the disk.
import { RUNTIME_IMAGES } from '@esb/contracts';
import type { ImageBuild } from '@esb/contracts';
import { createHash } from 'node:crypto';
import {
  ArtifactFile,
  customRuntimeEntry,
  FunctionsFile,
  OutputsFile,
  eventRuleKey,
  topicSubscriptionKey,
  bucketNotificationKey,
  ResourcesFile,
  RoutingFile,
  validate,
  type FunctionConfig,
  type LayerResource,
} from '@esb/contracts';
import type { RuntimeConfig } from '../apply/merge.js';
import type { CodeRef, FunctionModel, SamModel } from '../sam/model.js';
import { SamTemplateError } from '../sam/errors.js';
import { parseSamTemplate, runtimeFamily, type SamOptions } from '../sam/template.js';
import { toYaml } from './yaml-emit.js';

export const GENERATOR = { name: 'esb', version: '0.1.0' } as const;

export interface CodeEntry {
  /** POSIX path inside the folder / zip. */
  path: string;
  sha256: string;
  /** Where the bytes are: a file to copy, or the bytes themselves (zip entries, inline code). */
  source: { copyFrom: string; link?: boolean } | { content: Uint8Array; mode?: number };
}

export interface CodeListing {
  /** Sorted by path. */
  entries: CodeEntry[];
  /** Symlinks left out because they lead outside the template's folder (shown as warnings). */
  skipped?: string[];
  /** A build output (docs/build.md): written once as `builds/<shared>/`, used by every function built from it. */
  shared?: string;
}

/** A file of the artifact: bytes to write (`mode`: e.g. 0o755 from a zip), or a file to copy (mode kept). */
export type ArtifactFileSpec = { path: string; content: string | Uint8Array; mode?: number } | { path: string; copyFrom: string; link?: boolean };

export type { ImageBuild };

export interface GenerateSummary {
  stack: string;
  functions: number;
  routes: number;
  apis: number;
  /** WebSocket APIs; present when the template has some. */
  websockets?: number;
  tables: number;
  buckets: number;
  queues: number;
  /** Kinesis data streams; present when the template has some. */
  streams?: number;
  /** Secrets Manager secrets and SSM parameters; present when the template has some. */
  secrets?: number;
  parameters?: number;
  /** EventBridge rules; present when the template has some. */
  rules?: number;
  /** SNS topic subscriptions; present when the template has some. */
  subscriptions?: number;
  /** Step Functions state machines; present when the template has some. */
  stateMachines?: number;
  /** Firehose delivery streams; present when the template has some. */
  deliveryStreams?: number;
  layers: number;
  warnings: number;
}

export interface RenderOptions extends SamOptions {
  project?: string;
  env?: string;
  mode?: 'docker' | 'process';
  /** Base image per runtime ("python3.12") or family ("python3", "nodejs"). */
  baseImages?: Record<string, string>;
  /** Listings of every CodeRef uri of the template (see SamModel.codeRefs). */
  code?: Record<string, CodeListing>;
  /** Listings of the built-in handlers the model's functions use, by file (see readBuiltinCode). */
  builtins?: Record<string, CodeListing>;
  /** The template's path as written into artifact.yml (relative to artifact.yml's folder). */
  templatePath?: string;
  /** sha256 (hex) of the template bytes; computed from the text when the input is text. */
  templateSha256?: string;
  generatedAt?: string;
}

export interface RenderResult {
  stackName: string;
  files: ArtifactFileSpec[];
  summary: GenerateSummary;
  /** The runtime config written to `<stack>/config/`, as validated (code and layer paths relative to the stack). */
  config: RuntimeConfig;
  warnings: string[];
  /** "sha256:<hex>" over the runtime config and build contexts. */
  digest: string;
  builds: ImageBuild[];
  model: SamModel;
}

/** `provided`: the bare OS image; the function's own bootstrap is the entrypoint. */
export const DEFAULT_BASE_IMAGES: Record<string, string> = { ...RUNTIME_IMAGES, provided: 'esb-base:bookworm' };

const sha256hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

function isModel(v: unknown): v is SamModel {
  return typeof v === 'object' && v !== null && Array.isArray((v as SamModel).codeRefs) && typeof (v as SamModel).stackName === 'string';
}

export function yamlText(value: unknown): string {
  return toYaml(value as Record<string, unknown>);
}

/** A Docker repository component from a function key. */
export function imageRepoName(project: string, key: string): string {
  const safe = (s: string) => s.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').replace(/[^a-z0-9]+$/, '') || 'fn';
  return `esb-${safe(project)}-${safe(key)}`;
}

function listingHash(listing: CodeListing): string {
  const h = createHash('sha256');
  for (const e of listing.entries) h.update(`${e.path}\0${e.sha256}\n`);
  return h.digest('hex');
}

export function baseImageFor(runtime: string, baseImages: Record<string, string> | undefined): string {
  const family = runtimeFamily(runtime) as string;
  return baseImages?.[runtime] ?? baseImages?.[family] ?? DEFAULT_BASE_IMAGES[family];
}

/** Renders the artifact for a template (text, parsed object, or a SamModel from parseSamTemplate). */
export function renderArtifact(input: string | unknown, options: RenderOptions = {}): RenderResult {
  const model = isModel(input) ? input : parseSamTemplate(input, options);
  const project = options.project ?? 'esb';
  const env = options.env ?? 'default';
  const stack = model.stackName;
  const file = model.file;
  const templateSha = options.templateSha256 ?? (typeof input === 'string' ? sha256hex(input) : sha256hex(JSON.stringify(input)));
  const files: ArtifactFileSpec[] = [];
  const fileHashes: Array<[string, string]> = [];
  const warnings = [...model.warnings];

  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(stack)) throw new SamTemplateError(file, undefined, undefined, `stack name "${stack}" must be letters, digits, ".", "-", "_"`);

  const listingOf = (ref: CodeRef): CodeListing => {
    const l = options.code?.[ref.uri];
    if (!l) throw new SamTemplateError(file, ref.logicalId, ref.field, `no listing for "${ref.uri}" (the adapter did not read it)`);
    return l;
  };
  const builtinOf = (fn: FunctionModel, builtin: string): CodeListing => {
    const l = options.builtins?.[builtin];
    if (!l) throw new SamTemplateError(file, fn.logicalId, undefined, `no listing for the built-in handler "${builtin}" (the adapter did not read it)`);
    return l;
  };
  const addText = (path: string, content: string) => {
    files.push({ path: `${stack}/${path}`, content });
    fileHashes.push([`${stack}/${path}`, sha256hex(content)]);
  };
  const addListing = (prefix: string, listing: CodeListing) => {
    for (const e of listing.entries) {
      const path = `${stack}/${prefix}/${e.path}`;
      files.push('copyFrom' in e.source ? { path, copyFrom: e.source.copyFrom, ...(e.source.link ? { link: true } : {}) } : e.source.mode ? { path, content: e.source.content, mode: e.source.mode } : { path, content: e.source.content });
      fileHashes.push([path, e.sha256]);
    }
  };

  // Layers first: functions' digests include them.
  const layerHash = new Map<string, string>();
  const layerName = new Map<string, string>();
  const layerResources: LayerResource[] = [];
  for (const layer of model.layers) {
    const listing = listingOf(layer.content);
    addListing(`layers/${layer.name}`, listing);
    layerHash.set(layer.logicalId, listingHash(listing));
    layerName.set(layer.logicalId, layer.name);
    const res: LayerResource = { Name: layer.name, ContentUri: `layers/${layer.name}` };
    if (layer.compatibleRuntimes) res.CompatibleRuntimes = layer.compatibleRuntimes;
    layerResources.push(res);
  }

  const functions: Record<string, FunctionConfig> = {};
  const builds: ImageBuild[] = [];
  const sharedWritten = new Set<string>();
  const addShared = (name: string, listing: CodeListing) => {
    if (!sharedWritten.has(name)) addListing(`builds/${name}`, listing);
    sharedWritten.add(name);
  };
  for (const fn of model.functions) {
    const { config, build } = renderFunction(fn, { file, project, stack, baseImages: options.baseImages, layerHash, layerName, listingOf, builtinOf, addText, addListing, addShared });
    functions[fn.key] = config;
    if (build) builds.push(build);
  }

  // No rules, no `rules` key (nor subscriptions, `subscriptions`; nor state machines, `state_machines`; nor delivery streams, `delivery_streams`; nor bucket notifications): functions.yml of a template without them is as it was.
  const rules = Object.fromEntries(model.rules.map((r) => [eventRuleKey(r), r]));
  const subscriptions = Object.fromEntries(model.subscriptions.map((s) => [topicSubscriptionKey(s), s]));
  const stateMachines = Object.fromEntries(model.stateMachines.map((m) => [m.name, m]));
  const deliveryStreams = Object.fromEntries(model.deliveryStreams.map((d) => [d.name, d]));
  const bucketNotifications = Object.fromEntries(model.bucketNotifications.map((n) => [bucketNotificationKey(n), n]));
  const functionsFile = validate(
    FunctionsFile,
    {
      defaults: { environment: {}, scaling: {} },
      functions,
      ...(model.rules.length ? { rules } : {}),
      ...(model.subscriptions.length ? { subscriptions } : {}),
      ...(model.stateMachines.length ? { state_machines: stateMachines } : {}),
      ...(model.deliveryStreams.length ? { delivery_streams: deliveryStreams } : {}),
      ...(model.bucketNotifications.length ? { bucket_notifications: bucketNotifications } : {}),
      ...(model.eventBridgeBuckets.length ? { eventbridge_buckets: model.eventBridgeBuckets } : {}),
    },
    `${stack}/config/functions.yml`,
  );
  // No WebSocket APIs, no `websockets` key: routing.yml of a template without them is as it was.
  const routingFile = validate(
    RoutingFile,
    { routes: model.routes, apis: model.apis, ...(Object.keys(model.websockets ?? {}).length ? { websockets: model.websockets } : {}), ...(Object.keys(model.loadBalancers ?? {}).length ? { load_balancers: model.loadBalancers } : {}) },
    `${stack}/config/routing.yml`,
  );
  const resources: Record<string, unknown> = {};
  if (model.tables.length) resources.dynamodb = model.tables;
  if (model.buckets.length) resources.s3 = model.buckets;
  if (model.queues.length) resources.sqs = model.queues;
  if (model.streams.length) resources.kinesis = model.streams;
  if (model.secrets.length) resources.secrets = model.secrets;
  if (model.parameters.length) resources.parameters = model.parameters;
  if (model.scheduleGroups.length) resources.schedule_groups = model.scheduleGroups;
  if (model.schedules.length) resources.schedules = model.schedules;
  if (layerResources.length) resources.layers = layerResources;
  if (model.customResources.length) resources.custom_resources = model.customResources;
  const resourcesFile = validate(ResourcesFile, { resources }, `${stack}/config/resources.yml`);
  addText('config/functions.yml', yamlText(functionsFile));
  addText('config/routing.yml', yamlText(routingFile));
  addText('config/resources.yml', yamlText(resourcesFile));
  // The stack's Outputs, which apply records in stacks.yml (docs/generate.md "Outputs and exports"); none, no file.
  if (Object.keys(model.outputs).length) addText('config/outputs.yml', yamlText(validate(OutputsFile, { outputs: model.outputs }, `${stack}/config/outputs.yml`)));
  if (builds.length) addText('images.yml', yamlText({ images: builds }));
  if (!model.functions.length && !model.tables.length && !model.buckets.length && !model.queues.length && !model.streams.length && !model.secrets.length && !model.parameters.length && !model.rules.length && !model.subscriptions.length && !model.stateMachines.length && !model.deliveryStreams.length) {
    warnings.push('the template defines nothing esb runs (no functions, tables, buckets, queues, streams, secrets, parameters, state machines or delivery streams)');
  }

  fileHashes.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const dh = createHash('sha256');
  for (const [p, h] of fileHashes) dh.update(`${p}\0${h}\n`);
  const digest = `sha256:${dh.digest('hex')}`;

  const artifact: Record<string, unknown> = {
    schema_version: '1',
    project,
    env,
    mode: options.mode ?? 'docker',
    artifacts: [
      {
        artifact_root: stack,
        runtime_config_dir: `${stack}/config`,
        source_template: { path: options.templatePath ?? file, sha256: templateSha },
        digest,
      },
    ],
  };
  if (options.generatedAt) artifact.generated_at = options.generatedAt;
  artifact.generator = { ...GENERATOR };
  const artifactFile = validate(ArtifactFile, artifact, 'artifact.yml');
  files.push({ path: 'artifact.yml', content: yamlText(artifactFile) });

  const summary: GenerateSummary = {
    stack,
    functions: model.functions.length,
    routes: model.routes.length,
    apis: Object.keys(model.apis).length,
    ...(Object.keys(model.websockets ?? {}).length ? { websockets: Object.keys(model.websockets).length } : {}),
    tables: model.tables.length,
    buckets: model.buckets.length,
    queues: model.queues.length,
    ...(model.streams.length ? { streams: model.streams.length } : {}),
    ...(model.secrets.length ? { secrets: model.secrets.length } : {}),
    ...(model.parameters.length ? { parameters: model.parameters.length } : {}),
    ...(model.rules.length ? { rules: model.rules.length } : {}),
    ...(model.subscriptions.length ? { subscriptions: model.subscriptions.length } : {}),
    ...(model.stateMachines.length ? { stateMachines: model.stateMachines.length } : {}),
    ...(model.deliveryStreams.length ? { deliveryStreams: model.deliveryStreams.length } : {}),
    layers: model.layers.length,
    warnings: warnings.length,
  };
  const config = { functions: functionsFile, routing: routingFile, resources: resourcesFile };
  return { stackName: stack, files, summary, config, warnings, digest, builds, model };
}

interface FnContext {
  file: string;
  project: string;
  stack: string;
  baseImages?: Record<string, string>;
  layerHash: Map<string, string>;
  layerName: Map<string, string>;
  listingOf(ref: CodeRef): CodeListing;
  builtinOf(fn: FunctionModel, file: string): CodeListing;
  addText(path: string, content: string): void;
  addListing(prefix: string, listing: CodeListing): void;
  addShared(name: string, listing: CodeListing): void;
}

function renderFunction(fn: FunctionModel, ctx: FnContext): { config: FunctionConfig; build?: ImageBuild } {
  const dir = `functions/${fn.key}`;
  const layers = fn.layers.map((id) => ({ name: ctx.layerName.get(id) as string, path: `layers/${ctx.layerName.get(id)}` }));
  const config: FunctionConfig = {
    package_type: fn.packageType,
    timeout: fn.timeout,
    memory_size: fn.memorySize,
    environment: fn.environment,
    scaling: fn.scaling,
    layers,
    events: fn.events.map((e): FunctionConfig['events'][number] => {
      if (e.type !== 'schedule') return { ...e };
      const out: FunctionConfig['events'][number] = { type: 'schedule', name: e.name, schedule: e.schedule, enabled: e.enabled };
      if (e.input !== undefined) out.input = e.input;
      return out;
    }),
  };
  if (fn.runtime) config.runtime = fn.runtime;
  if (fn.handler) config.handler = fn.handler;
  if (fn.architectures) config.architectures = fn.architectures;

  const h = createHash('sha256');
  let dockerfile: string | undefined;
  let build: ImageBuild | undefined;
  if (fn.packageType === 'Zip') {
    config.code = `${dir}/code`;
    // A custom runtime is the program its code brings: bootstrap, or go1.x's Handler executable.
    const custom = customRuntimeEntry(fn.runtime, fn.handler);
    let codeHash: string;
    if (fn.code?.kind === 'inline') {
      const content = fn.code.text;
      ctx.addText(`${dir}/code/${fn.code.fileName}`, content);
      codeHash = sha256hex(`${fn.code.fileName}\0${sha256hex(content)}\n`);
    } else if (fn.code?.kind === 'builtin') {
      // Copied like a code folder, so the function's digest follows the handler esb ships.
      const listing = ctx.builtinOf(fn, fn.code.file);
      ctx.addListing(`${dir}/code`, listing);
      codeHash = listingHash(listing);
    } else {
      const listing = ctx.listingOf((fn.code as { ref: CodeRef }).ref);
      if (listing.shared) {
        config.code = `builds/${listing.shared}`;
        ctx.addShared(listing.shared, listing);
      } else ctx.addListing(`${dir}/code`, listing);
      codeHash = listingHash(listing);
      // A custom runtime is its bootstrap: without one nothing could start.
      if (custom && !listing.entries.some((e) => e.path === custom)) {
        const ref = (fn.code as { ref: CodeRef }).ref;
        const built = fn.build?.method !== undefined || fn.runtime === 'go1.x';
        throw new SamTemplateError(ctx.file, fn.logicalId, built ? 'Metadata.BuildMethod' : ref.field, `a ${fn.runtime} function needs a file named ${custom} at the root of its code ("${ref.uri}"${built ? ', as built' : ''}): the program Lambda starts`);
      }
    }
    const base = baseImageFor(fn.runtime as string, ctx.baseImages);
    const lines = [`ARG BASE_IMAGE=${base}`, 'FROM ${BASE_IMAGE}'];
    for (const l of layers) lines.push(`COPY ${l.path}/ /opt/`);
    lines.push(`COPY ${config.code}/ /var/task/`);
    if (custom) lines.push(`ENTRYPOINT [${JSON.stringify(`/var/task/${custom}`)}]`);
    lines.push(`CMD [${JSON.stringify(fn.handler)}]`, '');
    dockerfile = lines.join('\n');
    ctx.addText(`${dir}/Dockerfile`, dockerfile);
    h.update(`code\0${codeHash}\n`);
  } else if (fn.image?.kind === 'dockerfile') {
    const listing = ctx.listingOf(fn.image.context);
    if (!listing.entries.some((e) => e.path === (fn.image as { dockerfile: string }).dockerfile)) {
      throw new SamTemplateError(ctx.file, fn.logicalId, 'Metadata.Dockerfile', `"${fn.image.dockerfile}" is not in DockerContext "${fn.image.context.uri}"`);
    }
    ctx.addListing(dir, listing);
    h.update(`context\0${listingHash(listing)}\0${JSON.stringify(fn.image.buildArgs)}\n`);
  } else if (fn.image?.kind === 'uri') {
    h.update(`image\0${fn.image.uri}\n`);
  }
  for (const id of fn.layers) h.update(`layer\0${ctx.layerName.get(id)}\0${ctx.layerHash.get(id)}\n`);
  h.update(`config\0${JSON.stringify(config)}\n`);
  if (dockerfile) h.update(`dockerfile\0${dockerfile}\n`);
  const digest = h.digest('hex');

  const tag = `${imageRepoName(ctx.project, fn.key)}:${digest.slice(0, 12)}`;
  if (fn.packageType === 'Zip') {
    build = { function: fn.key, image: tag, context: '.', dockerfile: `${dir}/Dockerfile`, build_args: {} };
  } else if (fn.image?.kind === 'dockerfile') {
    build = { function: fn.key, image: tag, context: dir, dockerfile: `${dir}/${fn.image.dockerfile}`, build_args: fn.image.buildArgs };
  }
  const image = fn.image?.kind === 'uri' ? fn.image.uri : tag;
  // The URL is how requests reach the function, not part of an instance: outside the digest.
  if (fn.url) config.url = fn.url;
  if (fn.asyncRetries !== undefined) config.async_retries = fn.asyncRetries;
  if (fn.asyncMaxEventAge !== undefined) config.async_max_event_age = fn.asyncMaxEventAge;
  if (fn.asyncFailureQueues) config.async_failure_queues = fn.asyncFailureQueues;
  if (fn.asyncDestinations) config.async_destinations = fn.asyncDestinations;
  if (fn.durable) config.durable = fn.durable;
  if (fn.tracing) config.tracing = fn.tracing;
  if (fn.logging) config.logging = fn.logging;
  // Key order as documented: image first, digest last.
  return { config: { image, ...config, digest: `sha256:${digest}` }, build };
}
