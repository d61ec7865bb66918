// `esb controller`: the controller alone (what compose and kind run).
import { parseArgs } from 'node:util';
import { startFileController, startKubeController } from '@esb/controller';
import { stagingConfigDir } from '@esb/deploy';
import { createLogger } from '../log.js';
import { createDeploySteps, loadDockerImageBuilder } from '@esb/controller';
import type { Command } from '../main.js';
import { processSettings } from '../settings.js';
import { workspacePaths } from '@esb/controller';

const HELP = `usage: esb controller [--backend file|kube] [--workspace DIR] [--deployments DIR]
                      [--runtime docker|process] [--kubeconfig FILE] [--context C] [-n NAMESPACE]

Reconciles Deployment resources: manifests in <workspace>/deployments (file backend) or
deployments.esb.dev in a Kubernetes API (kube backend). Storage endpoints come from
AWS_ENDPOINT_URL_DYNAMODB (or DYNAMODB_ENDPOINT) and AWS_ENDPOINT_URL_S3 (or S3_ENDPOINT). With
CONFIG_DIR set, every env is applied there (one mounted folder, as in compose); otherwise into
<workspace>/.esb/staging/<project>/<env>/config.`;

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
    const steps = createDeploySteps({
      runtime,
      dynamodbEndpoint: settings.endpoints.dynamodb,
      s3Endpoint: settings.endpoints.s3,
      region: settings.region,
      credentials: settings.credentials,
      log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
      buildImages: runtime === 'docker' ? await loadDockerImageBuilder() : undefined,
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
    if (!running) throw new Error(`--backend: "${values.backend}" is not file or kube`);
    log.info('controller started; deleting a Deployment never deletes what it deployed');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await running.close();
    return 0;
  },
};
