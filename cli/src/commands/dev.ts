// `esb dev`: the README's main command. On a terminal it shows a one-screen summary that
// redraws itself (deployments, routes, last requests) and writes its log to .esb/dev.log;
// otherwise (a pipe, a file, CI) it prints log lines as they come.
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { workspacePaths } from '@esb/controller';
import { startDev, type RunningDev } from '../dev.js';
import { createLogger } from '../log.js';
import type { Command } from '../main.js';
import { deployMemoryMbOf, processSettings } from '../settings.js';
import { renderSummary } from '../summary.js';

const HELP = `usage: esb dev [--workspace DIR] [--port 3000] [--host 127.0.0.1] [--runtime process|docker]
               [--backend file|kube [--kubeconfig FILE] [--context C] [-n NS]]
               [--project esb] [--env default] [--no-examples] [--dynamodb-port 8000] [--s3-port 9000]
               [--sqs-port 9324]
               [--no-console] [--no-summary] [--deploy-memory-mb 1024]

Starts the embedded platform in one process: DynamoDB-, S3- and SQS-compatible storage (the SQS port
also takes EventBridge's PutEvents, SNS's Publish, the Step Functions, Kinesis, Firehose, Secrets Manager and SSM APIs), the agent,
the gateway on --port and the controller watching <workspace>/deployments/. Deploys the
example app A unless --no-examples. The browser console is at <gateway>/_esb/ (--no-console:
not served). On a terminal, a summary redraws itself and the log goes to .esb/dev.log
(--no-summary: log lines instead). Deploys run in worker threads whose heap is capped at
--deploy-memory-mb (default ESB_DEPLOY_MEMORY_MB, else 1024): a template that needs more fails
its own Deployment (reason OutOfMemory) and requests keep being served. Ctrl-C stops everything.`;

export const SUMMARY_REFRESH_MS = 1_000;
const LOG_TAIL_LINES = 50;

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
        'sqs-port': { type: 'string', default: '9324' },
        'no-console': { type: 'boolean' },
        'no-summary': { type: 'boolean' },
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
    const summary = !!process.stdout.isTTY && !values['no-summary'];
    // On a terminal the log would scroll the summary away: it goes to a file, its tail on screen.
    const logTail: string[] = [];
    let logFile: string | undefined;
    let out: { write(s: string): unknown } | undefined;
    if (summary) {
      const settings = processSettings();
      const paths = workspacePaths(values.workspace ?? settings.workspace, settings.deploymentsDir);
      logFile = path.join(path.dirname(paths.runtimeFile), 'dev.log');
      mkdirSync(path.dirname(logFile), { recursive: true });
      const file = createWriteStream(logFile, { flags: 'a' });
      out = {
        write(text: string) {
          file.write(text);
          for (const line of text.split('\n')) if (line) logTail.push(line);
          if (logTail.length > LOG_TAIL_LINES) logTail.splice(0, logTail.length - LOG_TAIL_LINES);
        },
      };
    }
    const log = createLogger({ pretty: true, out });
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
      sqsPort: parsePort(values['sqs-port'], '--sqs-port'),
      console: !values['no-console'],
      deployMemoryMb: deployMemoryMbOf(values['deploy-memory-mb'], '--deploy-memory-mb'),
      log,
    });
    const { info } = running;
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    if (summary) {
      await showSummary(running, logFile!, logTail, stop);
      log.info('stopping');
      await running.close();
      return 0;
    }
    process.stdout.write(
      [
        '',
        `esb dev is running (${info.runtime} runtime, project ${info.project}, env ${info.env})`,
        `  gateway      ${info.gateway}   (try: curl ${info.gateway}/hello)`,
        ...(info.caCert ? [`  https        ${info.gateway.replace(/^http:/, 'https:')}   (same port; curl --cacert ${info.caCert})`] : []),
        ...(info.console ? [`  console      ${info.console}`] : []),
        `  dynamodb     ${info.dynamodb}`,
        `  s3           ${info.s3}`,
        `  sqs          ${info.sqs}   (EventBridge, SNS and Step Functions too)`,
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
    await stop;
    log.info('stopping');
    await running.close();
    return 0;
  },
};

/** A path relative to the current folder when it is inside it. */
function shortPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** Redraws the summary every second (and on resize) until `stop`, on the terminal's alternate screen. */
async function showSummary(running: RunningDev, logFile: string, logTail: string[], stop: Promise<void>): Promise<void> {
  const { info } = running;
  const out = process.stdout;
  let last = '';
  let drawing = false;
  const draw = async () => {
    if (drawing) return;
    drawing = true;
    try {
      const state = await running.console.state();
      const screen = renderSummary(
        {
          title: `esb dev · ${info.runtime} runtime · project ${info.project} · env ${info.env}`,
          links: [['gateway', info.gateway], ...(info.console ? ([['console', info.console]] as Array<[string, string]>) : []), ['log', shortPath(logFile)]],
          deployments: state.deployments,
          routes: state.routes,
          recent: running.console.recent(50),
          log: logTail,
        },
        new Date(),
        { width: out.columns || 100, height: out.rows || 30 },
        true,
      );
      if (screen !== last) {
        last = screen;
        out.write(`\x1b[H\x1b[2J${screen}`);
      }
    } catch (err) {
      logTail.push(`summary: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      drawing = false;
    }
  };
  out.write('\x1b[?1049h\x1b[?25l'); // alternate screen, cursor hidden
  const onResize = () => {
    last = '';
    void draw();
  };
  out.on('resize', onResize);
  const timer = setInterval(() => void draw(), SUMMARY_REFRESH_MS);
  await draw();
  await stop;
  clearInterval(timer);
  out.off('resize', onResize);
  out.write('\x1b[?25h\x1b[?1049l'); // back to the normal screen
  out.write(`esb dev stopped; its log is in ${logFile}\n`);
}

export function parsePort(value: string | undefined, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag}: "${value}" is not a port number`);
  return port;
}
