// `esb controller`: the controller alone (what compose and kind run).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startFileController, startKubeController } from '@esb/controller';
import { stagingConfigDir } from '@esb/deploy';
import { createLogger } from '../log.js';
import { createWorkerDeploySteps } from '@esb/controller';
import type { Command } from '../main.js';
import { deployMemoryMbOf, processSettings } from '../settings.js';
import { workspacePaths } from '@esb/controller';
import { ControllerMetrics, startHealthServer, type HealthServer, type RunningController } from '@esb/controller';

const HELP = `usage: esb controller [--backend file|kube] [--workspace DIR] [--deployments DIR]
                      [--runtime docker|process] [--kubeconfig FILE] [--context C] [-n NAMESPACE]
                      [--health-port PORT] [--leader-elect [--leader-election-namespace NS]
                      [--leader-election-id NAME]] [--deploy-memory-mb 1024]

Reconciles Deployment resources: manifests in <workspace>/deployments (file backend) or
deployments.esb.dev in a Kubernetes API (kube backend). Storage endpoints come from
AWS_ENDPOINT_URL_DYNAMODB (or DYNAMODB_ENDPOINT) and AWS_ENDPOINT_URL_S3 (or S3_ENDPOINT). With
CONFIG_DIR set, every env is applied there (one mounted folder, as in compose); otherwise into
<workspace>/.esb/staging/<project>/<env>/config. Deploy steps run in worker threads whose heap is
capped at --deploy-memory-mb (default ESB_DEPLOY_MEMORY_MB, else 1024).

--health-port serves /healthz, /readyz and /metrics (Prometheus text). --leader-elect (kube
backend): only the replica holding the coordination.k8s.io Lease NAME (default esb-controller)
in NS (default: the pod's namespace, else the kubeconfig's, else default) reconciles.`;

/** The namespace this pod runs in (service account mount), if any. */
function podNamespace(): string | undefined {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export const controller: Command = {
  summary: 'run the controller alone (file or kube backend)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        backend: { type: 'string', default: 'file' },
        workspace: { type: 'string' },
        deployments: { type: 'string' },
        runtime: { type: 'string' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        polling: { type: 'boolean' },
        'health-port': { type: 'string' },
        'health-host': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'leader-election-namespace': { type: 'string' },
        'leader-election-id': { type: 'string', default: 'esb-controller' },
        'deploy-memory-mb': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const settings = processSettings();
    const runtime = values.runtime ?? settings.runtime ?? 'docker';
    if (runtime !== 'docker' && runtime !== 'process') throw new Error(`--runtime: "${runtime}" is not docker or process`);
    const log = createLogger({ pretty: process.stderr.isTTY });
    const paths = workspacePaths(values.workspace ?? settings.workspace, values.deployments ?? settings.deploymentsDir);
    const configDirOverride = settings.configDir;
    const steps = createWorkerDeploySteps({
      runtime,
      dynamodbEndpoint: settings.endpoints.dynamodb,
      s3Endpoint: settings.endpoints.s3,
      sqsEndpoint: settings.endpoints.sqs,
      region: settings.region,
      credentials: settings.credentials,
      // The gateway's Invoke API, for custom resources (docs/provisioner.md "Custom resources").
      lambdaEndpoint: settings.endpoints.lambda,
      memoryMb: deployMemoryMbOf(values['deploy-memory-mb'], '--deploy-memory-mb') ?? settings.deployMemoryMb,
      log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
    });
    const metrics = new ControllerMetrics();
    const options = {
      paths,
      steps,
      log,
      configDirFor: (project: string, e: string) => configDirOverride ?? stagingConfigDir({ workspace: paths.workspace, project, env: e }),
      usePolling: values.polling,
      metrics,
    };
    if (values.backend !== 'kube' && values.backend !== 'file') throw new Error(`--backend: "${values.backend}" is not file or kube`);
    if (values['leader-elect'] && values.backend !== 'kube') throw new Error('--leader-elect: only with --backend kube (it uses a coordination.k8s.io Lease)');
    let healthPort: number | undefined;
    if (values['health-port'] !== undefined) {
      healthPort = Number(values['health-port']);
      if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) throw new Error(`--health-port: "${values['health-port']}" is not a port number`);
    }

    // Shutdown: SIGINT/SIGTERM, or a lost Lease (exit 1: the pod restarts as a standby).
    let exitCode = 0;
    let requestStop!: () => void;
    const stopped = new Promise<void>((resolve) => (requestStop = resolve));
    process.once('SIGINT', () => requestStop());
    process.once('SIGTERM', () => requestStop());

    let running: RunningController | undefined;
    let elector: import('@esb/controller/kube').LeaderElector | undefined;
    if (values['leader-elect']) {
      const { LeaderElector, loadKubeConfig } = await import('@esb/controller/kube');
      const kubeConfig = loadKubeConfig({ kubeconfig: values.kubeconfig, context: values.context });
      const namespace = values['leader-election-namespace'] ?? podNamespace() ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
      elector = new LeaderElector({ kubeConfig, namespace, name: values['leader-election-id']!, identity: `${os.hostname()}_${randomUUID().slice(0, 8)}`, onLog: (level, m) => log[level](m) });
    }
    let health: HealthServer | undefined;
    if (healthPort !== undefined) {
      health = await startHealthServer({
        host: values['health-host'],
        port: healthPort,
        metrics,
        // A standby waiting for the Lease is ready: it is doing what it should.
        notReady: () => (running ? running.notReady?.() : elector && !elector.isLeader ? undefined : 'starting'),
      });
      log.info(`health, readiness and metrics on ${health.url} (/healthz /readyz /metrics)`);
    }
    metrics.leader.set(elector ? 0 : 1);
    const leading = elector
      ? await Promise.race([
          elector.acquire((reason) => {
            log.error(`stepping down: ${reason}`);
            metrics.leader.set(0);
            exitCode = 1;
            requestStop();
          }),
          stopped.then(() => false),
        ])
      : true;
    if (leading) {
      metrics.leader.set(1);
      running =
        values.backend === 'kube'
          ? await startKubeController({ ...options, kubeconfig: values.kubeconfig, context: values.context, namespace: values.namespace })
          : await startFileController(options);
      log.info('controller started; deleting a Deployment never deletes what it deployed');
    }
    await stopped;
    log.info('stopping');
    await steps.close();
    await running?.close();
    await elector?.release();
    await health?.close();
    // Whatever is still open (keep-alive sockets, watchers) must not hold the process once the
    // controller has stopped: exit shortly, whether or not the event loop drains by itself.
    setTimeout(() => process.exit(exitCode), 500).unref();
    return exitCode;
  },
};
