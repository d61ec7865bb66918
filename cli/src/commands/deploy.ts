// `esb deploy`: writes (or updates) a Deployment — a manifest in the watched folder, or with
// --kube a deployments.esb.dev object on the cluster — then waits for the controller to report
// it Ready for exactly this input (template, code, parameters), showing progress condition by
// condition. The work itself is the controller's.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import http from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYamlText, stringify } from 'yaml';
import { defaultStackName, readTemplateParameters } from '@esb/deploy';
import type { Condition, DeploymentSpec, DeploymentStatus } from '@esb/contracts';
import { APPSYNC_CONFIG_ENV, APPSYNC_PATH, AppSyncApi, FUNCTION_URL_HOST_SUFFIX, LOAD_BALANCER_HOST_SUFFIX, functionUrlLabel, scheduleRuleName, STACK_PATH_PREFIX, stackHostLabel, FunctionsFile, isFailureReason, isProgressReason, isTerminalReason, deliveryStreamArn, kinesisStreamArn, secretArn, templateSecretSuffix, kinesisStreamNameOf, ON_DEMAND_SHARDS, ResourcesFile, RoutingFile, parseYaml, scheduleTargetOf, stateMachineArn, targetKindOf, topicArn, validate } from '@esb/contracts';
import { readDevInfo } from '../dev-info.js';
import { writeFileAtomic } from '@esb/contracts';
import { FileStore, workspacePaths, type WorkspacePaths } from '@esb/controller/client';
import { artifactOutDir, generatorFingerprint, inspectInputsFor, ownedPaths, type RuntimeKind } from '@esb/controller/inputs';
import type { Command } from '../main.js';
import { processSettings } from '../settings.js';
import { parseParameterOverrides, readSamConfig, saveSamConfig, templateHere } from './samconfig.js';
import { askGuided, lineAsker, stackNameProblem } from './guided.js';
import { readEnvVarsFile } from './env-vars.js';
import { localApiUrl, outputLine } from '../present.js';
import { readStackOutputs } from '../stack-outputs.js';

const HELP = `usage: esb deploy [-t TEMPLATE] [--stack-name NAME] [-e ENV] [-p PROJECT] [--name NAME] [-m process|docker]
                  [--parameter-overrides K=V [K=V ...]] [--config-file FILE] [--config-env NAME] [--guided]
                  [--env-vars env.json]
                  [--timeout 120s] [--workspace DIR] [--json] [--verbose]
                  [--registry HOST:PORT]
                  [--kube [--kubeconfig FILE] [--context C] [-n NAMESPACE]]

Writes the Deployment resource <workspace>/deployments/<name>.yaml (name: the stack name and
the env) and waits until the controller reports it Ready. Exits 0 with a summary (its URLs, and
the stack's Outputs: key, value, export name; --json: "outputs"), or non-zero with the failing
condition's message. !ImportValue reads the exports of the stacks already deployed to the env.

--stack-name: the app's identity (as SAM's): its functions, tables and buckets are keyed by it,
and its own API is served alone at http://<stack>.localhost:<port>/. Default: the template's
folder name for template.yaml/template.yml, else the file's stem.
--parameter-overrides: SAM's forms: K=V, several after one flag, "K=V K2=V2", or
ParameterKey=K,ParameterValue=V; K="a value with spaces" in double quotes.
-t: default template.yaml (or template.yml) in the current folder, as for sam deploy.
samconfig.toml (or samconfig.yaml/.yml) beside the template, as sam deploy reads it: stack_name and
parameter_overrides of [<config env>.deploy.parameters] over [<config env>.global.parameters];
--config-env picks the env (default: default), --config-file another file; flags win.
--guided: asks for the stack name and each parameter (Enter keeps the value in brackets; a
parameter without a Default must get one; answers are checked against the parameter), then
saves them to that samconfig's [<config env>.deploy.parameters], as sam deploy --guided does.
--env-vars: SAM CLI's env.json ({"Parameters": {...}, "<FunctionLogicalId>": {...}}): values for
the environment variables the functions declare, as sam local --env-vars sets them.

--kube: writes deployments.esb.dev/<name> to the cluster instead (created, or its spec merge-
patched; template path relative to --workspace, which must be the controller's workspace) and
reads its status from there. Namespace: -n, else the context's, else default.`;

/** Where the Deployment is written and its status read back from. */
interface DeployTarget {
  namespace: string;
  /** spec.template for a template at this absolute path. */
  templateRef(templatePath: string): string;
  /** Writes the Deployment; returns the line that says where. */
  write(name: string, spec: DeploymentSpec): Promise<string>;
  read(name: string): Promise<{ status?: DeploymentStatus; generation?: number }>;
  /** Absolute path of the template the existing Deployment of that name deploys, if any. */
  readTemplate(name: string): Promise<string | undefined>;
  /** Said when no `esb dev` runs in the workspace. */
  noDevHint: string;
  /** Named in the timeout message: the controller that should have picked it up. */
  controllerHint: string;
  /** The manifests folder the controller leaves out of code folders (file backend). */
  deploymentsDir?: string;
  /** The folder whose changes may be a new status of `name` (file backend): watched, besides polling. */
  statusFolder?: string;
}

function fileTarget(paths: WorkspacePaths, namespace: string): DeployTarget {
  const store = new FileStore({ deploymentsDir: paths.deploymentsDir, statusDir: paths.statusDir });
  return {
    namespace,
    templateRef: (templatePath) => path.relative(paths.deploymentsDir, templatePath),
    async write(name, spec) {
      await mkdir(paths.deploymentsDir, { recursive: true });
      const manifestFile = path.join(paths.deploymentsDir, `${name}.yaml`);
      const manifest = { apiVersion: 'esb.dev/v1alpha1', kind: 'Deployment', metadata: { name, namespace }, spec };
      await writeFileAtomic(manifestFile, `# Written by esb deploy.\n${stringify(manifest)}`);
      return `deployment ${namespace}/${name} written to ${manifestFile}`;
    },
    read: (name) => store.readRecord({ namespace, name }),
    async readTemplate(name) {
      try {
        const manifest = parseYamlText(await readFile(path.join(paths.deploymentsDir, `${name}.yaml`), 'utf8')) as { spec?: { template?: unknown } };
        return typeof manifest?.spec?.template === 'string' ? path.resolve(paths.deploymentsDir, manifest.spec.template) : undefined;
      } catch {
        return undefined;
      }
    },
    noDevHint: `no esb dev runs in ${paths.workspace}; waiting for a controller (compose) to pick up the manifest`,
    controllerHint: `is a controller running for ${paths.deploymentsDir}?`,
    deploymentsDir: paths.deploymentsDir,
    statusFolder: path.join(paths.statusDir, namespace),
  };
}

async function kubeTarget(paths: WorkspacePaths, opts: { kubeconfig?: string; context?: string; namespace?: string }): Promise<DeployTarget> {
  const { createKubeStore, loadKubeConfig, contextNamespace, writeDeployment } = await import('@esb/controller/kube');
  const kubeConfig = loadKubeConfig(opts);
  const namespace = opts.namespace ?? contextNamespace(kubeConfig);
  const store = createKubeStore({ kubeConfig, workspace: paths.workspace, namespace });
  const server = kubeConfig.getCurrentCluster()?.server ?? 'the cluster';
  return {
    namespace,
    templateRef: (templatePath) => path.relative(paths.workspace, templatePath),
    async write(name, spec) {
      const done = await writeDeployment(kubeConfig, { namespace, name, spec });
      return `deployments.esb.dev/${name} ${done} in namespace ${namespace} (${server})`;
    },
    async read(name) {
      // A failed read (API server restarting) is retried by the wait loop.
      const stored = await store.get({ namespace, name }).catch(() => undefined);
      return { status: stored?.deployment.status, generation: stored?.deployment.metadata.generation };
    },
    async readTemplate(name) {
      const stored = await store.get({ namespace, name }).catch(() => undefined);
      const template = stored?.deployment.spec.template;
      return template ? path.resolve(paths.workspace, template) : undefined;
    },
    noDevHint: `no esb dev runs in ${paths.workspace}; waiting for a controller (esb controller --backend kube) watching ${server}`,
    controllerHint: `is a controller (--backend kube, workspace ${paths.workspace}) watching ${server}?`,
  };
}

export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new Error(`${flag}: "${value}" is not a duration (e.g. 120s, 2m, 500ms)`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

export function parseOverrides(values: string[]): Record<string, string> {
  try {
    return parseParameterOverrides(values);
  } catch (err) {
    throw new Error(`--parameter-overrides: ${(err as Error).message}`);
  }
}

/**
 * SAM CLI takes several values after one `--parameter-overrides` (`A=1 B=2`): every argument up
 * to the next option becomes its own `--parameter-overrides` for parseArgs.
 */
export function spreadOverrides(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    out.push(a);
    if (a !== '--parameter-overrides') continue;
    let j = i + 1;
    if (j < argv.length) out.push(argv[j++]);
    while (j < argv.length && !argv[j].startsWith('-')) out.push('--parameter-overrides', argv[j++]);
    i = j - 1;
  }
  return out;
}

/** The Deployment's name: `<stack>-<env>`, as a DNS subdomain name. */
export function deploymentName(stackName: string, env: string): string {
  const name = `${stackName}-${env}`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return name.slice(0, 253) || 'deployment';
}

/** `http://<stack>.localhost:<port>`: the stack's own API, served alone (docs/gateway.md). */
/** The gateway's URL with another host name (same scheme and port). */
function atHost(gateway: string, hostname: string): string {
  const u = new URL(gateway);
  return `${u.protocol}//${hostname}${u.port ? `:${u.port}` : ''}`;
}

export function stackUrl(gateway: string, stackName: string): string {
  return atHost(gateway, `${stackHostLabel(stackName)}.localhost`);
}

/** `http://127.0.0.1:<port>/_aws/execute-api/<stack>`: the same API for clients that cannot resolve `*.localhost` (docs/gateway.md). */
export function stackPathUrl(gateway: string, stackName: string): string {
  return `${gateway.replace(/\/+$/, '')}${STACK_PATH_PREFIX}${stackHostLabel(stackName)}`;
}

/**
 * One GET without keep-alive (a pooled socket would keep this short-lived process alive), and
 * node:http rather than fetch (loading fetch costs a CLI command ~80 ms): status and body (at
 * most 64 KB), or nothing when no answer comes within a second.
 */
function get(url: string | URL): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        if (body.length > 64 * 1024) req.destroy();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

async function answers(url: string): Promise<boolean> {
  return (await get(url))?.status === 200;
}

function conditionLine(c: Condition): string {
  const mark = c.status === 'True' ? 'ok  ' : c.status === 'False' ? 'FAIL' : '... ';
  return `  ${mark} ${c.type.padEnd(12)} ${c.reason}${c.message ? `: ${c.message}` : ''}`;
}

export const deploy: Command = {
  summary: 'deploy a SAM template (writes a Deployment, waits until Ready)',
  async run(argv) {
    const { values } = parseArgs({
      args: spreadOverrides(argv),
      options: {
        template: { type: 'string', short: 't' },
        'stack-name': { type: 'string' },
        env: { type: 'string', short: 'e' },
        project: { type: 'string', short: 'p' },
        name: { type: 'string' },
        mode: { type: 'string', short: 'm' },
        'parameter-overrides': { type: 'string', multiple: true, default: [] },
        'config-file': { type: 'string' },
        'config-env': { type: 'string' },
        guided: { type: 'boolean' },
        'env-vars': { type: 'string' },
        timeout: { type: 'string', default: '120s' },
        workspace: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        kube: { type: 'boolean' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        registry: { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    // As sam deploy: the template of the current folder when none is named.
    const template = values.template ?? templateHere();
    if (values.help || !template) {
      process.stdout.write(`${HELP}\n`);
      return values.help ? 0 : 2;
    }
    const settings = processSettings();
    const paths = workspacePaths(values.workspace ?? settings.workspace, settings.deploymentsDir);
    if (!values.kube && (values.kubeconfig || values.context)) throw new Error('--kubeconfig and --context need --kube');
    const dev = await readDevInfo(paths.runtimeFile);
    // An esb dev on the kube backend reads Deployments from its cluster, not from the folder.
    const kube = values.kube || dev?.backend === 'kube';
    const target = kube
      ? await kubeTarget(paths, {
          kubeconfig: values.kubeconfig ?? (values.kube ? undefined : dev?.kubeconfig),
          context: values.context ?? (values.kube ? undefined : dev?.context),
          namespace: values.namespace ?? (values.kube ? undefined : dev?.namespace),
        })
      : fileTarget(paths, values.namespace ?? 'default');
    const env = values.env ?? dev?.env ?? 'default';
    const project = values.project ?? dev?.project ?? 'esb';
    const knownRuntime = (values.mode ?? dev?.runtime ?? settings.runtime) as RuntimeKind | undefined;
    if (knownRuntime !== undefined && knownRuntime !== 'process' && knownRuntime !== 'docker') throw new Error(`-m: "${knownRuntime}" is not process or docker`);
    const runtime: RuntimeKind = knownRuntime ?? 'docker';
    const timeoutMs = parseDuration(values.timeout, '--timeout');
    const templatePath = path.resolve(template);
    if (!existsSync(templatePath)) throw new Error(`${templatePath}: template not found`);
    const configAt = { configFile: values['config-file'], configEnv: values['config-env'] };
    const samconfig = await readSamConfig(path.dirname(templatePath), { ...configAt, command: 'deploy' });
    let parameters = { ...samconfig?.parameterOverrides, ...parseOverrides(values['parameter-overrides']) };
    let stackName = values['stack-name'] ?? samconfig?.stackName ?? defaultStackName(templatePath);
    const badName = stackNameProblem(stackName);
    if (badName) throw new Error(`--stack-name: ${badName}`);
    if (values.guided) {
      if (values.json) throw new Error('--guided asks questions on the terminal; it does not go with --json');
      const asker = lineAsker(process.stdin, process.stdout);
      try {
        ({ stackName, parameters } = await askGuided(await readTemplateParameters(templatePath), { stackName, parameters }, asker));
      } finally {
        asker.close();
      }
      const saved = await saveSamConfig(path.dirname(templatePath), configAt, { stackName, parameterOverrides: parameters });
      process.stdout.write(`saved to ${path.relative(process.cwd(), saved.file) || saved.file} [${saved.section}]\n`);
    }
    const envVars = values['env-vars'] !== undefined ? await readEnvVarsFile(values['env-vars']) : undefined;
    const name = values.name ?? deploymentName(stackName, env);
    const request = { namespace: target.namespace, name };
    const say = (line: string) => {
      if (!values.json) process.stdout.write(`${line}\n`);
    };
    if (samconfig?.sections.length) say(`${path.relative(process.cwd(), samconfig.file) || samconfig.file}: ${samconfig.sections.map((x) => `[${x}.parameters]`).join(' + ')}`);

    // What the controller computes for this input; Ready with this digest means done. It
    // depends on the controller's CONFIG_DIR (left out of code folders) and runtime, which
    // only its status tells for sure: recomputed from what the status says, and again when a
    // Ready arrives for other inputs (the code changed while we waited), so that a Ready that
    // happened is never missed. The generator is an input too: a controller of another esb
    // build (esb upgraded or edited while esb dev runs) counts its own, which its status names.
    const runtimes: RuntimeKind[] = knownRuntime ? [knownRuntime] : ['docker', 'process'];
    const ownGenerator = await generatorFingerprint();
    let generator = ownGenerator;
    const digestsFor = async (configDir: string | undefined): Promise<Set<string>> => {
      const exclude = configDir ? ownedPaths({ deploymentsDir: target.deploymentsDir, configDir }) : target.deploymentsDir ? [target.deploymentsDir] : [];
      // The template and its code are hashed once for every runtime.
      const inspections = await inspectInputsFor({ templatePath, parameters, ...(envVars ? { envVars } : {}), env, project, exclude, stackName, codeRoot: paths.workspace, ...(configDir ? { configDir } : {}), generator }, runtimes).catch(() => [{ digest: '' }]);
      return new Set(inspections.map((i) => i.digest));
    };
    let expectedFor = dev?.env === env ? dev.configDir : undefined;
    let expected = await digestsFor(expectedFor);
    let recomputedAt = 0;

    const registry = values.registry ?? settings.registry;
    if (registry && runtime === 'docker') await waitForRegistry(registry, say);
    if (dev && dev.env !== env) say(`warning: esb dev serves env "${dev.env}"; "${env}" is deployed into its own CONFIG_DIR but not served by this gateway`);

    const spec = { template: target.templateRef(templatePath), env, project, stackName, ...(Object.keys(parameters).length ? { parameters } : {}), ...(envVars ? { envVars } : {}) };
    const before = await target.readTemplate(name);
    if (before && before !== templatePath) say(`warning: deployment ${target.namespace}/${name} was deployed from ${before}; it now deploys ${templatePath} in its place (use --stack-name to deploy both)`);
    // Asked while the controller works; told after the manifest line.
    const gatewayAnswers = dev ? answers(`${dev.gateway}/health`) : undefined;
    // Woken by the status folder's changes (a missed event only costs the poll interval).
    if (target.statusFolder) await mkdir(target.statusFolder, { recursive: true }).catch(() => {});
    const statusChanged = changeSignal(target.statusFolder);
    // What the status said before this deploy (an earlier input's failure) is not news of this one.
    const earlier = new Map(((await target.read(name)).status?.conditions ?? []).map((c) => [c.type, conditionLine(c)]));
    say(await target.write(name, spec));
    if (gatewayAnswers && !(await gatewayAnswers)) say(`warning: the gateway at ${dev!.gateway} does not answer; is esb dev still running?`);
    if (!dev) say(`warning: ${target.noDevHint}`);

    const started = Date.now();
    const shown = new Map<string, string>();
    let status: DeploymentStatus | undefined;
    let lastFailure: Condition | undefined;
    let failedStep: Condition | undefined;
    let done = false;
    while (Date.now() - started < timeoutMs) {
      const record = await target.read(name);
      status = record.status;
      const settled = status?.observedGeneration === record.generation && status?.conditions?.some((c) => c.type === 'Ready' && !isProgressReason(c.reason));
      const otherGenerator = settled && status?.generator !== undefined && status.generator !== generator;
      if (otherGenerator) {
        generator = status!.generator!;
        if (generator !== ownGenerator) say(`warning: the controller runs another esb build than this one (its generator ${generator}, this one ${ownGenerator}): it deploys with its own; restart it (esb dev) to deploy with this one`);
      }
      if (status?.configDir && settled && (otherGenerator || expectedFor !== status.configDir || (status.inputsDigest && !expected.has(status.inputsDigest) && Date.now() - recomputedAt > 1000))) {
        expected = await digestsFor(status.configDir);
        expectedFor = status.configDir;
        recomputedAt = Date.now();
      }
      const mine = status?.inputsDigest !== undefined && expected.has(status.inputsDigest);
      const current = mine || status?.conditions?.some((c) => c.status === 'Unknown');
      if (status?.conditions && current) {
        for (const c of status.conditions) {
          const line = conditionLine(c);
          if (shown.get(c.type) === line || (!mine && earlier.get(c.type) === line) || c.type === 'Ready' || (c.reason === 'Pending' && !values.verbose)) continue;
          shown.set(c.type, line);
          say(values.verbose ? `${line}  [+${((Date.now() - started) / 1000).toFixed(2)}s]` : line);
        }
      }
      const ready = status?.conditions?.find((c) => c.type === 'Ready');
      if (mine && ready && status!.observedGeneration === record.generation) {
        if (ready.status === 'True') {
          done = true;
          break;
        }
        // The reason table says whether it failed, where, and whether the controller retries.
        if (ready.status === 'False' && isFailureReason(ready.reason)) {
          lastFailure = ready;
          failedStep = status!.conditions!.find((c) => c.type !== 'Ready' && c.status === 'False');
          if (isTerminalReason(ready.reason)) break;
        }
      }
      await statusChanged.next(100);
    }
    statusChanged.close();
    if (!done) {
      const where = failedStep ? `${failedStep.type} ` : '';
      const why = lastFailure
        ? `${where}${lastFailure.reason}: ${lastFailure.message}${isTerminalReason(lastFailure.reason) ? ' (not retried until the template, code, spec or what it imports changes)' : ` (still retrying after ${values.timeout})`}`
        : `not Ready after ${values.timeout} (${target.controllerHint})`;
      if (values.json) process.stdout.write(`${JSON.stringify({ name, ready: false, reason: lastFailure?.reason ?? 'Timeout', condition: failedStep?.type, terminal: lastFailure ? isTerminalReason(lastFailure.reason) : false, message: why })}\n`);
      else process.stderr.write(`esb deploy: ${name} failed: ${why}\n`);
      return 1;
    }

    // Summary: the routes this template serves, with full URLs, its rules, subscriptions and state machines.
    const served = await readRoutes(artifactOutDir(status!.configDir!, request));
    const { routes, urls } = served;
    // Without `esb dev`: the compose stack's published port (ESB_GATEWAY_PORT, docs/compose.md).
    const base = dev?.gateway ?? `http://localhost:${process.env.ESB_GATEWAY_PORT || 3000}`;
    // Ready means written to CONFIG_DIR; a gateway in another process loads it an instant later.
    const notServed = status!.artifactDigest ? await waitUntilServed(base, status!.stackName ?? stackName, status!.artifactDigest) : undefined;
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    // An HTTP API's $default route answers every path no other route takes.
    const urlOf = (path: string) => (path === '$default' ? `${base}/* ($default)` : `${base}${path}`);
    const own = stackUrl(base, status!.stackName ?? stackName);
    // What another Deployment took over since is served by it (last write wins); an unchanged
    // deploy is no new write, so it takes nothing back (docs/apply.md "Stacks and owners").
    const overridden = status!.conditions?.find((c) => c.type === 'Overridden' && c.status === 'True');
    const takenOver = overridden ? `${overridden.message}; served by it now (last write wins): deploy this template again with a change to take them back` : undefined;
    const warnings = [...(status!.warnings ?? []), ...(notServed ? [notServed] : []), ...(takenOver ? [takenOver] : [])];
    // The stack's Outputs, as apply recorded them (docs/apply.md "Stacks and owners").
    const outputs = (await readStackOutputs(status!.configDir!, status!.stackName ?? stackName))?.outputs ?? [];
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ name, stackName: status!.stackName ?? stackName, ready: true, seconds: Number(seconds), functions: status!.functions, routes: routes.map((r) => ({ method: r.method, url: urlOf(r.path) })), ...(served.loadBalancers.length ? { loadBalancers: served.loadBalancers.map((l) => ({ ...l, url: loadBalancerUrl(base, l.name) })) } : {}), ...(served.customResources.length ? { customResources: served.customResources } : {}), functionUrls: urls.map((u) => ({ function: u.function, url: functionUrl(base, u.function), authType: u.authType })), resources: status!.resources, rules: served.rules, subscriptions: served.subscriptions, notifications: served.notifications, stateMachines: served.stateMachines, streams: served.streams, deliveryStreams: served.deliveryStreams, secrets: served.secrets, parameters: served.parameters, schedules: served.schedules, ...(served.websockets.length ? { websockets: served.websockets.map((w) => ({ id: w.id, url: webSocketUrl(own, w.stage), routes: w.routes })) } : {}), ...(served.graphql.length ? { graphql: served.graphql.map((g) => ({ ...g, url: `${own}${APPSYNC_PATH}` })) } : {}), outputs: outputs.map((o) => {
          const local = localApiUrl(o.value, own);
          return { ...o, ...(local ? { local } : {}) };
        }), configDir: status!.configDir, url: base, stackUrl: own, stackPathUrl: stackPathUrl(base, status!.stackName ?? stackName), warnings })}\n`,
      );
    } else {
      for (const w of warnings) say(`warning: ${w}`);
      say(`  ok   Ready        ${status!.functions} functions, ${status!.routes} routes, ${status!.resources} resources (${seconds}s)`);
      for (const r of routes) say(`       ${r.method.padEnd(7)} ${urlOf(r.path)}`);
      for (const w of served.websockets) say(`       WEBSOCKET ${webSocketUrl(own, w.stage)} (${w.routes.length} route${w.routes.length === 1 ? '' : 's'}: ${w.routes.join(', ')})`);
      for (const g of served.graphql) say(`       GRAPHQL ${own}${APPSYNC_PATH} (${g.resolvers} resolver${g.resolvers === 1 ? '' : 's'}; auth ${g.auth.join(', ')}${g.apiKeys.length ? `; key ${g.apiKeys.join(', ')}` : ''})`);
      for (const u of urls) say(`       URL     ${functionUrl(base, u.function)} (function ${u.function}${u.authType === 'AWS_IAM' ? ', requests signed: AWS_IAM' : ''})`);
      for (const l of served.loadBalancers) say(`       ALB     ${loadBalancerUrl(base, l.name)} (listeners ${l.listeners.join(', ') || 'none'}, one port here)`);
      for (const c of served.customResources) say(`       CUSTOM  ${c.name} (function ${c.function})`);
      for (const r of served.rules) say(`       RULE    ${r.rule}${r.schedule ? ` ${r.schedule}` : ''} -> ${r.targets.join(', ')}${r.enabled ? '' : ' (disabled)'}`);
      for (const t of served.subscriptions) say(`       TOPIC   ${t.topicArn} -> ${t.target}${t.filtered ? ' (filtered)' : ''}`);
      for (const n of served.notifications) say(`       NOTIFY  s3://${n.bucket} (${n.events.join(', ')}${n.prefix ? ` ${n.prefix}*` : ''}${n.suffix ? ` *${n.suffix}` : ''}) -> ${n.target}`);
      for (const m of served.stateMachines) say(`       MACHINE ${m.stateMachineArn} (${m.type}${m.schedules.length ? `, ${m.schedules.join(', ')}` : ''})`);
      // Only what events are put to needs the endpoint: scheduled rules fire by themselves.
      if ((served.rules.some((r) => !r.schedule) || served.subscriptions.length) && dev?.sqs) say(`       EventBridge and SNS: ${dev.sqs} (AWS_ENDPOINT_URL_EVENTBRIDGE, AWS_ENDPOINT_URL_SNS)`);
      for (const k of served.streams) say(`       STREAM  ${k.streamArn} (${k.shards} shard${k.shards === 1 ? '' : 's'})${k.readers.length ? ` -> ${k.readers.join(', ')}` : ''}`);
      if (served.stateMachines.length && dev?.sqs) say(`       Step Functions: ${dev.sqs} (AWS_ENDPOINT_URL_SFN)`);
      if (served.streams.length && dev?.sqs) say(`       Kinesis: ${dev.sqs} (AWS_ENDPOINT_URL_KINESIS)`);
      for (const d of served.deliveryStreams) say(`       FIREHOSE ${d.deliveryStreamArn} -> ${d.destination}${d.source ? ` (from ${d.source})` : ''}${d.processor ? ` via function ${d.processor}` : ''}`);
      if (served.deliveryStreams.length && dev?.sqs) say(`       Firehose: ${dev.sqs} (AWS_ENDPOINT_URL_FIREHOSE)`);
      for (const x of served.secrets) say(`       SECRET  ${x.secretArn} (${x.value})`);
      for (const p of served.parameters) say(`       PARAM   ${p.name} (${p.type})`);
      for (const s of served.schedules) say(`       SCHEDULE ${s.schedule} ${s.expression} -> ${s.target}${s.enabled ? '' : ' (disabled)'}`);
      if (served.schedules.length && dev?.sqs) say(`       EventBridge Scheduler: ${dev.sqs} (AWS_ENDPOINT_URL_SCHEDULER)`);
      if ((served.secrets.length || served.parameters.length) && dev?.sqs) say(`       Secrets Manager and SSM: ${dev.sqs} (AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SSM)`);
      for (const o of outputs) say(`       OUTPUT  ${outputLine(o, own)}`);
      say(`       API: ${base} (every deployed stack, last write wins); this stack alone: ${own} (from code that cannot resolve *.localhost: ${stackPathUrl(base, status!.stackName ?? stackName)})`);
    }
    return 0;
  },
};

/** How long `esb deploy` waits, after Ready, for the gateway to serve the deploy. */
const SERVED_WAIT_MS = 10_000;

/**
 * Waits until the gateway at `base` reports serving `stack` at `digest` (GET /health?stack=,
 * docs/gateway.md "Health"). Returns a warning when it still does not after SERVED_WAIT_MS;
 * nothing when it does, or when no esb gateway answers there (nothing to wait for).
 */
async function waitUntilServed(base: string, stack: string, digest: string): Promise<string | undefined> {
  const until = Date.now() + SERVED_WAIT_MS;
  // 127.0.0.1 for localhost: the published port listens on IPv4 (compose's default bind address).
  const url = new URL(`/health?stack=${encodeURIComponent(stack)}`, base);
  if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  let reported: unknown;
  for (;;) {
    const res = await get(url);
    let health: { stack?: { digest?: unknown } } | undefined;
    try {
      health = res?.status === 200 ? (JSON.parse(res.body) as typeof health) : undefined;
    } catch {
      /* not an esb gateway */
    }
    if (!health?.stack) return undefined;
    reported = health.stack.digest;
    if (reported === digest) return undefined;
    if (Date.now() >= until) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const serving = reported === null ? `no stack ${stack}` : `stack ${stack} at ${String(reported)}`;
  return `the gateway at ${base} does not serve this deploy ${SERVED_WAIT_MS / 1000} s after Ready (it serves ${serving}); it may read another CONFIG_DIR`;
}

/**
 * Wakes the wait loop when something changes in `dir`, or after `ms` at the latest (polling
 * stays: fs.watch may be unavailable, or miss events on some file systems). A change seen while
 * not waiting makes the next wait return at once.
 */
export function changeSignal(dir: string | undefined): { next(ms: number): Promise<void>; close(): void } {
  let changed = false;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  const onChange = () => {
    changed = true;
    wake?.();
  };
  if (dir) {
    try {
      watcher = watch(dir, { persistent: false }, onChange);
      watcher.on('error', () => watcher?.close());
    } catch {
      // Not there yet (no controller wrote a status so far) or not watchable: polled.
    }
  }
  return {
    next: (ms) =>
      new Promise<void>((resolve) => {
        if (changed) {
          changed = false;
          resolve();
          return;
        }
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          changed = false;
          resolve();
        }
        wake = done;
      }),
    close: () => watcher?.close(),
  };
}

/** Waits until an image registry answers `GET /v2/` (polled every 1 s, up to 60 s). */
export async function waitForRegistry(registry: string, say: (line: string) => void, timeoutMs = 60_000, intervalMs = 1000): Promise<void> {
  const url = `${/^https?:\/\//.test(registry) ? registry : `http://${registry}`}`.replace(/\/$/, '') + '/v2/';
  const started = Date.now();
  for (;;) {
    if (await answersAny(url)) return;
    if (Date.now() - started >= timeoutMs) throw new Error(`the image registry at ${url} was not ready within ${Math.round(timeoutMs / 1000)} s`);
    if (Date.now() - started < intervalMs) say(`waiting for the image registry at ${url}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether anything HTTP answers (a registry's /v2/ may say 401 when it wants credentials). */
async function answersAny(url: string): Promise<boolean> {
  const r = await get(url);
  return r !== undefined && r.status > 0 && r.status < 500;
}

/** Routes of the generated artifact (all its entries), for the summary. */
/** The routes of the applied artifact, and its functions that have a URL. */
/** What a deploy serves: routes, function URLs, and the rules and subscriptions events reach its functions by. */
interface Served {
  routes: Array<{ method: string; path: string }>;
  /** Application Load Balancers (by name) and their listeners. */
  loadBalancers: Array<{ name: string; listeners: string[] }>;
  /** Custom resources: `<stack>/<LogicalId>` and the function that answers. */
  customResources: Array<{ name: string; function: string }>;
  urls: Array<{ function: string; authType: string }>;
  /** EventBridge rules (`<bus>/<name>`), the scheduled ones of functions' Schedule events too, and what they send to. */
  rules: Array<{ rule: string; targets: string[]; enabled: boolean; schedule?: string }>;
  /** SNS subscriptions: the topic's ARN and what it delivers to. */
  subscriptions: Array<{ topicArn: string; target: string; filtered: boolean }>;
  /** A bucket's notifications to queues and topics, and its events sent to EventBridge (docs/agent.md "S3 events"). */
  notifications: Array<{ bucket: string; events: string[]; prefix?: string; suffix?: string; target: string }>;
  /** Step Functions state machines: ARN, type, and what starts them besides the API. */
  stateMachines: Array<{ stateMachineArn: string; type: string; schedules: string[] }>;
  /** Kinesis data streams: ARN, shards, and the functions reading each. */
  streams: Array<{ streamArn: string; shards: number; readers: string[] }>;
  /** Firehose delivery streams: ARN, where they write, their source stream and transformation function. */
  deliveryStreams: Array<{ deliveryStreamArn: string; destination: string; source?: string; processor?: string }>;
  /** Secrets Manager secrets: the ARN `!Ref` gives, and where the value comes from (never the value). */
  secrets: Array<{ secretArn: string; value: 'given' | 'generated' | 'none' }>;
  /** SSM parameters: name and type. */
  parameters: Array<{ name: string; type: string }>;
  /** EventBridge Scheduler schedules: `<group>/<name>`, the expression (and zone), what it targets. */
  schedules: Array<{ schedule: string; expression: string; target: string; enabled: boolean }>;
  /** WebSocket APIs: stage and route keys. */
  websockets: Array<{ id: string; stage: string; routes: string[] }>;
  /** AppSync GraphQL APIs (their built-in functions' ESB_APPSYNC): name, resolvers, auth modes. */
  graphql: Array<{ name: string; resolvers: number; auth: string[]; apiKeys: string[] }>;
}

async function readRoutes(artifactDir: string): Promise<Served> {
  const { readdir } = await import('node:fs/promises');
  const out: Served = { routes: [], loadBalancers: [], customResources: [], urls: [], rules: [], subscriptions: [], notifications: [], stateMachines: [], streams: [], deliveryStreams: [], secrets: [], parameters: [], schedules: [], websockets: [], graphql: [] };
  let entries: string[] = [];
  try {
    entries = await readdir(artifactDir);
  } catch {
    return out;
  }
  const readers = new Map<string, string[]>();
  for (const entry of entries) {
    const file = path.join(artifactDir, entry, 'config', 'routing.yml');
    if (existsSync(file)) {
      const routing = validate(RoutingFile, parseYaml(await readFile(file, 'utf8'), file) ?? {}, file);
      out.routes.push(...routing.routes.map((r) => ({ method: r.method, path: r.path })));
      for (const [id, ws] of Object.entries(routing.websockets ?? {})) out.websockets.push({ id, stage: ws.stage, routes: ws.routes.map((r) => r.key) });
      for (const [name, lb] of Object.entries(routing.load_balancers ?? {})) out.loadBalancers.push({ name, listeners: lb.listeners.map((l) => `${l.protocol}:${l.port}`) });
    }
    const fnFile = path.join(artifactDir, entry, 'config', 'functions.yml');
    if (existsSync(fnFile)) {
      const functions = validate(FunctionsFile, parseYaml(await readFile(fnFile, 'utf8'), fnFile) ?? {}, fnFile);
      for (const [key, fn] of Object.entries(functions.functions)) if (fn.url) out.urls.push({ function: key, authType: fn.url.auth_type });
      for (const fn of Object.values(functions.functions)) {
        const config = fn.handler === 'appsync.handler' ? AppSyncApi.safeParse(jsonOrNull(fn.environment?.[APPSYNC_CONFIG_ENV])) : undefined;
        if (config?.success) out.graphql.push({ name: config.data.name, resolvers: config.data.resolvers.length, auth: config.data.auth.map((a) => a.type), apiKeys: config.data.api_keys });
      }
      const target = (t: Parameters<typeof targetKindOf>[0]) => targetKindOf(t).join(' ');
      for (const [key, rule] of Object.entries(functions.rules ?? {})) out.rules.push({ rule: key, targets: rule.targets.map(target), enabled: rule.enabled, ...(rule.schedule ? { schedule: rule.schedule } : {}) });
      // A function's Schedule event is a scheduled rule on the default bus, named as its Scheduled Event names it (docs/agent.md "Schedules").
      for (const [key, fn] of Object.entries(functions.functions)) {
        fn.events.forEach((e, i) => {
          if (e.type === 'schedule') out.rules.push({ rule: `default/${scheduleRuleName(key, e.name, i)}`, targets: [target({ function: key })], enabled: e.enabled, schedule: e.schedule });
        });
      }
      // A subscription's `topic` is where its messages come from, not a target.
      for (const { topic, ...s } of Object.values(functions.subscriptions ?? {})) out.subscriptions.push({ topicArn: topicArn(topic), target: target(s), filtered: s.filter_policy !== undefined });
      for (const n of Object.values(functions.bucket_notifications ?? {})) out.notifications.push({ bucket: n.bucket, events: n.events, ...(n.prefix ? { prefix: n.prefix } : {}), ...(n.suffix ? { suffix: n.suffix } : {}), target: target(n) });
      for (const bucket of functions.eventbridge_buckets ?? []) out.notifications.push({ bucket, events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'], target: 'event bus default' });
      for (const m of Object.values(functions.state_machines ?? {})) out.stateMachines.push({ stateMachineArn: stateMachineArn(m.name), type: m.type, schedules: m.schedules.filter((e) => e.enabled).map((e) => e.schedule) });
      for (const d of Object.values(functions.delivery_streams ?? {}))
        out.deliveryStreams.push({ deliveryStreamArn: deliveryStreamArn(d.name), destination: `s3://${d.destination.bucket}/${d.destination.prefix}`, ...(d.source.type === 'kinesis' ? { source: `stream ${d.source.stream}` } : {}), ...(d.destination.processor ? { processor: d.destination.processor.function } : {}) });
      for (const [key, fn] of Object.entries(functions.functions)) for (const e of fn.events) if (e.type === 'kinesis') (readers.get(e.stream) ?? readers.set(e.stream, []).get(e.stream)!).push(`function ${key}${e.enabled ? '' : ' (disabled)'}`);
    }
    const resourcesFile = path.join(artifactDir, entry, 'config', 'resources.yml');
    if (existsSync(resourcesFile)) {
      const resources = validate(ResourcesFile, parseYaml(await readFile(resourcesFile, 'utf8'), resourcesFile) ?? {}, resourcesFile);
      for (const x of resources.resources.secrets ?? []) out.secrets.push({ secretArn: secretArn(x.Name, templateSecretSuffix(x.Name)), value: x.SecretString !== undefined ? 'given' : x.GenerateSecretString ? 'generated' : 'none' });
      for (const p of resources.resources.parameters ?? []) out.parameters.push({ name: p.Name, type: p.Type });
      for (const c of resources.resources.custom_resources ?? []) out.customResources.push({ name: c.Name, function: c.FunctionName });
      for (const s of resources.resources.schedules ?? []) {
        const to = scheduleTargetOf(s.Target.Arn);
        out.schedules.push({ schedule: `${s.GroupName}/${s.Name}`, expression: `${s.ScheduleExpression}${s.ScheduleExpressionTimezone ? ` ${s.ScheduleExpressionTimezone}` : ''}`, target: to ? targetKindOf(to).join(' ') : s.Target.Arn, enabled: s.State === 'ENABLED' });
      }
      for (const k of resources.resources.kinesis ?? []) out.streams.push({ streamArn: kinesisStreamArn(k.Name), shards: k.StreamModeDetails?.StreamMode === 'ON_DEMAND' ? ON_DEMAND_SHARDS : (k.ShardCount ?? ON_DEMAND_SHARDS), readers: [] });
    }
  }
  for (const s of out.streams) s.readers = readers.get(kinesisStreamNameOf(s.streamArn)!) ?? [];
  return out;
}

function jsonOrNull(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? 'null');
  } catch {
    return null;
  }
}

/** Where a WebSocket API of the stack is served: ws://<stack>.localhost:<port>/<stage> (a `$default` stage at /). */
export function webSocketUrl(stackUrl: string, stage: string): string {
  return `${stackUrl.replace(/^http/, 'ws')}/${stage === '$default' ? '' : encodeURIComponent(stage)}`;
}

/** Where a function URL is served: http://<label>.lambda-url.localhost:<port>/ */
/** Where this gateway serves a load balancer (docs/gateway.md "Application Load Balancers"). */
function loadBalancerUrl(gateway: string, name: string): string {
  return `${atHost(gateway, `${name}${LOAD_BALANCER_HOST_SUFFIX}`)}/`;
}

export function functionUrl(gateway: string, functionKey: string): string {
  return `${atHost(gateway, `${functionUrlLabel(functionKey)}${FUNCTION_URL_HOST_SUFFIX}`)}/`;
}
