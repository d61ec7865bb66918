// `esb gateway`: the API-Gateway-compatible HTTP gateway as its own service. Serves the
// routes of CONFIG_DIR/routing.yml (hot-reloaded) and invokes functions through the agent:
// over HTTP with --agent-url (compose), or an agent embedded in this process.
import { parseArgs } from 'node:util';
import { localCaDir, type Invoker } from '@esb/contracts';
import { gatewaySecurity, invokeApiAccess, loadSettings, newFunctionCredentials, parseDuration, portOption, runtimeOption } from '../settings.js';
import { DEFAULT_INTEGRATION_TIMEOUT_MS, isLoopbackHost, startGateway } from '@esb/gateway';
import type { Command } from '../main.js';
import { createLogger } from '../log.js';

export const HELP = `usage: esb gateway [--config-dir DIR] [--port N] [--host H] [--agent-url URL] [--runtime process|docker]

Serves the routes of DIR/routing.yml as API Gateway would (REST and HTTP APIs), the Lambda
Invoke API (POST /2015-03-31/functions/<name>/invocations) and GET /health. Reloads
functions.yml and routing.yml when they change, without a restart.

  --config-dir DIR        default $CONFIG_DIR, else /app/runtime-config if it exists, else ./config
  --port N                default $PORT or 3000
  --host H                default $HOST or 0.0.0.0
  --agent-url URL         the agent service (default $AGENT_URL); without it an agent runs in this process
  --runtime R             embedded agent only: process (default, $ESB_RUNTIME) or docker
  --log-dir DIR           embedded agent only: function logs (default $LOG_DIR or ./.esb/logs)
  --integration-timeout D API Gateway's integration timeout (2s, 500ms, or seconds; default $INTEGRATION_TIMEOUT or 29)

The port also serves https, with a certificate signed by esb's local CA (DIR/tls/ca.pem, or
$ESB_TLS_DIR/ca.pem): curl --cacert DIR/tls/ca.pem https://localhost:3000/...

environment: CONFIG_RELOAD_INTERVAL (seconds, or "500ms"/"2s"; default 1 s, minimum 0.5 s), LOG_LEVEL, ESB_TLS_DIR,
AWS_REGION; embedded agent: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3 (endpoints handed to functions).`;

export async function runGateway(argv: string[], env: Record<string, string | undefined>, signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'config-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'agent-url': { type: 'string' },
      runtime: { type: 'string' },
      'log-dir': { type: 'string' },
      'integration-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const settings = loadSettings(env);
  const port = portOption(values.port, settings.gateway.port, 3000);
  const timeoutText = values['integration-timeout'];
  const integrationTimeoutMs = timeoutText !== undefined ? parseDuration(timeoutText, '--integration-timeout', 's') : (settings.integrationTimeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS);
  if (!(integrationTimeoutMs > 0)) throw new Error(`--integration-timeout must be a positive duration, not "${timeoutText}"`);
  const reloadIntervalMs = settings.reloadIntervalMs;
  const { existsSync } = await import('node:fs');
  const configDir = values['config-dir'] ?? settings.configDir ?? (existsSync('/app/runtime-config') ? '/app/runtime-config' : 'config');
  const host = values.host ?? settings.gateway.host ?? '0.0.0.0';
  // https on the same port, signed by the CA of this folder; an embedded agent's functions trust it.
  const caDir = localCaDir(configDir, env)!;
  const region = settings.region;
  // JSON lines on stdout, batched, the access log formatted once (cli/src/log.ts).
  const log = createLogger({ level: settings.logLevel, fd: 1 }).child({ name: 'esb-gateway' });

  const agentUrl = values['agent-url'] ?? settings.gateway.agentUrl;
  // Beyond loopback, functions of an in-process agent sign their Invoke API calls with
  // credentials fresh per start; a separate agent's functions need a configured key.
  const functionCredentials = agentUrl || isLoopbackHost(host) ? undefined : newFunctionCredentials();
  const invokeApi = await invokeApiAccess(settings, host, functionCredentials);
  let invoker: Invoker;
  let onFunctions: ((f: import('@esb/contracts').FunctionsFile) => void) | undefined;
  const closers: Array<() => Promise<void> | void> = [];
  if (agentUrl) {
    const { createHttpInvoker } = await import('@esb/agent');
    const http = createHttpInvoker({ url: agentUrl, onAsyncError: (fn, err) => log.warn({ function: fn }, `an Event invocation of ${fn} did not reach the agent at ${agentUrl}: ${String(err)}`) });
    await http.refresh();
    closers.push(() => http.close());
    // The agent reads the same CONFIG_DIR: a function of the gateway's own functions.yml is
    // known at once, not only after the HTTP client's lazily refreshed list catches up.
    let known = new Set<string>();
    onFunctions = (f) => {
      known = new Set(Object.keys(f.functions));
    };
    invoker = {
      invoke: (name, payload, ctx) => http.invoke(name, payload, ctx),
      // Event invocations run in the agent with Lambda's retries and destinations (docs/agent.md "Asynchronous invocations").
      invokeAsync: (name, payload, ctx) => http.invokeAsync(name, payload, ctx),
      answerDurableApi: (call) => http.answerDurableApi(call),
      has: (name) => known.has(name) || http.has(name),
    };
  } else {
    const runtime = runtimeOption(values.runtime, settings, 'process');
    const { createAgent } = await import('@esb/agent');
    const agent = await createAgent({
      runtime,
      region,
      credentials: functionCredentials ?? settings.credentials,
      functionUsers: runtime === 'process' ? settings.functionUsers : undefined,
      endpoints: { ...settings.endpoints, lambda: settings.endpoints.lambda ?? `http://127.0.0.1:${port}` },
      logDir: values['log-dir'] ?? settings.logDir ?? '.esb/logs',
      log: log.child({ component: 'agent' }),
      warmInstances: settings.agent.warmInstances,
      nodeWorkers: runtime === 'process' ? settings.agent.nodeWorkers : undefined,
      spareRuntimes: runtime === 'process' ? settings.agent.spareRuntimes : undefined,
      durableTimeScale: settings.agent.durableTimeScale,
      tls: { caDir },
    });
    closers.push(() => agent.close());
    invoker = agent;
    onFunctions = (f) => agent.setFunctions(f);
  }

  // Where functions reach this gateway (their Lambda endpoint): WebSocket events' domainName, for
  // their Management API calls; unknown for a separate agent unless AWS_ENDPOINT_URL_LAMBDA says.
  const functionsReachUs = agentUrl ? settings.endpoints.lambda : (settings.endpoints.lambda ?? `http://127.0.0.1:${port}`);
  const websocket = { domainName: functionsReachUs ? new URL(functionsReachUs).host : undefined };
  const gw = await startGateway({ invoker, configDir, host, port, region, reloadIntervalMs, integrationTimeoutMs, log, onFunctions, ...(await gatewaySecurity(settings)), invokeApi, websocket, tls: { caDir } });
  log.info({ url: gw.url, configDir, agent: agentUrl ?? 'in-process', reloadIntervalMs }, 'gateway listening');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  log.info('shutting down: draining in-flight requests');
  await gw.close();
  for (const close of closers.reverse()) await close();
  return 0;
}

const command: Command = {
  summary: 'serve the API Gateway routes of CONFIG_DIR (hot reload) and the Lambda Invoke API',
  run: (argv) => runGateway(argv, process.env),
};
export default command;
