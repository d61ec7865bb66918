// The environment of a function instance: Lambda's variables, the function's own, minimal
// basics, module paths for layers. Pure: never reads the agent's own environment.
import { APPSYNC_URL, appSyncApiPath, FUNCTION_URL_HOST_SUFFIX, rebaseQueueUrl, type Credentials, type FunctionLogging } from '@esb/contracts';
import path from 'node:path';

export type { Credentials };

export interface Endpoints {
  dynamodb?: string;
  s3?: string;
  lambda?: string;
  sqs?: string;
  /** Absent: the SQS endpoint, whose port also takes PutEvents (docs/eventbridge.md). */
  eventbridge?: string;
  /** Absent: the SQS endpoint, whose port also takes Publish (docs/sns.md). */
  sns?: string;
  /** Absent: the SQS endpoint, whose port also takes the Step Functions API (docs/step-functions.md). */
  stepfunctions?: string;
  /** Kinesis Data Streams: the SQS port serves it too when unset (docs/kinesis.md). */
  kinesis?: string;
  /** Firehose: the SQS port takes it too when unset, and hands it to the agent (docs/firehose.md). */
  firehose?: string;
  /** Secrets Manager and SSM Parameter Store: the SQS port serves both when unset (docs/secrets.md). */
  secretsmanager?: string;
  ssm?: string;
  /** EventBridge Scheduler: the SQS port serves it too when unset (docs/eventbridge.md). */
  scheduler?: string;
}

export interface InstanceEnvInput {
  functionName: string;
  instanceId: string;
  runtime?: string;
  handler?: string;
  memoryMb: number;
  region: string;
  credentials: Credentials;
  endpoints: Endpoints;
  runtimeApi: string;
  /** Where the code is, as the instance sees it (/var/task in containers). */
  taskRoot: string;
  runtimeDir: string;
  /** Layer content folders as the instance sees them (/opt in containers, the folders in process runtime). */
  layerDirs: string[];
  /** Extra NODE_PATH entries after the layers (the runtime-provided AWS SDK). */
  nodePathExtra?: string[];
  /** Extra PYTHONPATH entries after the layers. */
  pythonPathExtra?: string[];
  /** PATH of the instance (processRuntimePath in the process runtime). */
  path: string;
  /** Default /tmp; the driver gives an isolated instance its own folder. */
  home?: string;
  defaultsEnv: Record<string, string>;
  functionEnv: Record<string, string>;
  now: number;
  /** Started for min_capacity (ProvisionedConcurrencyConfig): Lambda's provisioned concurrency. */
  provisioned?: boolean;
  /** LoggingConfig: the log format and application level the runtime's log lines follow, the log group. */
  logging?: FunctionLogging;
  /** esb's local CA as the instance sees it (docs/gateway.md, "HTTPS on the same port"): `ca.pem` and `ca-bundle.pem`. */
  trust?: TrustFiles;
}

/** Paths of the local CA's certificate and of the CA followed by the machine's roots. */
export interface TrustFiles {
  cert: string;
  bundle: string;
}

/** Where the docker runtime mounts the CA files in a container (read-only; not under /opt, where a layer may be mounted). */
export const CONTAINER_TLS_DIR = '/etc/esb/tls';

/**
 * The variables that make functions trust esb's CA, unless the function sets them itself: Node adds
 * NODE_EXTRA_CA_CERTS to its roots; botocore and requests take one bundle in place of theirs.
 */
export function trustEnv(t: TrustFiles): Record<string, string> {
  // SSL_CERT_FILE: OpenSSL's default store (Python's urllib and ssl, curl): the bundle holds the machine's roots too.
  return { NODE_EXTRA_CA_CERTS: t.cert, AWS_CA_BUNDLE: t.bundle, REQUESTS_CA_BUNDLE: t.bundle, SSL_CERT_FILE: t.bundle };
}

/** Python's minor version from a runtime name (python3.12 -> 3.12), for site-packages paths in layers. */
export function pythonVersion(runtime?: string): string | undefined {
  const m = /^python(\d+\.\d+)/.exec(runtime ?? '');
  return m?.[1];
}

export function isNodeRuntime(runtime?: string): boolean {
  return (runtime ?? '').startsWith('nodejs');
}

export function isPythonRuntime(runtime?: string): boolean {
  return (runtime ?? '').startsWith('python');
}

/** The log group a function's lines go to: LoggingConfig.LogGroup, else `/aws/lambda/<name>`. */
export function functionLogGroup(functionName: string, logging: FunctionLogging | undefined): string {
  return logging?.log_group ?? `/aws/lambda/${functionName}`;
}

export function logStreamName(instanceId: string, now: number): string {
  const d = new Date(now);
  const ymd = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${ymd}/[$LATEST]${instanceId.replace(/[^a-f0-9]/gi, '')}`;
}

/**
 * PATH of an instance in the process runtime: the folder of the node binary that runs Node
 * instances, the system's folders, then each layer's bin (Lambda's /opt/bin).
 */
export function processRuntimePath(node: string, layerDirs: string[] = []): string {
  return [path.dirname(node), '/usr/local/bin', '/usr/bin', '/bin', ...layerDirs.map((l) => path.join(l, 'bin'))].join(':');
}

/**
 * What every instance's environment holds before Lambda's variables and the function's own:
 * PATH, HOME, locale, time zone, Python's output flags. A spare runtime starts with it too
 * (docs/agent.md#spare-runtimes), so that what its process read at start-up is what an
 * instance's would have read.
 */
export function baseInstanceEnv(b: { runtime?: string; path: string; home?: string }): Record<string, string> {
  const env: Record<string, string> = { PATH: b.path, HOME: b.home ?? '/tmp', LANG: 'C.UTF-8', TZ: ':UTC' };
  if (isPythonRuntime(b.runtime)) Object.assign(env, { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' });
  // The Node that runs an instance is the machine's, not the nodejsNN.x the template names (a
  // deploy says so once); the AWS SDK's notice about that Node's support window would otherwise
  // open the log of every cold start.
  if (isNodeRuntime(b.runtime)) env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return env;
}

/**
 * A template's `!Ref Queue` is the queue's URL on AWS, and the SQS SDKs send a request to the
 * host of its QueueUrl (client-sqs's useQueueUrlAsEndpoint, aws-sdk v2): variables holding one
 * are made to name the queue on esb's SQS endpoint (docs/agent.md, "SQS queues").
 */
export function withLocalQueueUrls(vars: Record<string, string>, sqsEndpoint: string | undefined): Record<string, string> {
  return withLocalUrls(vars, sqsEndpoint, undefined);
}

/** `https://<label>.lambda-url.<region>.on.aws/...` (!GetAtt FnUrl.FunctionUrl), the label kept. */
const FUNCTION_URL = /^(https?:\/\/)?([a-z0-9-]+)\.lambda-url\.[a-z0-9-]+\.on\.aws(?::\d+)?(?=[/?#]|$)/i;

/** `https://<id>.execute-api.<region>.amazonaws.com/<stage>...`, `wss://` or no scheme: the scheme as written, the path. */
const API_URL = /^((?:https?|wss?):\/\/)?[A-Za-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?(?::\d+)?(?=[/?#]|$)/;

/**
 * An API Gateway URL (`!Sub https://${WebSocketApi}.execute-api.${AWS::Region}.amazonaws.com/${Stage}`,
 * with or without the scheme) on esb's gateway: its host and port as functions reach it (the
 * Lambda endpoint handed to them), the scheme and path as written; the port serves https and
 * wss too (docs/gateway.md, "HTTPS on the same port"). Anything else is returned as it is.
 */
export function rebaseApiUrl(value: string, gatewayEndpoint: string): string {
  const m = API_URL.exec(value);
  const appsync = m ? null : APPSYNC_URL.exec(value);
  const url = m || appsync ? null : FUNCTION_URL.exec(value);
  if (!m && !appsync && !url) return value;
  const gw = new URL(gatewayEndpoint);
  const port = gw.port || (gw.protocol === 'https:' ? '443' : '80');
  // A function URL keeps its label as the Host the gateway serves it by; the runtimes look that name up as the gateway's host.
  if (url) return `${url[1] ?? ''}${url[2]!.toLowerCase()}${FUNCTION_URL_HOST_SUFFIX}:${port}${value.slice(url[0].length)}`;
  // An AppSync API's URL: the path that names it by id on the gateway (docs/appsync.md).
  if (appsync) return `${appsync[1] ?? ''}${gw.hostname}:${port}${appSyncApiPath(appsync[2]!)}${value.slice(appsync[0].length)}`;
  return `${m![1] ?? ''}${gw.hostname}:${port}${value.slice(m![0].length)}`;
}

/** Variables naming an API Gateway URL, put on esb's gateway (rebaseApiUrl). */
export function withLocalApiUrls(vars: Record<string, string>, gatewayEndpoint: string | undefined): Record<string, string> {
  return withLocalUrls(vars, undefined, gatewayEndpoint);
}

/** Queue URLs and API Gateway URLs of the template on esb's endpoints, in one pass; `vars` itself when nothing changes. */
export function withLocalUrls(vars: Record<string, string>, sqsEndpoint: string | undefined, gatewayEndpoint: string | undefined): Record<string, string> {
  if (!sqsEndpoint && !gatewayEndpoint) return vars;
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(vars)) {
    let local = sqsEndpoint ? rebaseQueueUrl(v, sqsEndpoint) : v;
    if (gatewayEndpoint && local === v) local = rebaseApiUrl(v, gatewayEndpoint);
    if (local !== v) (out ??= { ...vars })[k] = local;
  }
  return out ?? vars;
}

export function buildInstanceEnv(i: InstanceEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    ...baseInstanceEnv(i),
    AWS_REGION: i.region,
    AWS_DEFAULT_REGION: i.region,
    AWS_ACCESS_KEY_ID: i.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: i.credentials.secretAccessKey,
  };
  if (i.credentials.sessionToken) env.AWS_SESSION_TOKEN = i.credentials.sessionToken;
  if (i.endpoints.dynamodb) env.AWS_ENDPOINT_URL_DYNAMODB = i.endpoints.dynamodb;
  if (i.endpoints.s3) env.AWS_ENDPOINT_URL_S3 = i.endpoints.s3;
  if (i.endpoints.lambda) env.AWS_ENDPOINT_URL_LAMBDA = i.endpoints.lambda;
  if (i.endpoints.sqs) env.AWS_ENDPOINT_URL_SQS = i.endpoints.sqs;
  const eventbridge = i.endpoints.eventbridge ?? i.endpoints.sqs;
  if (eventbridge) env.AWS_ENDPOINT_URL_EVENTBRIDGE = eventbridge;
  const sns = i.endpoints.sns ?? i.endpoints.sqs;
  if (sns) env.AWS_ENDPOINT_URL_SNS = sns;
  const stepfunctions = i.endpoints.stepfunctions ?? i.endpoints.sqs;
  if (stepfunctions) env.AWS_ENDPOINT_URL_SFN = stepfunctions;
  const kinesis = i.endpoints.kinesis ?? i.endpoints.sqs;
  if (kinesis) env.AWS_ENDPOINT_URL_KINESIS = kinesis;
  const firehose = i.endpoints.firehose ?? i.endpoints.sqs;
  if (firehose) env.AWS_ENDPOINT_URL_FIREHOSE = firehose;
  const secretsmanager = i.endpoints.secretsmanager ?? i.endpoints.sqs;
  if (secretsmanager) env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsmanager;
  const ssm = i.endpoints.ssm ?? i.endpoints.sqs;
  if (ssm) env.AWS_ENDPOINT_URL_SSM = ssm;
  const scheduler = i.endpoints.scheduler ?? i.endpoints.sqs;
  if (scheduler) env.AWS_ENDPOINT_URL_SCHEDULER = scheduler;
  // Lambda's, and the function may change it: the X-Ray SDKs log a segment missing outside a
  // handler instead of throwing (there is no X-Ray daemon here, so AWS_XRAY_DAEMON_ADDRESS is not set).
  env.AWS_XRAY_CONTEXT_MISSING = 'LOG_ERROR';

  if (isNodeRuntime(i.runtime)) {
    const major = /^nodejs(\d+)/.exec(i.runtime ?? '')?.[1];
    const paths: string[] = [];
    for (const l of i.layerDirs) {
      if (major) paths.push(path.posix.join(l, 'nodejs', `node${major}`, 'node_modules'));
      paths.push(path.posix.join(l, 'nodejs', 'node_modules'));
    }
    paths.push(...(i.nodePathExtra ?? []));
    if (paths.length) env.NODE_PATH = paths.join(':');
  }
  if (isPythonRuntime(i.runtime)) {
    const v = pythonVersion(i.runtime);
    const paths: string[] = [];
    for (const l of i.layerDirs) {
      paths.push(path.posix.join(l, 'python'));
      if (v) paths.push(path.posix.join(l, 'python', 'lib', `python${v}`, 'site-packages'));
    }
    paths.push(...(i.pythonPathExtra ?? []));
    if (paths.length) env.PYTHONPATH = paths.join(':');
  }

  // esb's CA, unless the template sets these variables itself (below).
  if (i.trust) Object.assign(env, trustEnv(i.trust));

  Object.assign(env, withLocalUrls(i.defaultsEnv, i.endpoints.sqs, i.endpoints.lambda), withLocalUrls(i.functionEnv, i.endpoints.sqs, i.endpoints.lambda));

  // Reserved: the function cannot override what makes it a Lambda instance.
  Object.assign(env, {
    AWS_LAMBDA_FUNCTION_NAME: i.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(i.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: functionLogGroup(i.functionName, i.logging),
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(i.instanceId, i.now),
    AWS_LAMBDA_RUNTIME_API: i.runtimeApi,
    AWS_EXECUTION_ENV: `AWS_Lambda_${i.runtime ?? 'provided'}`,
    // Powertools tells a cold start by it (docs/agent.md).
    AWS_LAMBDA_INITIALIZATION_TYPE: i.provisioned ? 'provisioned-concurrency' : 'on-demand',
    LAMBDA_TASK_ROOT: i.taskRoot,
    LAMBDA_RUNTIME_DIR: i.runtimeDir,
    _HANDLER: i.handler ?? '',
  });
  // What the runtimes' log lines follow (docs/agent.md, "Log lines"); the level only with JSON, as Lambda sets it.
  if (i.logging?.format === 'JSON') {
    env.AWS_LAMBDA_LOG_FORMAT = 'JSON';
    env.AWS_LAMBDA_LOG_LEVEL = i.logging.application_level ?? 'INFO';
  }
  return env;
}
