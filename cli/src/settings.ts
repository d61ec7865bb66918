// Settings: the only place esb reads its environment. `loadSettings(env)` turns the variables
// into one typed object (durations, ports and endpoints parsed once, with one precedence rule)
// that the commands pass down; no other package reads `process.env`. Gateway security also
// reads ~/.esb/config.yaml (API keys, JWKS locations, the Invoke API's credentials).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { type FunctionUsers, parseFunctionUsers } from '@esb/agent/isolation';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type Credentials } from '@esb/contracts/client';
import type { InvokeApiAccess } from '@esb/gateway';

type Environ = Record<string, string | undefined>;

export class SettingsError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'SettingsError';
  }
}

/**
 * A duration: `500ms`, `2s`, `1.5m`, or a bare number in `bareUnit`. For CONFIG_RELOAD_INTERVAL
 * a bare number is seconds (`1`, `0.5`), and above 60 milliseconds (`1000`), so the values both
 * services used to read keep their meaning.
 */
export function parseDuration(text: string, name: string, bareUnit: 's' | 'ms' | 'auto' = 's'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m) throw new SettingsError(name, `"${text}" is not a duration (e.g. 500ms, 2s, 1m, or a number of ${bareUnit === 'ms' ? 'milliseconds' : 'seconds'})`);
  const n = Number(m[1]);
  const unit = m[2] ?? (bareUnit === 'auto' ? (n > 60 ? 'ms' : 's') : bareUnit);
  return unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000;
}

function parsePort(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SettingsError(name, `"${text}" is not a port number`);
  return port;
}

/** A whole number of at least `min` (ESB_WARM_INSTANCES: 1, docs/agent.md#instance-policy; ESB_SPARE_RUNTIMES: 0, docs/agent.md#spare-runtimes). */
function wholeNumber(text: string | undefined, name: string, min: number, note = ''): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new SettingsError(name, `"${text}" is not a whole number of at least ${min}${note}`);
  return n;
}

/** A factor in (0, 1]: how much of its time a scaled wait takes. */
function timeScaleOf(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new SettingsError(name, `"${text}" is not a number greater than 0 and at most 1 (0.01: waits last 1 % of their time)`);
  return n;
}

const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

/** AWS_ENDPOINT_URL_<SERVICE> first, then esb's older <SERVICE>_ENDPOINT, then AWS_ENDPOINT_URL: service-specific before global, as the AWS SDKs do. */
function endpoint(env: Environ, service: 'DYNAMODB' | 'S3' | 'SQS' | 'EVENTBRIDGE' | 'SNS' | 'SFN' | 'LAMBDA'): string | undefined {
  return nonEmpty(env[`AWS_ENDPOINT_URL_${service}`]) ?? nonEmpty(env[`${service}_ENDPOINT`]) ?? (service === 'LAMBDA' ? undefined : nonEmpty(env.AWS_ENDPOINT_URL));
}

export type RuntimeName = 'process' | 'docker';

function runtimeOf(text: string | undefined, name: string): RuntimeName | undefined {
  const v = nonEmpty(text);
  if (v === undefined) return undefined;
  if (v !== 'process' && v !== 'docker') throw new SettingsError(name, `"${v}" is not process or docker`);
  return v;
}

/** A `--port` flag, else the setting, else `fallback`; a bad flag names the flag. */
export function portOption(flag: string | undefined, setting: number | undefined, fallback: number): number {
  return parsePort(flag, '--port') ?? setting ?? fallback;
}

/** Below this a deploy worker cannot even load the deploy code. */
const MIN_DEPLOY_MEMORY_MB = 16;

/** A deploy worker's heap cap in MB (`--deploy-memory-mb` or ESB_DEPLOY_MEMORY_MB); undefined when unset. */
export function deployMemoryMbOf(value: string | undefined, source: string): number | undefined {
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  const mb = Number(text);
  if (!Number.isInteger(mb) || mb < MIN_DEPLOY_MEMORY_MB) throw new SettingsError(source, `"${text}" is not a whole number of MB (at least ${MIN_DEPLOY_MEMORY_MB})`);
  return mb;
}

/** A `--runtime` flag, else ESB_RUNTIME, else `fallback`. */
export function runtimeOption(flag: string | undefined, settings: Settings, fallback: RuntimeName): RuntimeName {
  return runtimeOf(flag, '--runtime') ?? settings.runtime ?? fallback;
}

export interface Settings {
  /** ESB_WORKSPACE */
  workspace?: string;
  /** ESB_DEPLOYMENTS_DIR */
  deploymentsDir?: string;
  /** CONFIG_DIR: one CONFIG_DIR for every env (compose), instead of the workspace's staging folders. */
  configDir?: string;
  /** RESOURCES_YML: the provisioner's input file. */
  resourcesYml?: string;
  /** ESB_RUNTIME */
  runtime?: RuntimeName;
  /** ESB_REGISTRY: where `esb deploy --kube` pushes function images. */
  registry?: string;
  /** LOG_LEVEL */
  logLevel: string;
  /** ESB_DEBUG: print stack traces of failed commands. */
  debug: boolean;
  /** LOG_DIR: per-function logs. */
  logDir?: string;
  /** SOURCE_DATE_EPOCH: reproducible `generated_at` in artifacts. */
  sourceDateEpoch?: string;
  /** AWS_REGION, then AWS_DEFAULT_REGION. */
  region: string;
  /** AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the local account's. */
  credentials: Credentials;
  /** Storage and Lambda endpoints handed to functions and used by the provisioner. */
  endpoints: { dynamodb?: string; s3?: string; sqs?: string; eventbridge?: string; sns?: string; stepfunctions?: string; lambda?: string };
  /** CONFIG_RELOAD_INTERVAL (default 1 s, at least 0.5 s). */
  reloadIntervalMs: number;
  /** INTEGRATION_TIMEOUT (a bare number is seconds). */
  integrationTimeoutMs?: number;
  gateway: { host?: string; port?: number; agentUrl?: string };
  agent: { host?: string; port?: number; name?: string; dockerNetwork?: string; runtimeApiHost?: string; imagePullPolicy?: string; victoriaLogsUrl?: string; warmInstances?: number; nodeWorkers?: boolean; spareRuntimes?: number; durableTimeScale?: number };
  /** ESB_API_KEYS ("k1,k2") and ESB_JWKS ("<issuer>=<url or file>,..."), merged with ~/.esb/config.yaml by gatewaySecurity. */
  security: { apiKeys: string[]; jwks: Record<string, string> };
  /** ESB_CONSOLE_TOKEN: lets non-loopback clients open the browser console (docs/console.md). */
  consoleToken?: string;
  /**
   * The Lambda Invoke API beyond loopback: ESB_INVOKE_API (on|off), ESB_INVOKE_API_KEYS
   * ("<key id>:<secret>,..."), ESB_INVOKE_API_TOKENS ("t1,t2"); merged with ~/.esb/config.yaml
   * `invoke_api` by invokeApiAccess (docs/security.md).
   */
  invokeApi: { enabled?: boolean; accessKeys: Map<string, string>; tokens: string[] };
  /** ESB_FUNCTION_USER: the user function processes run as (process runtime; docs/security.md). */
  functionUsers: FunctionUsers;
  /** HOME: where ~/.esb/config.yaml lives. */
  home: string;
  /** ESB_PYTHON: the process runtime's interpreter; else the first python3 on PATH with boto3. */
  python: { explicit?: string; searchPath: string };
  /** ESB_JAVA_HOME: the JDK/JRE that runs java* functions in the process runtime; else the best fit in /usr/lib/jvm. */
  javaHome?: string;
  /** ESB_DEPLOY_MEMORY_MB: the heap cap of each deploy worker thread (docs/apply.md). */
  deployMemoryMb?: number;
}

export const MIN_RELOAD_INTERVAL_MS = 500;

/** Reads every variable esb understands; a malformed one is a SettingsError naming it. */
export function loadSettings(env: Environ): Settings {
  const reload = nonEmpty(env.CONFIG_RELOAD_INTERVAL);
  const timeout = nonEmpty(env.INTEGRATION_TIMEOUT);
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  const integrationTimeoutMs = timeout === undefined ? undefined : parseDuration(timeout, 'INTEGRATION_TIMEOUT', 's');
  if (integrationTimeoutMs !== undefined && !(integrationTimeoutMs > 0)) throw new SettingsError('INTEGRATION_TIMEOUT', `"${timeout}" is not a positive duration`);
  return {
    workspace: nonEmpty(env.ESB_WORKSPACE),
    deploymentsDir: nonEmpty(env.ESB_DEPLOYMENTS_DIR),
    configDir: nonEmpty(env.CONFIG_DIR),
    resourcesYml: nonEmpty(env.RESOURCES_YML),
    runtime: runtimeOf(env.ESB_RUNTIME, 'ESB_RUNTIME'),
    registry: nonEmpty(env.ESB_REGISTRY),
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'info',
    debug: Boolean(nonEmpty(env.ESB_DEBUG)),
    logDir: nonEmpty(env.LOG_DIR),
    sourceDateEpoch: nonEmpty(env.SOURCE_DATE_EPOCH),
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? LOCAL_REGION,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : { ...LOCAL_CREDENTIALS },
    endpoints: { dynamodb: endpoint(env, 'DYNAMODB'), s3: endpoint(env, 'S3'), sqs: endpoint(env, 'SQS'), eventbridge: endpoint(env, 'EVENTBRIDGE'), sns: endpoint(env, 'SNS'), stepfunctions: endpoint(env, 'SFN'), lambda: endpoint(env, 'LAMBDA') },
    reloadIntervalMs: Math.max(MIN_RELOAD_INTERVAL_MS, reload === undefined ? 1000 : parseDuration(reload, 'CONFIG_RELOAD_INTERVAL', 'auto')),
    integrationTimeoutMs,
    gateway: { host: nonEmpty(env.HOST), port: parsePort(env.PORT, 'PORT'), agentUrl: nonEmpty(env.AGENT_URL) },
    agent: {
      host: nonEmpty(env.AGENT_HOST),
      port: parsePort(env.AGENT_PORT, 'AGENT_PORT'),
      name: nonEmpty(env.ESB_AGENT_NAME),
      dockerNetwork: nonEmpty(env.ESB_DOCKER_NETWORK),
      runtimeApiHost: nonEmpty(env.ESB_RUNTIME_API_HOST),
      imagePullPolicy: nonEmpty(env.IMAGE_PULL_POLICY),
      victoriaLogsUrl: nonEmpty(env.VICTORIALOGS_URL),
      warmInstances: wholeNumber(env.ESB_WARM_INSTANCES, 'ESB_WARM_INSTANCES', 1),
      // ESB_NODE_WORKERS=on: nodejs* functions as worker threads (docs/agent.md#in-process-node-instances).
      nodeWorkers: onOff(env.ESB_NODE_WORKERS, 'ESB_NODE_WORKERS'),
      spareRuntimes: wholeNumber(env.ESB_SPARE_RUNTIMES, 'ESB_SPARE_RUNTIMES', 0, ' (0 turns it off)'),
      // ESB_DURABLE_TIME_SCALE=0.01: durable waits and step retry delays last 1 % of what they ask (docs/durable-functions.md).
      durableTimeScale: timeScaleOf(env.ESB_DURABLE_TIME_SCALE, 'ESB_DURABLE_TIME_SCALE'),
    },
    security: {
      apiKeys: (env.ESB_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
      jwks: parseJwksSetting(env.ESB_JWKS, 'ESB_JWKS'),
    },
    consoleToken: nonEmpty(env.ESB_CONSOLE_TOKEN),
    invokeApi: {
      enabled: onOff(env.ESB_INVOKE_API, 'ESB_INVOKE_API'),
      accessKeys: parseAccessKeys(env.ESB_INVOKE_API_KEYS, 'ESB_INVOKE_API_KEYS'),
      tokens: parseTokens(env.ESB_INVOKE_API_TOKENS, 'ESB_INVOKE_API_TOKENS'),
    },
    functionUsers: functionUsersOf(env.ESB_FUNCTION_USER),
    home: nonEmpty(env.HOME) ?? os.homedir(),
    python: { explicit: nonEmpty(env.ESB_PYTHON), searchPath: env.PATH ?? '' },
    javaHome: nonEmpty(env.ESB_JAVA_HOME),
    deployMemoryMb: deployMemoryMbOf(env.ESB_DEPLOY_MEMORY_MB, 'ESB_DEPLOY_MEMORY_MB'),
  };
}

/** Settings of this process (read at each call: cheap, and a test may change the environment). */
export function processSettings(): Settings {
  // The one read of the process environment (docs/design.md, "Layout").
  return loadSettings(process.env);
}

export interface GatewaySecurity {
  apiKeys: () => ReadonlySet<string>;
  jwksLocations: Record<string, string>;
}

export function parseJwksSetting(value: string | undefined, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    // The issuer is a URL itself: split at the last "=".
    const eq = item.lastIndexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw new SettingsError(source, `"${item}" is not <issuer>=<JWKS URL or file>`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** ~/.esb/config.yaml, read through @esb/deploy, loaded only by the commands that need it. */
async function readGlobalConfig(home: string) {
  return (await import('@esb/deploy')).readGlobalConfig(home);
}

export async function gatewaySecurity(settings: Pick<Settings, 'security' | 'home'>): Promise<GatewaySecurity> {
  const global = await readGlobalConfig(settings.home);
  const keys = new Set<string>([...global.api_keys, ...settings.security.apiKeys]);
  return {
    apiKeys: () => keys,
    jwksLocations: { ...global.jwks, ...settings.security.jwks },
  };
}

function onOff(text: string | undefined, name: string): boolean | undefined {
  const v = nonEmpty(text)?.toLowerCase();
  if (v === undefined) return undefined;
  if (v !== 'on' && v !== 'off') throw new SettingsError(name, `"${text}" is not on or off`);
  return v === 'on';
}

/** `<key id>:<secret>,...` -> key id -> secret. */
export function parseAccessKeys(value: string | undefined, source: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = item.indexOf(':');
    if (colon <= 0 || colon === item.length - 1) throw new SettingsError(source, `"${item.slice(0, Math.max(colon, 0)) || item.slice(0, 8)}..." is not <access key id>:<secret access key>`);
    out.set(item.slice(0, colon), item.slice(colon + 1));
  }
  return out;
}

const MIN_TOKEN_LENGTH = 16;

function parseTokens(value: string | undefined, source: string): string[] {
  const tokens = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (tokens.some((t) => t.length < MIN_TOKEN_LENGTH)) throw new SettingsError(source, `a token needs at least ${MIN_TOKEN_LENGTH} characters`);
  return tokens;
}

function functionUsersOf(text: string | undefined): FunctionUsers {
  try {
    return parseFunctionUsers(text, 'ESB_FUNCTION_USER', process.getuid?.() === 0);
  } catch (err) {
    throw new SettingsError('ESB_FUNCTION_USER', (err as Error).message.replace(/^ESB_FUNCTION_USER: /, ''));
  }
}

/** Credentials for the platform's own functions, fresh per start (they sign their Invoke API calls with them). */
export function newFunctionCredentials(): Credentials {
  return { accessKeyId: `ESBF${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64url') };
}

/**
 * Who may call the gateway's Lambda Invoke API: anyone when it listens on loopback only; beyond
 * loopback, the platform's own functions (`functionCredentials`) and, when enabled, the
 * configured access keys (SigV4) and bearer tokens.
 */
export async function invokeApiAccess(
  settings: Pick<Settings, 'invokeApi' | 'home'>,
  host: string,
  functionCredentials?: Credentials,
): Promise<InvokeApiAccess> {
  // Loaded here, not at the top: every command reads settings, only the servers need the gateway.
  const { isLoopbackHost } = await import('@esb/gateway');
  if (isLoopbackHost(host)) return { open: true, accessKeys: new Map(), tokens: new Set() };
  const file = (await readGlobalConfig(settings.home)).invoke_api;
  const enabled = settings.invokeApi.enabled ?? file.enabled;
  const accessKeys = new Map<string, string>();
  const tokens = new Set<string>();
  if (enabled) {
    for (const [id, secret] of Object.entries(file.access_keys)) accessKeys.set(id, secret);
    for (const [id, secret] of settings.invokeApi.accessKeys) accessKeys.set(id, secret);
    for (const t of [...file.tokens, ...settings.invokeApi.tokens]) tokens.add(t);
    if (accessKeys.size === 0 && tokens.size === 0) {
      throw new SettingsError(
        'ESB_INVOKE_API',
        'the Lambda Invoke API is enabled beyond loopback but has no credentials: set ESB_INVOKE_API_KEYS or ESB_INVOKE_API_TOKENS, or invoke_api.access_keys / invoke_api.tokens in ~/.esb/config.yaml',
      );
    }
  }
  if (functionCredentials) accessKeys.set(functionCredentials.accessKeyId, functionCredentials.secretAccessKey);
  return { open: false, accessKeys, tokens };
}
