// `esb dev`: the embedded default, everything in one process — embedded DynamoDB, S3 and SQS, the
// agent (process runtime unless --runtime docker), the gateway and the controller with the
// file backend — plus the examples deployed. Ctrl-C stops it all.
import { CA_CERT_FILE, LOCAL_REGION, localCaDir, writeFileAtomic, type BusEvent, type KinesisRecord, type ApiAnswer, type ApiCall, type ApiCallHandler, type ForwardedApi, type ObjectEvent, type ScheduleFiring, type StreamRecord, type TopicMessage } from '@esb/contracts';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { choosePython, createAgent, pythonBoto3Note, type Agent } from '@esb/agent';
import { freePort } from '@esb/contracts';
import { isLoopbackHost, startGateway, type RunningGateway } from '@esb/gateway';
import { startEmbeddedStorage, type EmbeddedStorage } from '@esb/storage';
import { ensureConfigDir } from '@esb/deploy';
import { workspacePaths, type WorkspacePaths } from '@esb/controller';
import { startFileController, startKubeController, type RunningController } from '@esb/controller';
import { stagingConfigDir } from '@esb/deploy';
import { CONSOLE_PREFIX, createConsole, createStorageBrowser, deploymentView, functionInfos, routeInfos, type EsbConsole } from '@esb/console';
import { gatewaySecurity, invokeApiAccess, newFunctionCredentials, processSettings } from './settings.js';
import { createWorkerDeploySteps, type RuntimeKind } from '@esb/controller';

export const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

export interface DevOptions {
  workspace?: string;
  host?: string;
  port?: number;
  runtime?: RuntimeKind;
  /** Where Deployments come from: the workspace's deployments/ folder, or the current kubeconfig's cluster. */
  backend?: 'file' | 'kube';
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  project?: string;
  env?: string;
  examples?: boolean;
  dynamodbPort?: number;
  s3Port?: number;
  sqsPort?: number;
  region?: string;
  reloadIntervalMs?: number;
  /** Serve the browser console at <gateway>/_esb/ (default on; docs/console.md). */
  console?: boolean;
  /** Lets non-loopback clients open the console with this token (default $ESB_CONSOLE_TOKEN). */
  consoleToken?: string;
  /** Heap cap (MB) of each deploy worker; default ESB_DEPLOY_MEMORY_MB, else 1024. */
  deployMemoryMb?: number;
  log: Logger;
}

/** What a running `esb dev` tells the other commands (written to `<workspace>/.esb/dev.json`). */
export interface DevInfo {
  pid: number;
  gateway: string;
  dynamodb: string;
  s3: string;
  sqs: string;
  runtime: RuntimeKind;
  project: string;
  env: string;
  configDir: string;
  /** Where this esb dev reads Deployments; `esb deploy` writes them there. */
  backend: 'file' | 'kube';
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  /** The browser console's address, when it is on. */
  console?: string;
  /** The local CA that the gateway's https (same port) is signed by (docs/gateway.md, "HTTPS on the same port"). */
  caCert?: string;
}

export interface RunningDev {
  info: DevInfo;
  paths: WorkspacePaths;
  agent: Agent;
  gateway: RunningGateway;
  controller: RunningController;
  /** The browser console (its recorder also feeds the terminal summary), served or not. */
  console: EsbConsole;
  close(): Promise<void>;
}


export function exampleManifest(templatePath: string, name: string, project: string, env: string): string {
  return `# Written by esb dev: deploys ${path.basename(templatePath)}. Edit or delete freely.\napiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template: ${templatePath}\n  project: ${project}\n  env: ${env}\n`;
}

export async function startDev(options: DevOptions): Promise<RunningDev> {
  const { log } = options;
  const runtime = options.runtime ?? 'process';
  // Function containers reach the gateway (Lambda Invoke API) and the storage through the
  // Docker bridge (host.docker.internal), which a loopback-only server does not answer.
  const reachableFromContainers = runtime === 'docker';
  const host = options.host ?? (reachableFromContainers ? '0.0.0.0' : '127.0.0.1');
  if (reachableFromContainers) log.warn('docker runtime: the gateway and the embedded storage listen on all interfaces so that function containers reach them');
  const project = options.project ?? 'esb';
  const env = options.env ?? 'default';
  const region = options.region ?? LOCAL_REGION;
  const settings = processSettings();
  const paths = workspacePaths(options.workspace ?? settings.workspace, settings.deploymentsDir);
  const configDir = stagingConfigDir({ workspace: paths.workspace, project, env });
  await mkdir(paths.deploymentsDir, { recursive: true });
  await ensureConfigDir(configDir, { log: { info: (m) => log.info(m), warn: (m) => log.warn(m) } });
  // The gateway serves https on its port with a certificate of this CA; functions trust it.
  const caDir = localCaDir(configDir, process.env)!;

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((err) => log.warn(`while stopping: ${String(err)}`));
    }
  };
  try {
    // Object events, stream records, bus events and topic messages go to the agent once it runs
    // (S3 notifications and DynamoDB streams, docs/agent.md; Kinesis streams, docs/kinesis.md; rules, docs/eventbridge.md;
    // subscriptions, docs/sns.md), and the agent answers the Step Functions and Firehose APIs
    // (docs/step-functions.md, docs/firehose.md).
    let deliverObjectEvent: ((event: ObjectEvent) => void) | undefined;
    let deliverStreamRecord: ((record: StreamRecord) => void) | undefined;
    let deliverKinesisRecords: ((records: readonly KinesisRecord[]) => void) | undefined;
    let deliverBusEvents: ((events: readonly BusEvent[]) => void) | undefined;
    let deliverTopicMessages: ((messages: readonly TopicMessage[]) => void) | undefined;
    let deliverScheduleFirings: ((firings: readonly ScheduleFiring[]) => void) | undefined;
    // One-time schedules that came due while esb dev was down fire as the storage starts, before
    // the agent is there: they wait for it (bounded).
    const earlyFirings: ScheduleFiring[] = [];
    let answerApiCall: ((api: ForwardedApi, call: ApiCall) => Promise<ApiAnswer>) | undefined;
    const agentAnswers =
      (api: ForwardedApi): ApiCallHandler =>
      (call) =>
        answerApiCall ? answerApiCall(api, call) : Promise.resolve({ status: 503, body: { __type: 'ServiceUnavailable', message: 'the agent is starting' } });
    const storage: EmbeddedStorage = await startEmbeddedStorage({
      dataDir: paths.dataDir,
      host: reachableFromContainers ? '0.0.0.0' : '127.0.0.1',
      dynamodbPort: options.dynamodbPort ?? 0,
      s3Port: options.s3Port ?? 0,
      sqsPort: options.sqsPort ?? 0,
      onObjectEvent: (event) => deliverObjectEvent?.(event),
      onStreamRecord: (record) => deliverStreamRecord?.(record),
      onKinesisRecords: (records) => deliverKinesisRecords?.(records),
      onBusEvents: (events) => deliverBusEvents?.(events),
      onTopicMessages: (messages) => deliverTopicMessages?.(messages),
      onScheduleFired: (firings) => (deliverScheduleFirings ? deliverScheduleFirings(firings) : earlyFirings.length < 10_000 && earlyFirings.push(...firings)),
      onApiCall: { states: agentAnswers('states'), firehose: agentAnswers('firehose') },
    });
    closers.push(() => storage.close());
    const port = options.port || (await freePort(host));
    const gatewayUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;

    // The console reads the parts started below; they exist by the time a page asks.
    let agent: Agent | undefined;
    let gateway: RunningGateway | undefined;
    let controller: RunningController | undefined;
    // The console's recorder also feeds the terminal summary: it exists even when the page is not served.
    const serveConsole = options.console !== false;
    const esbConsole = createConsole({
            token: options.consoleToken ?? settings.consoleToken,
            sources: {
              deployments: async () => (controller ? (await controller.store.list()).map(deploymentView).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)) : []),
              routes: () => (gateway ? routeInfos(gateway.table()) : []),
              functions: () => (gateway && agent ? functionInfos(gateway.table(), agent.stats().functions) : []),
              storage: createStorageBrowser({ dynamodbEndpoint: storage.dynamodbEndpoint, s3Endpoint: storage.s3Endpoint, sqsEndpoint: storage.sqsEndpoint, region }),
              eventRoutes: () => {
                const stats = agent?.stats();
                return { rules: stats?.rules ?? [], subscriptions: stats?.subscriptions ?? [], stateMachines: stats?.stateMachines ?? [], streamReaders: stats?.kinesis ?? [], durableFunctions: stats?.durableFunctions ?? [] };
              },
              gatewayUrl: () => gatewayUrl,
            },
          });
    closers.push(async () => esbConsole.close());

    // Beyond loopback, functions sign their Invoke API calls with credentials fresh per start.
    const functionCredentials = isLoopbackHost(host) ? undefined : newFunctionCredentials();
    const invokeApi = await invokeApiAccess(settings, host, functionCredentials);
    const python = runtime === 'process' ? choosePython(settings.python) : undefined;
    agent = await createAgent({
      runtime,
      ...(python ? { python: python.python } : {}),
      ...(settings.javaHome ? { javaHome: settings.javaHome } : {}),
      credentials: functionCredentials,
      functionUsers: runtime === 'process' ? settings.functionUsers : undefined,
      endpoints: { dynamodb: storage.dynamodbEndpoint, s3: storage.s3Endpoint, sqs: storage.sqsEndpoint, lambda: gatewayUrl },
      region,
      logDir: paths.logDir,
      log: log.child({ component: 'agent' }),
      logSinks: [esbConsole.logSink],
      warmInstances: settings.agent.warmInstances,
      nodeWorkers: runtime === 'process' ? settings.agent.nodeWorkers : undefined,
      spareRuntimes: runtime === 'process' ? settings.agent.spareRuntimes : undefined,
      durableTimeScale: settings.agent.durableTimeScale,
      tls: { caDir },
    });
    const runningAgent = agent;
    closers.push(() => runningAgent.close());
    deliverObjectEvent = (event) => runningAgent.deliverObjectEvent(event);
    deliverStreamRecord = (record) => runningAgent.deliverStreamRecord(record);
    deliverKinesisRecords = (records) => runningAgent.deliverKinesisRecords(records);
    deliverBusEvents = (events) => runningAgent.deliverBusEvents(events);
    deliverTopicMessages = (messages) => runningAgent.deliverTopicMessages(messages);
    deliverScheduleFirings = (firings) => runningAgent.deliverScheduleFirings(firings);
    if (earlyFirings.length) runningAgent.deliverScheduleFirings(earlyFirings.splice(0));
    answerApiCall = (api, call) => runningAgent.answerApiCall(api, call);

    gateway = await startGateway({
      invoker: esbConsole.wrapInvoker(agent),
      console: serveConsole ? esbConsole.plugin : undefined,
      onRequestDone: esbConsole.observe,
      onReload: () => esbConsole.changed('routes'),
      configDir,
      host,
      port,
      region,
      reloadIntervalMs: options.reloadIntervalMs,
      log: log.child({ component: 'gateway' }),
      onFunctions: (functions) => {
        runningAgent.setFunctions(functions);
        esbConsole.changed('functions');
      },
      ...(await gatewaySecurity(settings)),
      invokeApi,
      tls: { caDir },
      // Functions post to WebSocket connections at https://<domainName>/<stage>: where they reach
      // this gateway (containers through the Docker bridge, as their endpoints are rewritten).
      websocket: { domainName: new URL(reachableFromContainers ? reachableFromContainerUrl(gatewayUrl) : gatewayUrl).host },
    });
    const runningGateway = gateway;
    closers.push(() => runningGateway.close());

    // Deploys run in worker threads: this process's event loop serves requests (docs/apply.md).
    const steps = createWorkerDeploySteps({
      runtime,
      dynamodbEndpoint: storage.dynamodbEndpoint,
      s3Endpoint: storage.s3Endpoint,
      sqsEndpoint: storage.sqsEndpoint,
      region,
      // Custom resources: their functions are invoked through this gateway's Invoke API and answer
      // to the storage's S3 as they reach it (docs/provisioner.md "Custom resources").
      lambdaEndpoint: gatewayUrl,
      ...(functionCredentials ? { lambdaCredentials: functionCredentials } : {}),
      ...(reachableFromContainers && storage.s3Endpoint ? { responseS3Endpoint: reachableFromContainerUrl(storage.s3Endpoint) } : {}),
      memoryMb: options.deployMemoryMb ?? settings.deployMemoryMb,
      log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
      // The gateway reloads as soon as an apply wrote its CONFIG_DIR; its file watch stays for other writers.
      onConfigWritten: (dir) => {
        if (path.resolve(dir) === path.resolve(configDir)) runningGateway.reload().catch((err) => log.warn(`reloading the gateway: ${String(err)}`));
      },
      processRuntimeNotes: (functions) => {
        const usesPython = Object.values(functions).some((f) => f.runtime?.startsWith('python'));
        const note = python && usesPython ? pythonBoto3Note(python) : undefined;
        return note ? [note] : [];
      },
    });
    const controllerOptions = {
      paths,
      steps,
      log: log.child({ component: 'controller' }),
      configDirFor: (p: string, e: string) => stagingConfigDir({ workspace: paths.workspace, project: p, env: e }),
      onStatusChange: () => esbConsole.changed('deployments'),
    };
    controller =
      options.backend === 'kube'
        ? await startKubeController({ ...controllerOptions, kubeconfig: options.kubeconfig, context: options.context, namespace: options.namespace })
        : await startFileController(controllerOptions);
    const runningController = controller;
    // Stopping: deploy workers first (a deploy in progress ends now and is retried at the next
    // start), then the controller, whose queue then drains at once.
    closers.push(async () => {
      await steps.close();
      await runningController.close();
    });

    if (options.examples !== false && options.backend !== 'kube') {
      const manifest = path.join(paths.deploymentsDir, 'example-a.yaml');
      if (!existsSync(manifest)) {
        const template = path.relative(paths.deploymentsDir, path.join(EXAMPLES_DIR, 'a.yml'));
        await writeFileAtomic(manifest, exampleManifest(template, 'example-a', project, env));
        log.info(`deploying the example app A (${manifest})`);
      }
    }

    const info: DevInfo = {
      pid: process.pid,
      gateway: gatewayUrl,
      dynamodb: storage.dynamodbEndpoint!,
      s3: storage.s3Endpoint!,
      sqs: storage.sqsEndpoint!,
      runtime,
      project,
      env,
      configDir,
      backend: options.backend ?? 'file',
      caCert: path.join(caDir, CA_CERT_FILE),
      ...(serveConsole ? { console: `${gatewayUrl}${CONSOLE_PREFIX}/` } : {}),
      ...(options.backend === 'kube' ? { kubeconfig: options.kubeconfig && path.resolve(options.kubeconfig), context: options.context, namespace: options.namespace } : {}),
    };
    // Atomic: `esb deploy`, `esb get` and tests read it as soon as it exists.
    await writeFileAtomic(paths.runtimeFile, `${JSON.stringify(info, null, 2)}\n`, { durable: false });
    closers.push(() => rm(paths.runtimeFile, { force: true }));
    return { info, paths, agent, gateway, controller, console: esbConsole, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** A URL on this machine as function containers reach it: their ExtraHosts name the host host.docker.internal. */
function reachableFromContainerUrl(url: string): string {
  const u = new URL(url);
  u.hostname = 'host.docker.internal';
  return u.toString().replace(/\/$/, '');
}
