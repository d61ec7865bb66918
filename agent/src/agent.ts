// The agent: runs the functions of functions.yml as instances behind the Lambda Runtime API.
// createAgent() wires the pool, a driver (process or docker), logs and schedules together.
import { createGraphqlCaller } from './appsync-targets.js';
import { isMissingQueue, busArn, canonicalJson, CA_BUNDLE_FILE, CA_CERT_FILE, customRuntimeEntry, ensureLocalCa, isJavaRuntime, lineageOf, LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION, localQueueUrl, nextSlice, RECURSION_LIMIT, SLICE_BUDGET_MS, withLineage } from '@esb/contracts';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { ApiAnswer, ApiCall, AsyncDestination, BusEvent, ForwardedApi, FunctionConfig, FunctionsFile, KinesisRecord, ObjectEvent, ScheduleFiring, StreamFailureDestination, StreamRecord, TopicMessage } from '@esb/contracts';
import { type Clock, systemClock } from './clock.js';
import type { InstanceDriver } from './driver.js';
import { cachedNameLookup, s3EndpointByAddress } from './s3-endpoint.js';
import { buildInstanceEnv, CONTAINER_TLS_DIR, type Credentials, type Endpoints, isNodeRuntime, isPythonRuntime, processRuntimePath, type TrustFiles } from './env.js';
import { errorPayload, errorResult, type Instance } from './instance.js';
import type { InvokeContext, InvokeResult, Invoker } from '@esb/contracts';
import { FileLogSink, logTail, type LogRecord, type LogSink, MultiLogSink, PinoLogSink, VictoriaLogsSink } from './logs.js';
import type { FunctionUsers } from './isolation.js';
import { FunctionPool, type PoolConfig, type PoolStats } from './pool.js';
import { cpuSaturation } from './cpu-idle.js';
import { createProcessDriver, RUNTIME_DIR } from './process-driver.js';
import { linkRuntimeSdk, sdkFolderFor, type RuntimeSdkFolders } from './runtime-sdk.js';
import { Scheduler, type ScheduleStats } from './schedule.js';
import { type NewNotificationTarget, S3_NOTIFICATION_SUBJECT, S3Notifier, s3TestEvent } from './s3-events.js';
import { EventRules, type TargetSenders } from './eventbridge.js';
import { deliverScheduleFirings } from './schedule-firings.js';
import { OAuthTokens, callApiDestination, deliverWithRetries, type DeliveryOutcome } from './api-destinations.js';
import { LogSubscriptions } from './log-subscriptions.js';
import { Executions } from './executions.js';
import { DurableExecutions, type DurableFunctionStats } from './durable-executions.js';
import { createTaskRunner } from './task-integrations.js';
import { TopicSubscriptions } from './sns.js';
import { createS3ObjectWriter, DeliveryStreams, type DeliveryStreamStats } from './firehose.js';
import { dynamodbStreams } from './dynamodb-streams.js';
import { createKinesisPutter, kinesisStreams } from './kinesis-streams.js';
import { hasReferences, resolveReferences, storageLookup } from './dynamic-references.js';
import { StreamDelivery, type StreamDeliveryOptions } from './stream-delivery.js';
import { createSqsClientPort, SqsDelivery, type FifoFields, type SqsMappingStats, type SqsSender, type SqsStringAttributes } from './sqs-events.js';
import { createAsyncInvoker, deadLetterMessage, failureDestinationRecord, failureQueuesOf, successDestinationRecord, type AsyncInvocationIds, type ExhaustedInvocation } from './async-invoke.js';

/** Modules Lambda gives inline code (cfn-response), found after the function's own and the SDK. */
const RUNTIME_MODULES = path.join(RUNTIME_DIR, 'nodejs', 'modules');

/** Defaults when functions.yml says nothing (documented in docs/agent.md). */
export const AGENT_DEFAULTS = {
  maxCapacity: 10,
  minCapacity: 0,
  /** Seconds an instance may stay idle before it is stopped. */
  idleTimeout: 300,
  /** Seconds a request waits for a free instance before Throttled. */
  acquireTimeout: 10,
  initTimeoutMs: 10_000,
  initBackoffMs: 1_000,
  maxInitBackoffMs: 30_000,
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS as Credentials,
  /** Process runtime: idle spare runtimes at most (docs/agent.md#spare-runtimes). */
  spareRuntimes: 2,
};

export interface AgentOptions {
  runtime: 'process' | 'docker';
  /** AWS_ENDPOINT_URL_* of instances; `sqs` is also where the SQS mappings poll their queues (docs/agent.md, "SQS queues"). */
  endpoints?: Endpoints;
  region?: string;
  logDir: string;
  log: Logger;
  credentials?: Credentials;
  /** Time and timers (idle timeouts, acquire timeouts, schedules). */
  clock?: Clock;
  /** Replaces the driver chosen by `runtime` (tests, custom drivers). */
  driver?: InstanceDriver;
  /** Docker runtime options (see docker-driver.ts). */
  docker?: Record<string, unknown>;
  /** Process runtime: Python interpreter (default /usr/bin/python3 when present). */
  python?: string;
  /** Process runtime: the JDK/JRE for java* functions (default: the best fit in /usr/lib/jvm, java-runtime.ts). */
  javaHome?: string;
  /** Process runtime: which user instances run as (default none: esb's own; the CLI passes `auto`, see isolation.ts). */
  functionUsers?: FunctionUsers;
  /** Process runtime: node_modules the AWS SDK of Node handlers is taken from (default: esb's own); they see only the SDK (runtime-sdk.ts). */
  nodeModulesDir?: string;
  /** Ship function logs to VictoriaLogs (default: $VICTORIALOGS_URL). */
  victoriaLogsUrl?: string;
  /** Run schedule events (default true). */
  schedules?: boolean;
  /** More places for function log lines (the console's live tail). */
  logSinks?: LogSink[];
  /** Echo function log lines to the pino log (default true). */
  pinoFunctionLogs?: boolean;
  /**
   * Instances of a function started on demand before requests queue on the busy ones (default:
   * the machine's cores; docs/agent.md#instance-policy). max_capacity and min_capacity still hold.
   */
  warmInstances?: number;
  /** Whether the machine's CPU is saturated, for the instance policy (default: `/proc/stat`, cpu-idle.ts). */
  cpuSaturated?: () => boolean;
  /**
   * Process runtime: pre-started Node/Python runtimes that cold starts are handed to, at most this
   * many idle (default AGENT_DEFAULTS.spareRuntimes; 0: none). docs/agent.md#spare-runtimes
   */
  spareRuntimes?: number;
  /** Process runtime: esb's Node and Python clients use the instance channel (default true; docs/agent.md). */
  runtimeChannel?: boolean;
  /**
   * Process runtime, opt-in: nodejs* functions run as worker threads of this process
   * (docs/agent.md#in-process-node-instances: what it does not isolate).
   */
  nodeWorkers?: boolean;
  initTimeoutMs?: number;
  initBackoffMs?: number;
  maxInitBackoffMs?: number;
  /**
   * esb's local CA, which instances are made to trust (docs/gateway.md, "HTTPS on the same port"):
   * the gateway's folder (`<configDir>/tls` or ESB_TLS_DIR); made here when missing. Absent or false: none.
   */
  tls?: { caDir: string } | false;
  /** Durable waits and step retry delays last this fraction of what they ask (default 1; docs/durable-functions.md). */
  durableTimeScale?: number;
}

export interface FunctionStats extends PoolStats {
  maxCapacity: number;
}

export interface AgentStats {
  runtime: 'process' | 'docker';
  functions: Record<string, FunctionStats>;
  schedules: ScheduleStats[];
  /** DynamoDB stream mappings (source: the table) and the records each has waiting. */
  streams: Array<{ functionName: string; mapping: string; source: string; queued: number }>;
  /** Kinesis stream mappings (source: the stream) and the records each has waiting. */
  kinesis: Array<{ functionName: string; mapping: string; source: string; queued: number }>;
  /** SQS mappings being polled and the messages each has in flight. */
  queues: SqsMappingStats[];
  /** EventBridge rules in force and their targets. */
  rules: Array<{ rule: string; bus: string; targets: string[] }>;
  /** SNS subscriptions in force and what each delivers to. */
  subscriptions: Array<{ topic: string; subscription: string; target: string }>;
  /** Step Functions state machines in force and their executions. */
  stateMachines: Array<{ stateMachine: string; type: 'STANDARD' | 'EXPRESS'; running: number; executions: number }>;
  /** Firehose delivery streams in force: what each has buffered, written and lost. */
  deliveryStreams: DeliveryStreamStats[];
  /** Durable functions with executions (docs/durable-functions.md): running, kept, the latest. */
  durableFunctions: DurableFunctionStats[];
}

export interface Agent extends Invoker {
  /**
   * Applies functions.yml (on every config reload): new/changed functions get fresh instances,
   * removed ones stop. A big file is applied in slices; the promise resolves when all are.
   */
  setFunctions(file: FunctionsFile): void | Promise<void>;
  /** An object created or deleted in a bucket: the functions notified of it run (asynchronously). */
  deliverObjectEvent(event: ObjectEvent): void;
  /** A change of an item in a table whose stream is on: the functions reading the stream get it in their next batch. */
  deliverStreamRecord(record: StreamRecord): void;
  /** The records a Kinesis PutRecord(s) stored: the functions reading the stream get them in their next batches (docs/kinesis.md). */
  deliverKinesisRecords(records: readonly KinesisRecord[]): void;
  /** The events an EventBridge PutEvents accepted: the targets of the rules that match get them (docs/eventbridge.md). */
  deliverBusEvents(events: readonly BusEvent[]): void;
  /** The messages an SNS Publish accepted: the subscriptions of their topics get them (docs/sns.md). */
  deliverTopicMessages(messages: readonly TopicMessage[]): void;
  /** EventBridge Scheduler schedules that came due in the storage: their targets get what they send (docs/eventbridge.md). */
  deliverScheduleFirings(firings: readonly ScheduleFiring[]): void;
  /** A call of the durable execution API (checkpoints, callbacks, Get/List/Stop; docs/durable-functions.md). */
  answerDurableApi(call: ApiCall): Promise<ApiAnswer>;
  /** A call of an API the agent answers: Step Functions (StartExecution, ...; docs/step-functions.md) or Firehose (PutRecord, ...; docs/firehose.md). */
  answerApiCall(api: ForwardedApi, call: ApiCall): Promise<ApiAnswer>;
  stats(): AgentStats;
  /** Stops every instance, the schedules and the log files. */
  close(): Promise<void>;
  readonly logDir: string;
}


export function functionArn(region: string, name: string): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${name}`;
}

/** Tries at sending to a queue that does not exist (yet), 0.25 s apart and doubling: about 8 s in all. */
const MISSING_QUEUE_ATTEMPTS = 6;

/** A functions.yml of more functions than this is applied in slices. */
export const FUNCTIONS_SLICE = 100;

/** Why a function cannot run on this driver, or undefined. */
export function unrunnableReason(name: string, fc: FunctionConfig, kind: 'process' | 'docker'): string | undefined {
  if (kind === 'docker') {
    if (fc.package_type === 'Image' && !fc.image) return `function ${name}: an Image function needs an image`;
    return undefined;
  }
  if (fc.package_type === 'Image')
    return `function ${name} is an Image function (PackageType: Image): it needs the Docker runtime (start esb with the docker runtime), the process runtime cannot run images`;
  if (!fc.code) return `function ${name}: no code folder in functions.yml (field "code"); the process runtime needs one`;
  const rt = fc.runtime ?? '';
  if (!isNodeRuntime(rt) && !isPythonRuntime(rt) && !isJavaRuntime(rt) && !customRuntimeEntry(rt, fc.handler))
    return `function ${name}: runtime "${rt || '(none)'}" is not supported by the process runtime (nodejs*, python3.*, java*, provided*, go1.x)`;
  return undefined;
}

export function poolConfig(name: string, fc: FunctionConfig, file: FunctionsFile, region: string, kind: 'process' | 'docker'): PoolConfig {
  const d = file.defaults.scaling;
  const max = fc.scaling.max_capacity ?? AGENT_DEFAULTS.maxCapacity;
  return {
    name,
    key: canonicalJson({ fc, env: file.defaults.environment }),
    timeoutMs: Math.round(fc.timeout * 1000),
    memoryMb: fc.memory_size,
    maxCapacity: max,
    minCapacity: Math.min(fc.scaling.min_capacity ?? AGENT_DEFAULTS.minCapacity, max),
    idleTimeoutMs: (d.idle_timeout ?? AGENT_DEFAULTS.idleTimeout) * 1000,
    acquireTimeoutMs: (d.acquire_timeout ?? AGENT_DEFAULTS.acquireTimeout) * 1000,
    arn: functionArn(region, name),
    activeTracing: fc.tracing === 'Active',
    unrunnable: unrunnableReason(name, fc, kind),
    logging: fc.logging,
  };
}

/**
 * The local CA's files for instances; none (with a warning) when the folder cannot be used. With
 * `readableCopy`, copies of the two public files in a new folder anyone may read (`copyDir`, the
 * agent removes it when it closes).
 */
async function localCaFiles(caDir: string, log: Logger, readableCopy: boolean): Promise<(TrustFiles & { copyDir?: string }) | undefined> {
  try {
    const ca = await ensureLocalCa(caDir);
    if (!readableCopy) return { cert: ca.certPath, bundle: ca.bundlePath };
    const copyDir = await mkdtemp(path.join(tmpdir(), 'esb-ca-'));
    await chmod(copyDir, 0o755);
    const copy = { cert: path.join(copyDir, CA_CERT_FILE), bundle: path.join(copyDir, CA_BUNDLE_FILE), copyDir };
    await copyFile(ca.certPath, copy.cert);
    await copyFile(ca.bundlePath, copy.bundle);
    await Promise.all([chmod(copy.cert, 0o644), chmod(copy.bundle, 0o644)]);
    return copy;
  } catch (err) {
    log.warn({ err: String(err), caDir }, `functions are not told to trust esb's local CA: ${caDir} could not be used`);
    return undefined;
  }
}

function defaultNodeModules(): string | undefined {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules');
  return existsSync(path.join(dir, '@aws-sdk')) ? dir : undefined;
}

export async function createAgent(opts: AgentOptions): Promise<Agent> {
  const clock = opts.clock ?? systemClock;
  const region = opts.region ?? AGENT_DEFAULTS.region;
  const credentials = opts.credentials ?? AGENT_DEFAULTS.credentials;
  const endpoints = opts.endpoints ?? {};
  const log = opts.log;
  // Instances of other users (the process runtime as root) read a copy in a folder open to them.
  const isolated = opts.runtime === 'process' && !opts.driver && opts.functionUsers !== undefined && opts.functionUsers.kind !== 'none';
  const ca = opts.tls ? await localCaFiles(opts.tls.caDir, log, isolated) : undefined;
  const trust: TrustFiles | undefined = ca && { cert: ca.cert, bundle: ca.bundle };
  let driver: InstanceDriver;
  if (opts.driver) driver = opts.driver;
  else if (opts.runtime === 'docker') {
    const { createDockerDriver } = await import('./docker-driver.js');
    driver = await createDockerDriver({ log, ...(opts.docker ?? {}), ...(trust ? { trustFiles: trust } : {}) });
  } else {
    driver = createProcessDriver({
      python: opts.python,
      javaHome: opts.javaHome,
      users: opts.functionUsers,
      warn: (m) => log.warn(m),
      runtimeChannel: opts.runtimeChannel,
      // In-process Node instances are worker threads: only Python would use a spare process.
      spares: { max: opts.spareRuntimes ?? AGENT_DEFAULTS.spareRuntimes, runtimes: opts.nodeWorkers ? ['python'] : ['node', 'python'] },
      trustFiles: trust,
    });
    if (opts.nodeWorkers) {
      const { createNodeWorkerDriver } = await import('./worker-driver.js');
      driver = createNodeWorkerDriver(driver);
      if (opts.functionUsers && opts.functionUsers.kind !== 'none') log.warn('in-process Node instances (worker threads) run as esb\'s own user: per-function users apply to other runtimes only');
    }
  }
  const kind = driver.kind;
  // The process runtime's Node functions see the SDK Lambda gives their runtime, not the rest of esb's modules.
  const nodeModules = kind === 'docker' ? undefined : (opts.nodeModulesDir ?? defaultNodeModules());
  const sdkFolders: RuntimeSdkFolders = nodeModules ? linkRuntimeSdk(nodeModules, tmpdir()) : {};

  const sinks: LogSink[] = [new FileLogSink(opts.logDir)];
  if (opts.pinoFunctionLogs !== false) sinks.push(new PinoLogSink(log.child({ component: 'function' })));
  const vlUrl = opts.victoriaLogsUrl;
  if (vlUrl) {
    let warned = false;
    sinks.push(
      new VictoriaLogsSink({
        url: vlUrl,
        onError: (err) => {
          if (!warned) log.warn({ err: String(err) }, 'cannot ship function logs to VictoriaLogs (further errors not logged)');
          warned = true;
        },
      }),
    );
  }
  sinks.push(...(opts.logSinks ?? []));
  // CloudWatch Logs subscriptions see every line (docs/agent.md "Log subscriptions"); their batches are asynchronous invocations.
  const logSubscriptions = new LogSubscriptions({ accountId: LOCAL_ACCOUNT_ID, deliver: (fn, payload, by) => targetSenders.fire(fn, payload, by) });
  sinks.push(logSubscriptions);
  const sink = new MultiLogSink(sinks);
  /** Log lines of invocations whose caller asked for the tail (X-Amz-Log-Type: Tail), by request id. */
  const tails = new Map<string, string[]>();
  const emit = (inst: Instance, stream: LogRecord['stream'], requestId: string | undefined, message: string) => {
    if (requestId !== undefined && tails.size > 0) tails.get(requestId)?.push(message);
    const rec: LogRecord = { time: clock.now(), function: inst.functionName, instance: inst.id, requestId, stream, message };
    const group = file.functions[inst.functionName]?.logging?.log_group;
    if (group !== undefined) rec.group = group;
    sink.write(rec);
  };

  let file: FunctionsFile = { defaults: { environment: {}, scaling: {} }, functions: {} };
  const pools = new Map<string, FunctionPool>();
  const versionWarned = new Set<string>();
  let closed = false;
  let closing = false;

  // Dynamic references of a function's environment, resolved once per version of the function
  // (docs/secrets.md, "Dynamic references"); a failed lookup is asked again at the next start.
  const referenced = new Map<string, Promise<Record<string, string>>>();
  const referencedEnv = (name: string, fc: FunctionConfig) => {
    const key = `${name}\0${fc.digest ?? JSON.stringify(fc.environment)}`;
    let env = referenced.get(key);
    if (!env) {
      const endpoint = endpoints.sqs;
      env = endpoint ? resolveReferences(fc.environment, storageLookup(endpoint)) : Promise.reject(new Error('its environment has {{resolve:...}} references and no SSM / Secrets Manager endpoint is configured (AWS_ENDPOINT_URL_SQS)'));
      referenced.set(key, env);
      env.catch(() => referenced.delete(key));
    }
    return env.catch((err: unknown) => Promise.reject(new Error(`function ${name}: ${err instanceof Error ? err.message : String(err)}`)));
  };

  const lookupName = cachedNameLookup(log);
  const launch = async (inst: Instance, cfg: PoolConfig, runtimeApi: string) => {
    const fc = file.functions[cfg.name];
    if (!fc) throw new Error(`function ${cfg.name} is no longer in functions.yml`);
    const pool = pools.get(cfg.name);
    const docker = kind === 'docker';
    const layerDirs = fc.layers.map((l) => l.path);
    if (!docker) {
      for (const dir of [fc.code!, ...layerDirs]) if (!existsSync(dir)) throw new Error(`folder ${dir} does not exist (function ${cfg.name}, functions.yml)`);
    }
    const taskRoot = docker ? '/var/task' : fc.code!;
    const functionEnv = hasReferences(fc.environment) ? await referencedEnv(cfg.name, fc) : fc.environment;
    // A host-name S3 endpoint reaches functions as its address (docs/agent.md, "The S3 endpoint as an address").
    const s3 = endpoints.s3 && (await s3EndpointByAddress(endpoints.s3, lookupName));
    const sdk = sdkFolderFor(fc.runtime, sdkFolders);
    const env = buildInstanceEnv({
      functionName: cfg.name,
      instanceId: inst.id,
      runtime: fc.runtime,
      handler: fc.handler,
      memoryMb: fc.memory_size,
      region,
      credentials,
      endpoints: s3 === endpoints.s3 ? endpoints : { ...endpoints, s3 },
      runtimeApi,
      taskRoot,
      runtimeDir: docker ? '/var/runtime' : path.join(RUNTIME_DIR, isPythonRuntime(fc.runtime) ? 'python' : isJavaRuntime(fc.runtime) ? 'java' : 'nodejs'),
      layerDirs: docker ? (layerDirs.length || fc.package_type === 'Image' ? ['/opt'] : []) : layerDirs,
      nodePathExtra: docker ? ['/var/runtime/node_modules', '/var/runtime'] : [...(sdk ? [sdk] : []), RUNTIME_MODULES],
      pythonPathExtra: docker ? ['/var/runtime'] : [],
      path: docker
        ? '/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin'
        : processRuntimePath(process.execPath, layerDirs),
      defaultsEnv: file.defaults.environment,
      functionEnv,
      now: clock.now(),
      provisioned: inst.provisioned,
      logging: fc.logging,
      // Containers see the CA files where the docker driver mounts them.
      trust: trust && (docker ? { cert: `${CONTAINER_TLS_DIR}/${CA_CERT_FILE}`, bundle: `${CONTAINER_TLS_DIR}/${CA_BUNDLE_FILE}` } : trust),
    });
    const handle = await driver.start(
      {
        functionName: cfg.name,
        instanceId: inst.id,
        // An Image function's image brings its own runtime, whatever Runtime the template names.
        runtime: fc.package_type === 'Image' ? undefined : fc.runtime,
        handler: fc.handler,
        codeDir: fc.code,
        codeVersion: fc.digest,
        layerDirs,
        image: fc.image,
        memoryMb: fc.memory_size,
        env,
        runtimeApiSecret: inst.runtimeApiSecret,
      },
      (stream, text) => {
        const out = inst.outputOwner(stream, text);
        if (!out) return;
        if (out.requestId !== undefined) pool?.heardOutput();
        emit(inst, stream, out.requestId, out.line);
      },
    );
    inst.attach(handle);
  };

  const deps = {
    driver,
    clock,
    initTimeoutMs: opts.initTimeoutMs ?? AGENT_DEFAULTS.initTimeoutMs,
    initBackoffMs: opts.initBackoffMs ?? AGENT_DEFAULTS.initBackoffMs,
    maxInitBackoffMs: opts.maxInitBackoffMs ?? AGENT_DEFAULTS.maxInitBackoffMs,
    launch,
    warmInstances: opts.warmInstances ?? availableParallelism(),
    cpuSaturated: opts.cpuSaturated ?? cpuSaturation(),
    line: emit,
    warn: (msg: string, extra?: Record<string, unknown>) => log.warn(extra ?? {}, msg),
  };

  /** Functions of the last setFunctions not applied yet (a big file is applied in slices). */
  let pendingFunctions = new Map<string, FunctionConfig>();
  const applyFunction = (name: string, fc: FunctionConfig, next: FunctionsFile) => {
    const cfg = poolConfig(name, fc, next, region, kind);
    const pool = pools.get(name);
    if (pool) pool.update(cfg);
    else {
      const p = new FunctionPool(cfg, deps);
      pools.set(name, p);
      p.update(cfg);
    }
    if (cfg.unrunnable) log.warn({ fn: name }, cfg.unrunnable);
    // Once per function and runtime: a deploy that changes nothing else says nothing again.
    const versionKey = `${name}\0${fc.runtime ?? ''}`;
    if (!versionWarned.has(versionKey)) {
      versionWarned.add(versionKey);
      const warning = driver.versionWarning?.(fc.runtime);
      if (warning) log.warn({ fn: name }, `function ${name}: ${warning}`);
    }
  };
  const applyPending = (name: string) => {
    const fc = pendingFunctions.get(name);
    if (fc === undefined) return;
    pendingFunctions.delete(name);
    applyFunction(name, fc, file);
  };

  // What reads functions.yml besides the pools: the event sources and the state machines.
  const setEventSources = (next: FunctionsFile) => {
    scheduler?.setFunctions(next);
    const newTargets = notifier.setFunctions(next);
    eventRules.setFunctions(next);
    topicSubscriptions.setFunctions(next);
    executions.setFunctions(next);
    durable.setFunctions(next);
    streams.setFunctions(next);
    kinesis.setFunctions(next);
    queues.setFunctions(next);
    logSubscriptions.setFunctions(next);
    deliveryStreams.setFunctions(next);
    // After the topics' subscriptions are in: S3 tests a new destination when it is configured.
    for (const t of newTargets) sendS3TestEvent(t);
  };

  /** Runs the function on its instances: every invocation but the start of a durable execution. */
  const invokePool = async (name: string, payload: Buffer, ctx: InvokeContext = {}): Promise<InvokeResult> => {
    const requestId = ctx.requestId ?? randomUUID();
    if (closed) return errorResult(requestId, 'Unavailable', 'the agent is shut down');
    applyPending(name);
    const pool = pools.get(name);
    if (!pool) {
      const message = `Function not found: ${functionArn(region, name)}`;
      return errorResult(requestId, 'UnknownFunction', message, errorPayload('ResourceNotFoundException', message));
    }
    if (!ctx.logTail) return pool.invoke(requestId, payload, ctx);
    const lines: string[] = [];
    tails.set(requestId, lines);
    // END and REPORT are written in the next turn, and output the handler printed just
    // before it returned may still be in the pipe: let both arrive.
    const settled = async () => {
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 5));
    };
    let streaming = false;
    try {
      const result = await pool.invoke(requestId, payload, ctx);
      const stream = result.stream;
      if (stream) {
        // A streamed response: its log tail is known when the stream ends, before its last event.
        streaming = true;
        result.stream = {
          contentType: stream.contentType,
          cancel: () => {
            tails.delete(requestId);
            stream.cancel();
          },
          open: (sink) =>
            stream.open({
              chunk: (bytes) => sink.chunk(bytes),
              end: (failure) =>
                void settled().then(() => {
                  result.logTail = logTail(lines);
                  tails.delete(requestId);
                  sink.end(failure);
                }),
            }),
        };
        return result;
      }
      await settled();
      result.logTail = logTail(lines);
      return result;
    } finally {
      if (!streaming) tails.delete(requestId);
    }
  };

  // Durable functions: an invocation starts an execution, which invokes the function with its
  // checkpoints until it ends (docs/durable-functions.md).
  const durable = new DurableExecutions({
    region,
    accountId: LOCAL_ACCOUNT_ID,
    clock,
    invokeFunction: invokePool,
    invokeTarget: (fn, payload, ctx) => agent.invoke(fn, payload, ctx),
    timeScale: opts.durableTimeScale,
    info: (fields, message) => log.info(fields, message),
    warn: (fields, message) => log.warn(fields, message),
  });

  const agent: Agent = {
    logDir: opts.logDir,
    has: (name) => (applyPending(name), pools.has(name)),
    invoke(name: string, payload: Buffer, ctx: InvokeContext = {}): Promise<InvokeResult> {
      if (!closed && durable.isDurable(name) && pools.has(name)) return durable.invokeSync(name, payload, ctx);
      return invokePool(name, payload, ctx);
    },
    invokeAsync(name, payload, ctx = {}) {
      if (closed) return;
      applyPending(name);
      asyncInvoker.fire(name, payload, {}, 'Event', { requestId: ctx.requestId, traceId: ctx.traceId });
    },
    setFunctions(next: FunctionsFile) {
      if (closed) return;
      file = next;
      referenced.clear();
      for (const [name, pool] of pools) {
        if (!next.functions[name]) {
          pool.remove();
          pools.delete(name);
        }
      }
      const entries = Object.entries(next.functions);
      if (entries.length <= FUNCTIONS_SLICE) {
        pendingFunctions = new Map();
        for (const [name, fc] of entries) applyFunction(name, fc, next);
        setEventSources(next);
        return;
      }
      // Thousands of functions: in slices with the event loop free in between (docs/agent.md);
      // an invoke of a function not reached yet applies it first (invoke above).
      const mine = new Map(entries);
      pendingFunctions = mine;
      return (async () => {
        let sliceStart = performance.now();
        for (const [name, fc] of mine) {
          if (pendingFunctions !== mine || closed) return;
          mine.delete(name);
          applyFunction(name, fc, next);
          if (performance.now() - sliceStart >= SLICE_BUDGET_MS) {
            await nextSlice();
            sliceStart = performance.now();
          }
        }
        setEventSources(next);
      })();
    },

    deliverObjectEvent(event) {
      if (!closed) notifier.deliver(event);
    },

    deliverStreamRecord(record) {
      if (!closed) streams.deliver(record);
    },

    deliverKinesisRecords(records) {
      if (closed) return;
      for (const r of records) kinesis.deliver(r);
      deliveryStreams.deliverKinesis(records);
    },

    deliverBusEvents(events) {
      if (!closed) eventRules.deliver(events);
    },

    deliverTopicMessages(messages) {
      if (!closed) topicSubscriptions.deliver(messages);
    },

    deliverScheduleFirings(firings) {
      if (!closed) deliverScheduleFirings(firingDelivery, firings);
    },

    answerDurableApi(call) {
      return durable.answer(call);
    },

    answerApiCall(api, call) {
      return api === 'firehose' ? deliveryStreams.answer(call) : executions.answer(call);
    },

    stats() {
      const functions: Record<string, FunctionStats> = {};
      for (const [name, pool] of pools) functions[name] = { ...pool.stats(), maxCapacity: pool.cfg.maxCapacity };
      return { runtime: kind, functions, schedules: scheduler?.list() ?? [], streams: streams.list(), kinesis: kinesis.list(), queues: queues.list(), rules: eventRules.list(), subscriptions: topicSubscriptions.list(), stateMachines: executions.list(), deliveryStreams: deliveryStreams.list(), durableFunctions: durable.stats() };
    },
    async close() {
      if (closed || closing) return;
      // Buffered records still reach their functions and buckets (docs/firehose.md).
      closing = true;
      await deliveryStreams.close();
      closed = true;
      scheduler?.close();
      executions.close();
      durable.close();
      streams.close();
      kinesis.close();
      // Long polls end now; batches in flight settle as the pools close (invokes fail: messages stay queued).
      const queuesClosed = queues.close();
      asyncInvoker.close();
      await Promise.all([...pools.values()].map((p) => p.close()));
      await queuesClosed;
      queueSender?.close();
      pools.clear();
      await driver.close();
      await sink.close();
      if (ca?.copyDir) await rm(ca.copyDir, { recursive: true, force: true });
    },
  };

  /** An asynchronous invocation of a durable function: its execution starts, nobody waits for its end. */
  const startDurable = async (fn: string, payload: Buffer, { requestId, traceId }: AsyncInvocationIds): Promise<InvokeResult> => {
    const started = durable.invokeAsync(fn, payload, { traceId });
    if ('error' in started) return errorResult(requestId, 'FunctionError', started.error);
    return { requestId, durationMs: 0, payload: Buffer.from(''), durableExecutionArn: started.arn };
  };

  // Asynchronous, as S3 and EventBridge invoke: nobody waits, a failure is retried.
  // Spent ones go to the function's dead-letter queue or on-failure destination (SQS).
  const sqsEndpoint = endpoints.sqs;
  const kinesisEndpoint = endpoints.kinesis ?? sqsEndpoint;
  const putRecord = kinesisEndpoint ? createKinesisPutter(kinesisEndpoint) : undefined;
  const queueSender = sqsEndpoint ? createSqsClientPort({ endpoint: sqsEndpoint, region, credentials }) : undefined;
  const sendFailure = (f: ExhaustedInvocation, sender: SqsSender, endpoint: string) => {
    for (const target of failureQueuesOf(file.functions[f.functionName])) {
      const url = localQueueUrl(endpoint, target.queue);
      let sent: Promise<void>;
      if (target.kind === 'dlq') {
        const m = deadLetterMessage(f);
        sent = sender.send(url, m.body, m.attributes);
      } else sent = sender.send(url, failureDestinationRecord(f, functionArn(region, f.functionName)));
      sent.catch((err: unknown) => log.warn({ fn: f.functionName, queue: target.queue }, `could not send a failed asynchronous invocation to queue ${target.queue}: ${String(err)}`));
    }
  };
  const asyncInvoker = createAsyncInvoker({
    clock,
    invoke: (fn, payload, ids) => (durable.isDurable(fn) ? startDurable(fn, payload, ids) : agent.invoke(fn, payload, ids)),
    functions: () => file.functions,
    warn: (fields, message) => log.warn(fields, message),
    exhausted: (f) => {
      const onFailure = file.functions[f.functionName]?.async_destinations?.on_failure;
      if (onFailure) sendToDestination(onFailure, failureDestinationRecord(f, functionArn(region, f.functionName)), f.functionName, 'Failure', f.traceId);
      if (failureQueuesOf(file.functions[f.functionName]).length === 0) return;
      if (queueSender && sqsEndpoint) sendFailure(f, queueSender, sqsEndpoint);
      else log.warn({ fn: f.functionName }, `no SQS endpoint is configured (AWS_ENDPOINT_URL_SQS): the failed asynchronous invocation is not sent to its queue`);
    },
    succeeded: (s) => {
      const onSuccess = file.functions[s.functionName]?.async_destinations?.on_success;
      if (onSuccess) sendToDestination(onSuccess, successDestinationRecord(s, functionArn(region, s.functionName)), s.functionName, 'Success', s.traceId);
    },
  });
  const notifier = new S3Notifier({
    region,
    fire: (fn, payload, notification) => {
      log.info({ fn, notification }, 'S3 event');
      asyncInvoker.fire(fn, payload, { notification }, 'S3 event');
    },
    // A bucket's own notifications go where rules' targets go (docs/agent.md "S3 events").
    send: (queue, body, notification) => sendToQueue(queue, body, `S3 notification ${notification}`),
    publish: (topic, message, subject, notification) => {
      log.info({ topic, notification }, `S3 notification ${notification} published to topic ${topic}`);
      publishToTopic(topic, message, undefined, subject);
    },
    putEvents: (events) => void eventRules.deliver(events),
    eventId: () => randomUUID(),
  });

  /** s3:TestEvent to a queue or topic a bucket's notification newly sends to (docs/agent.md "S3 events"). */
  const sendS3TestEvent = (t: NewNotificationTarget) => {
    const body = s3TestEvent(t.bucket, clock.now());
    const what = `S3 notification ${t.notification} of bucket ${t.bucket}`;
    log.info({ notification: t.notification, ...(t.queue !== undefined ? { queue: t.queue } : { topic: t.topic }) }, `${what}: s3:TestEvent to ${t.queue !== undefined ? `queue ${t.queue}` : `topic ${t.topic}`}`);
    if (t.queue !== undefined) sendToQueue(t.queue, body, what);
    else if (t.topic !== undefined) publishToTopic(t.topic, body, undefined, S3_NOTIFICATION_SUBJECT);
  };

  // A message to a queue on behalf of a rule or a subscription (`what` names it in warnings).
  const sendToQueue = (queue: string, body: string, what: string, attributes?: SqsStringAttributes, fifo?: FifoFields, traceHeader?: string) => {
    if (!queueSender || !sqsEndpoint) {
      log.warn({ queue }, `no SQS endpoint is configured (AWS_ENDPOINT_URL_SQS): ${what} cannot send to queue ${queue}`);
      return;
    }
    const url = localQueueUrl(sqsEndpoint, queue);
    const attempt = (n: number): void =>
      void queueSender.send(url, body, attributes, fifo, traceHeader).catch((err: unknown) => {
        // A deploy creates its queues after the agent reads what sends to them: a missing queue is
        // asked again for a while, as SNS and EventBridge retry their deliveries (docs/agent.md).
        if (!closed && isMissingQueue(err) && n + 1 < MISSING_QUEUE_ATTEMPTS) clock.setTimeout(() => attempt(n + 1), 250 * 2 ** n);
        else log.warn({ queue }, `${what} could not send to queue ${queue}: ${String(err)}`);
      });
    attempt(0);
  };

  // State machines: executions run here, their tasks invoke functions in this agent and call the
  // storage's services (docs/step-functions.md).
  const executions: Executions = new Executions({
    region,
    clock,
    runTask: createTaskRunner({
      region,
      credentials,
      endpoints,
      invoke: (fn, payload, ctx) => agent.invoke(fn, payload, ctx),
      invokeAsync: (fn, payload, ctx) => agent.invokeAsync!(fn, payload, ctx),
      executions: () => executions,
    }),
    warn: (fields, message) => log.warn(fields, message),
    info: (fields, message) => log.info(fields, message),
    statusChanged: (event) => void eventRules.deliver([event]),
  });
  // An execution a rule or a schedule starts: nobody waits for it, a refusal is a warning.
  const startExecution = (machine: string, input: string, what: string) => {
    try {
      const e = executions.start(machine, input);
      log.info({ stateMachine: machine, execution: e.name }, `${what} started execution ${e.name} of ${machine}`);
    } catch (err) {
      log.warn({ stateMachine: machine }, `${what} could not start an execution of ${machine}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  // An asynchronous invocation's record to its function's destination (docs/agent.md
  // "Asynchronous invocations"): a queue, a topic's subscriptions, a bus's rules (as Lambda puts
  // it there), or a function invoked asynchronously, one hop further in the chain.
  /** A message esb itself publishes to a topic (a destination, a rule's target, a failed batch): its subscriptions get it. */
  const publishToTopic = (topic: string, message: string, traceId?: string, subject?: string) =>
    topicSubscriptions.deliver([{ topic, messageId: randomUUID(), message, timestamp: new Date(clock.now()).toISOString(), attributes: {}, ...(subject ? { subject } : {}), ...(traceId ? { traceHeader: traceId } : {}) }]);
  /** A line of a log that is not a function's (a log group, an inbox), read the same way: `esb logs <name>`. */
  const writeNamedLog = (name: string, instance: string, message: string, requestId?: string) => sink.write({ time: clock.now(), function: name, instance, requestId, stream: 'stdout', message });

  const sendToDestination = (d: AsyncDestination, record: string, fn: string, outcome: 'Success' | 'Failure', traceId: string) => {
    const what = `the ${outcome === 'Success' ? 'on-success' : 'on-failure'} destination of ${fn}`;
    log.info({ fn, destination: `${d.type}:${d.target}` }, `${what}: ${d.type} ${d.target}`);
    switch (d.type) {
      case 'SQS':
        return sendToQueue(d.target, record, what);
      case 'SNS':
        return publishToTopic(d.target, record, traceId);
      case 'EventBridge': {
        const time = `${new Date(clock.now()).toISOString().slice(0, 19)}Z`;
        const resources = [busArn(d.target, region), `${functionArn(region, fn)}:$LATEST`];
        return void eventRules.deliver([{ bus: d.target, event: { version: '0', id: randomUUID(), 'detail-type': `Lambda Function Invocation Result - ${outcome}`, source: 'lambda', account: LOCAL_ACCOUNT_ID, time, region, resources, detail: JSON.parse(record) as Record<string, unknown> } }]);
      }
      case 'Lambda': {
        const hops = lineageOf(traceId);
        if (hops + 1 >= RECURSION_LIMIT) {
          log.warn({ fn, destination: d.target }, `recursive loop stopped: ${what} comes from a chain of ${RECURSION_LIMIT} invocations; ${d.target} is not invoked`);
          return;
        }
        return asyncInvoker.fire(d.target, Buffer.from(record), { destination: fn }, 'destination', { traceId: withLineage(traceId, hops + 1) });
      }
    }
  };

  // Rules of the buses and subscriptions of the topics: functions invoked asynchronously, as
  // EventBridge and SNS invoke them, or queues sent a message.
  const runGraphql = endpoints.lambda ? createGraphqlCaller({ gateway: endpoints.lambda, region, credentials }) : undefined;
  // OAuth connections' tokens, kept across deliveries (docs/eventbridge.md "API destinations").
  const oauthTokens = new OAuthTokens();
  // API destination deliveries waiting to be tried again (docs/eventbridge.md "Retries and dead-letter queues").
  const waitingDeliveries = { count: 0 };
  // What a rule's or a schedule's target gets, each told who sends (`by`: `rule r`, `schedule g/s`).
  const targetSenders: TargetSenders = {
    fire: (fn, payload, by) => {
      log.info({ fn, by }, `${by}: invoking ${fn}`);
      asyncInvoker.fire(fn, payload, { by }, by);
    },
    send: (queue, body, by, fifo) => sendToQueue(queue, body, by, undefined, fifo),
    start: (machine, input, by) => startExecution(machine, input, by),
    putDelivery: (deliveryStream, data, by) => deliveryStreams.put(deliveryStream, [Buffer.from(data)], by),
    graphql: (api, operation, variables, by) => {
      if (!runGraphql) return log.warn({ api, by }, `no gateway is known to the agent (AWS_ENDPOINT_URL_LAMBDA): ${by} cannot run its AppSync operation`);
      void runGraphql(api, operation, variables).then((outcome) => {
        if (!outcome.ok) log.warn({ api, by }, `${by}: AppSync API ${api}: ${outcome.reason}`);
        else if (outcome.errors) log.warn({ api, by, errors: outcome.errors }, `${by}: AppSync API ${api} answered with errors: ${JSON.stringify(outcome.errors).slice(0, 500)}`);
      });
    },
    publish: (topic, message, by) => {
      log.info({ topic, by }, `${by} published to topic ${topic}`);
      publishToTopic(topic, message);
    },
    log: (logGroup, line) => writeNamedLog(logGroup, 'events', line),
    call: (http, body, by, policy) => {
      const where = `API destination ${http.name} (${http.method} ${http.url})`;
      deliverWithRetries(
        () =>
          callApiDestination(http, body, { tokens: oauthTokens }).then(
            (status): DeliveryOutcome => {
              const ok = status >= 200 && status < 300;
              if (ok) log.info({ destination: http.name, status, by }, `${by} sent to API destination ${http.name}: ${status}`);
              return { ok, status, retryable: status === 429 || status >= 500 };
            },
            (err: unknown): DeliveryOutcome => ({ ok: false, error: `could not reach it: ${err instanceof Error ? err.message : String(err)}`, retryable: true }),
          ),
        body,
        policy,
        {
          clock,
          waiting: waitingDeliveries,
          deadLetter: (queue, text, attributes) => sendToQueue(queue, text, `${by}'s dead-letter queue`, attributes),
          failed: (reason, retried) => log.warn({ destination: http.name, by }, `${by}: ${where}: ${reason}${retried ? '; tried again (RetryPolicy)' : ''}`),
          given: (reason, queue) => log.warn({ destination: http.name, by }, `${by}: ${where}: given up (${reason}), ${queue ? `sent to dead-letter queue ${queue}` : 'dropped'}`),
        },
      );
    },
    put: (stream, data, partitionKey, by) => {
      if (!putRecord) return log.warn({ stream }, `no Kinesis endpoint is configured (AWS_ENDPOINT_URL_SQS): ${by} cannot put to stream ${stream}`);
      putRecord(stream, data, partitionKey).catch((err: unknown) => log.warn({ stream, by }, `${by} could not put a record to stream ${stream}: ${err instanceof Error ? err.message : String(err)}`));
    },
  };
  const eventRules = new EventRules({ region, ...targetSenders, info: (fields, message) => log.info(fields, message) });
  // EventBridge Scheduler's firings go to the same targets (a bus target: through its rules).
  const firingDelivery = { region, senders: targetSenders, putEvents: (events: BusEvent[]) => void eventRules.deliver(events), warn: (fields: Record<string, unknown>, message: string) => log.warn(fields, message) };
  const topicSubscriptions = new TopicSubscriptions({
    region,
    fire: (fn, payload, subscription, traceId) => {
      log.info({ fn, subscription }, 'SNS message');
      asyncInvoker.fire(fn, payload, { subscription }, 'SNS message', { traceId });
    },
    send: (queue, body, subscription, attributes, fifo, traceHeader) => sendToQueue(queue, body, `subscription ${subscription}`, attributes, fifo, traceHeader),
    warn: (fields, message) => log.warn(fields, message),
    info: (fields, message) => log.info(fields, message),
    put: (stream, data, subscription) => deliveryStreams.put(stream, [data], `subscription ${subscription}`),
    inbox: (inbox, text, messageId) => writeNamedLog(inbox, 'sns', text, messageId),
  });

  // Firehose delivery streams: buffered here, transformed by their functions, written to S3 (docs/firehose.md).
  const deliveryStreams = new DeliveryStreams({
    region,
    clock,
    invoke: (fn, payload) => agent.invoke(fn, payload),
    functionArn: (fn) => functionArn(region, fn),
    ...(endpoints.s3 ? { putObject: createS3ObjectWriter({ endpoint: endpoints.s3, region, credentials }) } : {}),
    // HTTP endpoint destinations: Firehose waits up to 3 minutes for an answer.
    post: async (url, headers, body) => {
      const res = await fetch(url, { method: 'POST', headers, body: new Uint8Array(body), signal: AbortSignal.timeout(180_000) });
      return { status: res.status, body: await res.text() };
    },
    warn: (fields, message) => log.warn(fields, message),
    error: (fields, message) => log.error(fields, message),
    info: (fields, message) => log.info(fields, message),
  });

  // Batches in order, one at a time per shard, as Lambda reads a stream's shards; a batch given
  // up on is described to the mapping's on-failure queue or topic.
  const streamDelivery: StreamDeliveryOptions = {
    region,
    clock,
    invoke: (fn, payload) => agent.invoke(fn, payload),
    sendFailure: (d: StreamFailureDestination, record: string, fn: string) => {
      const what = `the on-failure destination of ${fn}'s stream mapping`;
      if (d.type === 'SQS') return sendToQueue(d.target, record, what);
      publishToTopic(d.target, record);
    },
    functionArn: (fn) => functionArn(region, fn),
    warn: (fields, message) => log.warn(fields, message),
    info: (fields, message) => log.info(fields, message),
  };
  const streams = new StreamDelivery(dynamodbStreams, streamDelivery);
  const kinesis = new StreamDelivery(kinesisStreams, streamDelivery);

  // Polled as Lambda polls a queue: batches deleted when the function took them (docs/agent.md, "SQS queues").
  const queues = new SqsDelivery({
    endpoint: endpoints.sqs,
    region,
    credentials,
    clock,
    defaultMaxCapacity: AGENT_DEFAULTS.maxCapacity,
    invoke: (fn, payload, traceId) => agent.invoke(fn, payload, traceId ? { traceId } : {}),
    warn: (fields, message) => log.warn(fields, message),
    info: (fields, message) => log.info(fields, message),
  });

  const scheduler =
    opts.schedules === false
      ? undefined
      : new Scheduler({
          clock,
          region,
          warn: (m) => log.warn(m),
          fire: (fn, payload, rule) => {
            log.info({ fn, rule }, 'schedule fired');
            asyncInvoker.fire(fn, payload, { rule }, 'scheduled');
          },
          start: (machine, input, rule) => startExecution(machine, input, `schedule ${rule}`),
          sendRule: (rule, event) => {
            log.info({ rule: rule.name }, `scheduled rule ${rule.name} fired`);
            eventRules.sendToTargets(rule, event);
          },
        });
  return agent;
}
