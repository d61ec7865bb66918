// `esb agent`: the agent as its own service (compose): runs the functions of
// CONFIG_DIR/functions.yml (reloaded when it changes) behind an internal HTTP interface.
import { networkInterfaces } from 'node:os';
import { parseArgs } from 'node:util';
import { decodeRuntimeFile, FUNCTIONS_CODEC, localCaDir, type FunctionsFile } from '@esb/contracts';
import { choosePython, createAgent, createAgentHttpServer, pythonBoto3Note } from '@esb/agent';
import { watchConfig } from '@esb/contracts';
import type { Command } from '../main.js';
import { createLogger } from '../log.js';
import { loadSettings, portOption, runtimeOption, type Settings } from '../settings.js';

export const HELP = `usage: esb agent [--config-dir DIR] [--runtime process|docker] [--host H] [--port N] [--log-dir DIR]

Runs the functions of DIR/functions.yml (reloaded on change) and serves them over HTTP
(POST /invoke/<function>, GET /functions, GET /stats, GET /healthz). Internal only: binds
127.0.0.1 unless --host says otherwise (0.0.0.0 in a container network).

  --config-dir DIR   default $CONFIG_DIR, else ./config
  --runtime R        process (default, $ESB_RUNTIME) or docker
  --host H           default $AGENT_HOST or 127.0.0.1
  --port N           default $AGENT_PORT or 9001
  --log-dir DIR      function logs (<function>.log); default $LOG_DIR or ./.esb/logs

environment: AWS_ENDPOINT_URL_DYNAMODB (or DYNAMODB_ENDPOINT), AWS_ENDPOINT_URL_S3 (or S3_ENDPOINT),
AWS_ENDPOINT_URL_LAMBDA (or LAMBDA_ENDPOINT), AWS_ENDPOINT_URL_SQS (or SQS_ENDPOINT): endpoints handed
to functions (SQS's is also where the functions' SQS event sources are polled); AWS_REGION;
VICTORIALOGS_URL: also ship function logs there; IMAGE_PULL_POLICY (docker): if-not-present|always;
CONFIG_RELOAD_INTERVAL (500ms, 2s, or a number of seconds; default 1 s); ESB_TLS_DIR: the gateway's
local CA, which functions are told to trust (default DIR/tls; made there when missing).
docker runtime in a container (compose): ESB_DOCKER_NETWORK: the network function containers join
(the agent's own, so they reach its Runtime API and the storage services by name);
ESB_RUNTIME_API_HOST: the address they call the agent on (default: this container's IPv4 address
when ESB_DOCKER_NETWORK is set); ESB_AGENT_NAME: label of this agent's containers (stale ones are
removed at start).`;

/** This host's first non-internal IPv4 address (the container's address on its network). */
export function ownIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Docker driver options from the settings (compose); undefined values are left to the driver. */
export function dockerOptions(agent: Settings['agent']): Record<string, unknown> | undefined {
  const network = agent.dockerNetwork;
  const out: Record<string, unknown> = {
    ...(agent.imagePullPolicy ? { pullPolicy: agent.imagePullPolicy } : {}),
    ...(network ? { network } : {}),
    ...(agent.name ? { agentName: agent.name } : {}),
  };
  const host = agent.runtimeApiHost || (network ? ownIPv4() : undefined);
  if (host) out.runtimeApiHost = host;
  return Object.keys(out).length ? out : undefined;
}

export async function runAgent(argv: string[], env: Record<string, string | undefined>, signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'config-dir': { type: 'string' },
      runtime: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'log-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const settings = loadSettings(env);
  const runtime = runtimeOption(values.runtime, settings, 'process');
  const port = portOption(values.port, settings.agent.port, 9001);
  const configDir = values['config-dir'] ?? settings.configDir ?? 'config';
  const log = createLogger({ level: settings.logLevel, fd: 1 });
  const python = runtime === 'process' ? choosePython(settings.python) : undefined;
  const boto3Note = python && pythonBoto3Note(python);
  if (boto3Note) log.warn(boto3Note);
  const agent = await createAgent({
    runtime,
    ...(python ? { python: python.python } : {}),
    // SQS's is also where the functions' SQS event sources are polled (docs/agent.md, "SQS queues").
    endpoints: settings.endpoints,
    region: settings.region,
    credentials: settings.credentials,
    logDir: values['log-dir'] ?? settings.logDir ?? '.esb/logs',
    log,
    victoriaLogsUrl: settings.agent.victoriaLogsUrl,
    docker: dockerOptions(settings.agent),
    functionUsers: runtime === 'process' ? settings.functionUsers : undefined,
    warmInstances: settings.agent.warmInstances,
    nodeWorkers: runtime === 'process' ? settings.agent.nodeWorkers : undefined,
    spareRuntimes: runtime === 'process' ? settings.agent.spareRuntimes : undefined,
    durableTimeScale: settings.agent.durableTimeScale,
    // The gateway's CA (same folder), which functions are told to trust.
    tls: { caDir: localCaDir(configDir, env)! },
  });
  const watcher = watchConfig<FunctionsFile>({
    configDir,
    files: ['functions.yml'],
    intervalMs: settings.reloadIntervalMs,
    parse: (file, text) => decodeRuntimeFile(FUNCTIONS_CODEC, text, `${configDir}/${file}`),
    onChange: (parsed) => {
      const f = parsed['functions.yml'];
      if (!f) {
        log.warn(`${configDir}/functions.yml does not exist: nothing is deployed yet`);
        return;
      }
      agent.setFunctions(f);
      log.info({ functions: Object.keys(f.functions).length }, 'functions.yml loaded');
    },
    onError: (err) => log.error({ file: err.file, err: err.message }, 'functions.yml rejected; keeping the previous functions'),
    log,
  });
  await watcher.ready;
  const server = await createAgentHttpServer({ agent, host: values.host ?? settings.agent.host ?? '127.0.0.1', port, log, reloadFunctions: () => watcher.check() });
  log.info({ url: server.url, runtime, configDir }, 'agent listening');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  watcher.close();
  await server.close();
  await agent.close();
  return 0;
}

const command: Command = {
  summary: 'run functions (the agent as a separate service)',
  run: (argv) => runAgent(argv, process.env),
};
export default command;
