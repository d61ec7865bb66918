// `esb dev`: the README's main command.
import { parseArgs } from 'node:util';
import { parseDeployMemoryMb } from '@esb/controller';
import { startDev } from '../dev.js';
import { createLogger } from '../log.js';
import type { Command } from '../main.js';

const HELP = `usage: esb dev [--workspace DIR] [--port 3000] [--host 127.0.0.1] [--runtime process|docker]
               [--backend file|kube [--kubeconfig FILE] [--context C] [-n NS]]
               [--project esb] [--env default] [--no-examples] [--dynamodb-port 8000] [--s3-port 9000]
               [--deploy-memory-mb 1024]

Starts the embedded platform in one process: DynamoDB- and S3-compatible storage, the agent,
the gateway on --port and the controller watching <workspace>/deployments/. Deploys the
example app A unless --no-examples. Ctrl-C stops everything. Deploys run in worker threads
whose heap is capped at --deploy-memory-mb (default ESB_DEPLOY_MEMORY_MB, else 1024): a template
that needs more fails its own Deployment (reason OutOfMemory) and requests keep being served.`;

export const dev: Command = {
  summary: 'run the whole platform locally (embedded default) and deploy the examples',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        workspace: { type: 'string' },
        port: { type: 'string', default: '3000' },
        host: { type: 'string', default: '127.0.0.1' },
        runtime: { type: 'string', default: 'process' },
        backend: { type: 'string', default: 'file' },
        project: { type: 'string', default: 'esb' },
        env: { type: 'string', short: 'e', default: 'default' },
        'no-examples': { type: 'boolean' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        'dynamodb-port': { type: 'string', default: '8000' },
        's3-port': { type: 'string', default: '9000' },
        'deploy-memory-mb': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (values.runtime !== 'process' && values.runtime !== 'docker') throw new Error(`--runtime: "${values.runtime}" is not process or docker`);
    if (values.backend !== 'file' && values.backend !== 'kube') throw new Error(`--backend: "${values.backend}" is not file or kube`);
    const log = createLogger({ pretty: true });
    const running = await startDev({
      workspace: values.workspace,
      port: parsePort(values.port, '--port'),
      host: values.host,
      runtime: values.runtime,
      backend: values.backend,
      kubeconfig: values.kubeconfig,
      context: values.context,
      namespace: values.namespace,
      project: values.project,
      env: values.env,
      examples: !values['no-examples'],
      dynamodbPort: parsePort(values['dynamodb-port'], '--dynamodb-port'),
      s3Port: parsePort(values['s3-port'], '--s3-port'),
      deployMemoryMb: parseDeployMemoryMb(values['deploy-memory-mb'], '--deploy-memory-mb'),
      log,
    });
    const { info } = running;
    process.stdout.write(
      [
        '',
        `esb dev is running (${info.runtime} runtime, project ${info.project}, env ${info.env})`,
        `  gateway      ${info.gateway}   (try: curl ${info.gateway}/hello)`,
        `  dynamodb     ${info.dynamodb}`,
        `  s3           ${info.s3}`,
        values.backend === 'kube'
          ? `  deployments  deployments.esb.dev in ${values.namespace ? `namespace ${values.namespace}` : 'all namespaces'} (templates relative to ${running.paths.workspace})`
          : `  deployments  ${running.paths.deploymentsDir}`,
        `  config       ${info.configDir}`,
        '',
        values.backend === 'kube'
          ? `Deploy: kubectl apply -f deploy-a.yaml, or node cli/bin/esb.js deploy --kube -t examples/b.yml   (Ctrl-C to stop)`
          : `Deploy more: node cli/bin/esb.js deploy -t examples/b.yml   (Ctrl-C to stop)`,
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log.info('stopping');
    await running.close();
    return 0;
  },
};

export function parsePort(value: string | undefined, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag}: "${value}" is not a port number`);
  return port;
}
