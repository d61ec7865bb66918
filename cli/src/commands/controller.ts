// `esb controller`: the controller alone (what compose and kind run).
import { parseArgs } from 'node:util';
import { configFromEnv } from '@esb/provisioner';
import { startFileController, startKubeController } from '@esb/controller';
import { stagingConfigDir } from '@esb/deploy';
import { createLogger } from '../log.js';
import { createWorkerDeploySteps, parseDeployMemoryMb } from '@esb/controller';
import type { Command } from '../main.js';
import { workspacePaths } from '@esb/controller';

const HELP = `usage: esb controller [--backend file|kube] [--workspace DIR] [--deployments DIR]
                      [--runtime docker|process] [--kubeconfig FILE] [--context C] [-n NAMESPACE]
                      [--deploy-memory-mb 1024]

Reconciles Deployment resources: manifests in <workspace>/deployments (file backend) or
deployments.esb.dev in a Kubernetes API (kube backend). Storage endpoints come from
DYNAMODB_ENDPOINT / AWS_ENDPOINT_URL_DYNAMODB and S3_ENDPOINT / AWS_ENDPOINT_URL_S3. With
CONFIG_DIR set, every env is applied there (one mounted folder, as in compose); otherwise into
<workspace>/.esb/staging/<project>/<env>/config. Deploy steps run in worker threads whose heap is
capped at --deploy-memory-mb (default ESB_DEPLOY_MEMORY_MB, else 1024).`;

export const controller: Command = {
  summary: 'run the controller alone (file or kube backend)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        backend: { type: 'string', default: 'file' },
        workspace: { type: 'string' },
        deployments: { type: 'string' },
        runtime: { type: 'string', default: process.env.ESB_RUNTIME ?? 'docker' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        polling: { type: 'boolean' },
        'deploy-memory-mb': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const runtime = values.runtime;
    if (runtime !== 'docker' && runtime !== 'process') throw new Error(`--runtime: "${runtime}" is not docker or process`);
    const log = createLogger({ pretty: process.stderr.isTTY });
    const paths = workspacePaths(values.workspace, process.env, values.deployments);
    const env = configFromEnv(process.env);
    const configDirOverride = process.env.CONFIG_DIR;
    const steps = createWorkerDeploySteps({
      runtime,
      dynamodbEndpoint: env.dynamodbEndpoint,
      s3Endpoint: env.s3Endpoint,
      region: env.region,
      credentials: env.credentials,
      memoryMb: parseDeployMemoryMb(values['deploy-memory-mb'], '--deploy-memory-mb') ?? parseDeployMemoryMb(process.env.ESB_DEPLOY_MEMORY_MB),
      log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
    });
    const options = {
      paths,
      steps,
      log,
      configDirFor: (project: string, e: string) => configDirOverride ?? stagingConfigDir({ workspace: paths.workspace, project, env: e }),
      usePolling: values.polling,
    };
    const running =
      values.backend === 'kube'
        ? await startKubeController({ ...options, kubeconfig: values.kubeconfig, context: values.context, namespace: values.namespace })
        : values.backend === 'file'
          ? await startFileController(options)
          : undefined;
    if (!running) {
      await steps.close();
      throw new Error(`--backend: "${values.backend}" is not file or kube`);
    }
    log.info('controller started; deleting a Deployment never deletes what it deployed');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await steps.close();
    await running.close();
    return 0;
  },
};
