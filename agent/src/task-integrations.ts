// What a Task state of a state machine does (docs/step-functions.md "Tasks"): its Resource names a
// Lambda function or a service integration, which esb runs against its own parts: functions are
// invoked in the agent, `states:startExecution` starts an execution here, and the other services
// (DynamoDB, SQS, SNS, EventBridge, S3) are called with the AWS SDK on esb's endpoints. The
// `.waitForTaskToken` suffix waits for SendTaskSuccess / SendTaskFailure; `.sync` waits for a
// child execution's end. What esb does not run fails the task with a message saying so.
import { NodeSha256, rebaseQueueUrl, stateMachineNameOf, type Credentials, type InvokeResult } from '@esb/contracts';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Execution, Executions } from './executions.js';
import { parseTaskResource, StatesError, type TaskCall } from '@esb/states';

export interface TaskRunnerOptions {
  region: string;
  credentials: Credentials;
  endpoints: { dynamodb?: string; s3?: string; sqs?: string; eventbridge?: string; sns?: string; lambda?: string; kinesis?: string; firehose?: string };
  invoke(functionName: string, payload: Buffer, ctx: { traceId?: string; signal: AbortSignal }): Promise<InvokeResult>;
  /** InvocationType Event: queued on the agent's asynchronous invoker (retries, destinations). */
  invokeAsync(functionName: string, payload: Buffer, ctx: { traceId?: string }): void;
  executions(): Executions;
}

/** An AWS SDK client esb can call: its package, client class, endpoint, and how Step Functions prefixes its errors (aws-sdk form, optimized form). */
interface SdkService {
  module: string;
  client: string;
  endpoint: keyof TaskRunnerOptions['endpoints'];
  errorPrefix: string;
  optimizedPrefix: string;
}

const SDK_SERVICES: Record<string, SdkService> = {
  dynamodb: { module: '@aws-sdk/client-dynamodb', client: 'DynamoDBClient', endpoint: 'dynamodb', errorPrefix: 'DynamoDb', optimizedPrefix: 'DynamoDB' },
  sqs: { module: '@aws-sdk/client-sqs', client: 'SQSClient', endpoint: 'sqs', errorPrefix: 'Sqs', optimizedPrefix: 'SQS' },
  sns: { module: '@aws-sdk/client-sns', client: 'SNSClient', endpoint: 'sns', errorPrefix: 'Sns', optimizedPrefix: 'SNS' },
  eventbridge: { module: '@aws-sdk/client-eventbridge', client: 'EventBridgeClient', endpoint: 'eventbridge', errorPrefix: 'EventBridge', optimizedPrefix: 'EventBridge' },
  s3: { module: '@aws-sdk/client-s3', client: 'S3Client', endpoint: 's3', errorPrefix: 'S3', optimizedPrefix: 'S3' },
  lambda: { module: '@aws-sdk/client-lambda', client: 'LambdaClient', endpoint: 'lambda', errorPrefix: 'Lambda', optimizedPrefix: 'Lambda' },
  kinesis: { module: '@aws-sdk/client-kinesis', client: 'KinesisClient', endpoint: 'kinesis', errorPrefix: 'Kinesis', optimizedPrefix: 'Kinesis' },
  firehose: { module: '@aws-sdk/client-firehose', client: 'FirehoseClient', endpoint: 'firehose', errorPrefix: 'Firehose', optimizedPrefix: 'Firehose' },
};

/** The Task runner an execution uses. */
export function createTaskRunner(o: TaskRunnerOptions): (call: TaskCall, execution: Execution) => Promise<unknown> {
  /** A service's SDK module and one client of it on esb's endpoint, made on first use. */
  const sdks = new Map<string, Promise<{ mod: Record<string, unknown>; client: SdkClient }>>();
  const sdkOf = (service: SdkService) => {
    let sdk = sdks.get(service.client);
    if (!sdk) {
      const endpoint = o.endpoints[service.endpoint] ?? (service.endpoint === 'eventbridge' || service.endpoint === 'sns' || service.endpoint === 'kinesis' || service.endpoint === 'firehose' ? o.endpoints.sqs : undefined);
      sdk = import(service.module).then((mod: Record<string, unknown>) => {
        if (!endpoint) throw new StatesError('States.TaskFailed', `no ${service.endpoint} endpoint is configured for the agent (AWS_ENDPOINT_URL_${service.endpoint.toUpperCase()})`);
        const Client = mod[service.client] as new (cfg: unknown) => SdkClient;
        return { mod, client: new Client({ endpoint, region: o.region, credentials: o.credentials, maxAttempts: 1, ...(service.endpoint === 's3' ? { forcePathStyle: true } : {}) }) };
      });
      sdks.set(service.client, sdk);
      sdk.catch(() => sdks.delete(service.client));
    }
    return sdk;
  };

  const sdkCall = async (serviceName: string, action: string, params: unknown, optimized: boolean, signal: AbortSignal): Promise<unknown> => {
    const service = SDK_SERVICES[serviceName];
    const { mod, client } = await sdkOf(service);
    const Command = mod[`${action[0].toUpperCase()}${action.slice(1)}Command`] as (new (input: unknown) => unknown) | undefined;
    if (typeof Command !== 'function') throw new StatesError('States.TaskFailed', `the ${serviceName} service has no action ${action}`);
    let output: Record<string, unknown>;
    try {
      output = await client.send(new Command(sdkInput(serviceName, action, params, o.endpoints.sqs, optimized)), { abortSignal: signal });
    } catch (err) {
      if (err instanceof StatesError) throw err;
      const e = err as { name?: string; message?: string };
      throw new StatesError(`${optimized ? service.optimizedPrefix : service.errorPrefix}.${e.name ?? 'Exception'}`, e.message ?? String(err));
    }
    const { $metadata: _metadata, ...rest } = output;
    if (serviceName === 'eventbridge' && optimized && typeof rest.FailedEntryCount === 'number' && rest.FailedEntryCount > 0) {
      throw new StatesError('EventBridge.FailedEntry', JSON.stringify(rest));
    }
    return plainOutput(rest);
  };

  const invokeFunction = async (functionName: string, payload: unknown, execution: Execution, signal: AbortSignal): Promise<{ result: InvokeResult; text: string }> => {
    const result = await o.invoke(functionName, Buffer.from(payloadText(payload)), { ...(execution.traceHeader ? { traceId: execution.traceHeader } : {}), signal });
    const text = result.payload.toString('utf8');
    if (result.error) throw functionError(result, text);
    return { result, text };
  };

  const perform = async (call: TaskCall, execution: Execution, resource: ReturnType<typeof parseTaskResource>): Promise<unknown> => {
    const params = (call.input ?? {}) as Record<string, unknown>;
    let result: unknown;
    switch (resource.kind) {
      case 'unsupported':
        throw new StatesError('States.TaskFailed', `${resource.why} (docs/step-functions.md "Tasks")`);
      case 'function': {
        const { text } = await invokeFunction(resource.functionName, call.input, execution, call.signal);
        return parseJson(text);
      }
      case 'lambda-invoke': {
        const name = functionNameOf(params.FunctionName);
        if (params.InvocationType === 'Event') {
          o.invokeAsync(name, Buffer.from(payloadText(params.Payload)), execution.traceHeader ? { traceId: execution.traceHeader } : {});
          result = { ExecutedVersion: '$LATEST', Payload: '', StatusCode: 202 };
        } else {
          const { result: r, text } = await invokeFunction(name, params.Payload, execution, call.signal);
          result = { ExecutedVersion: '$LATEST', Payload: parseJson(text), SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: r.requestId }, StatusCode: 200 };
        }
        break;
      }
      case 'start-execution': {
        const executions = o.executions();
        const machine = stateMachineNameOf(String(params.StateMachineArn ?? ''));
        if (machine === undefined) throw new StatesError('StepFunctions.InvalidArnException', `Invalid Arn: '${String(params.StateMachineArn)}'`);
        const input = params.Input === undefined ? '{}' : typeof params.Input === 'string' ? params.Input : JSON.stringify(params.Input);
        let child: Execution;
        try {
          child = executions.start(machine, input, { ...(typeof params.Name === 'string' ? { name: params.Name } : {}), ...(execution.traceHeader ? { traceHeader: execution.traceHeader } : {}) });
        } catch (err) {
          const code = (err as { code?: string }).code ?? 'Exception';
          throw new StatesError(`StepFunctions.${code.endsWith('Exception') ? code : `${code}Exception`}`, (err as Error).message);
        }
        if (resource.pattern !== 'sync' && resource.pattern !== 'sync2') {
          result = { ExecutionArn: child.arn, StartDate: new Date(child.startDate).toISOString() };
          break;
        }
        // The parent stopped (or timed out): so is the child.
        const onStop = () => child.stop.abort();
        call.signal.addEventListener('abort', onStop, { once: true });
        await child.done;
        call.signal.removeEventListener('abort', onStop);
        const out = capitalised(executions.describe(child));
        if (child.status !== 'SUCCEEDED') throw new StatesError('States.TaskFailed', JSON.stringify(out));
        if (resource.pattern === 'sync2' && typeof out.Output === 'string') out.Output = parseJson(out.Output);
        return out;
      }
      case 'sdk':
        result = await sdkCall(resource.service, resource.action, params, resource.optimized, call.signal);
        break;
      case 'apigateway-invoke':
        result = await invokeApi(params, o.endpoints.lambda, params.AuthType === 'IAM_ROLE' ? { region: o.region, credentials: o.credentials } : undefined, call.signal);
        break;
    }
    return result;
  };

  return async (call, execution) => {
    const resource = parseTaskResource(call.resource);
    if (!('pattern' in resource) || resource.pattern !== 'token') return perform(call, execution, resource);
    // The token is good from the moment the task starts: the function it invokes (or whoever reads
    // the message it sends) may call SendTaskSuccess before the call itself returns.
    const callFailed = new AbortController();
    const callback = o.executions().waitForToken(call.taskToken, call.heartbeatSeconds, AbortSignal.any([call.signal, callFailed.signal]));
    callback.catch(() => {}); // settled below, or moot when the call fails
    try {
      await perform(call, execution, resource);
    } catch (err) {
      callFailed.abort();
      throw err;
    }
    return callback;
  };
}

type SdkClient = { send(command: unknown, opts: { abortSignal: AbortSignal }): Promise<Record<string, unknown>> };

/** An API Gateway host: its APIs are the gateway's. */
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/i;
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

/**
 * `apigateway:invoke`: the request the task describes (ApiEndpoint, Method, Stage, Path,
 * QueryParameters, Headers, RequestBody), sent to the gateway when ApiEndpoint is an API
 * Gateway host. The gateway serves routes without the stage in the path, the WebSocket
 * Management API with it (docs/gateway.md). A status outside 2xx fails the task with
 * `ApiGateway.<status>`.
 */
async function invokeApi(params: Record<string, unknown>, gateway: string | undefined, signing: { region: string; credentials: Credentials } | undefined, signal: AbortSignal): Promise<unknown> {
  const endpoint = typeof params.ApiEndpoint === 'string' ? params.ApiEndpoint.replace(/^https?:\/\//, '').replace(/\/+$/, '') : '';
  if (!endpoint) throw new StatesError('States.TaskFailed', 'ApiEndpoint is required');
  const method = String(params.Method ?? '').toUpperCase();
  if (!METHODS.has(method)) throw new StatesError('States.TaskFailed', `Method ${JSON.stringify(params.Method)} is not an HTTP method`);
  const stage = typeof params.Stage === 'string' && params.Stage !== '' && params.Stage !== '$default' ? `/${params.Stage}` : '';
  const path = typeof params.Path === 'string' ? (params.Path.startsWith('/') ? params.Path : `/${params.Path}`) : '';
  let base: string;
  if (EXECUTE_API_HOST.test(endpoint)) {
    if (!gateway) throw new StatesError('States.TaskFailed', 'no gateway is known to the agent (AWS_ENDPOINT_URL_LAMBDA)');
    base = `${gateway.replace(/\/+$/, '')}${path.startsWith('/@connections/') ? stage : ''}`;
  } else base = `https://${endpoint}${stage}`;
  const url = new URL(`${base}${path}`);
  for (const [name, values] of Object.entries((params.QueryParameters ?? {}) as Record<string, unknown>)) {
    for (const v of Array.isArray(values) ? values : [values]) url.searchParams.append(name, String(v));
  }
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries((params.Headers ?? {}) as Record<string, unknown>)) headers[name] = (Array.isArray(values) ? values : [values]).map(String).join(',');
  let body: string | undefined;
  if (params.RequestBody !== undefined && method !== 'GET' && method !== 'HEAD') {
    body = typeof params.RequestBody === 'string' ? params.RequestBody : JSON.stringify(params.RequestBody);
    headers['content-type'] ??= 'application/json';
  }
  if (signing) {
    // AuthType IAM_ROLE: signed as the SDKs sign for execute-api (the gateway checks it beyond loopback).
    const signer = new SignatureV4({ credentials: signing.credentials, region: signing.region, service: 'execute-api', sha256: NodeSha256 });
    const query: Record<string, string[]> = {};
    url.searchParams.forEach((v, k) => (query[k] ??= []).push(v));
    const signed = await signer.sign({ method, protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query, headers: { ...headers, host: url.host }, body });
    Object.assign(headers, signed.headers);
    delete headers.host;
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body, signal });
  } catch (err) {
    throw new StatesError('States.TaskFailed', `${method} ${url.href}: ${(err as Error).message}`);
  }
  const text = await res.text();
  const answerHeaders: Record<string, string[]> = {};
  res.headers.forEach((value, name) => (answerHeaders[name] = [value]));
  const json = /json/i.test(res.headers.get('content-type') ?? '');
  let responseBody: unknown = text;
  if (json && text) {
    try {
      responseBody = JSON.parse(text);
    } catch {
      responseBody = text;
    }
  }
  const out = { Headers: answerHeaders, ResponseBody: responseBody, StatusCode: res.status, StatusText: res.statusText };
  if (res.status < 200 || res.status > 299) throw new StatesError(`ApiGateway.${res.status}`, JSON.stringify(out));
  return out;
}

/** A Lambda payload as text: a state may give it as JSON. */
function payloadText(payload: unknown): string {
  return payload === undefined ? '{}' : typeof payload === 'string' ? payload : JSON.stringify(payload);
}

/** A function's name from FunctionName: a name, a full or partial ARN, with or without a version. */
export function functionNameOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new StatesError('Lambda.InvalidParameterValueException', 'FunctionName is required');
  const arn = /^(?:arn:aws[a-z-]*:lambda:[a-z0-9-]*:\d{12}:function:|\d{12}:function:)?([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/.exec(value);
  if (!arn) throw new StatesError('Lambda.InvalidParameterValueException', `FunctionName ${JSON.stringify(value.slice(0, 200))} is not a function name or ARN`);
  return arn[1];
}

/** A failed invocation as Step Functions reports it: the function's errorType, its error document as Cause. */
function functionError(result: InvokeResult, text: string): StatesError {
  const kind = result.error!.kind;
  if (kind === 'UnknownFunction') return new StatesError('Lambda.ResourceNotFoundException', result.error!.message);
  if (kind === 'Throttled') return new StatesError('Lambda.TooManyRequestsException', result.error!.message);
  if (kind === 'Unavailable') return new StatesError('Lambda.ServiceException', result.error!.message);
  let errorType: unknown;
  try {
    errorType = (JSON.parse(text) as { errorType?: unknown }).errorType;
  } catch {
    errorType = undefined;
  }
  const fallback = kind === 'Timeout' ? 'Sandbox.Timedout' : 'Lambda.Unknown';
  return new StatesError(typeof errorType === 'string' && errorType !== '' ? errorType : fallback, text || result.error!.message);
}

/** What the SDK takes: texts Step Functions lets a state give as JSON (a message body, an event's detail) made text, queue URLs made local. */
function sdkInput(service: string, action: string, params: unknown, sqsEndpoint: string | undefined, optimized: boolean): unknown {
  const p = { ...((params ?? {}) as Record<string, unknown>) };
  const asText = (v: unknown) => (v === undefined || typeof v === 'string' ? v : JSON.stringify(v));
  if (service === 'sqs') {
    if (typeof p.QueueUrl === 'string' && sqsEndpoint) p.QueueUrl = rebaseQueueUrl(p.QueueUrl, sqsEndpoint);
    if (action === 'sendMessage') p.MessageBody = asText(p.MessageBody);
  }
  if (service === 'sns' && action === 'publish') p.Message = asText(p.Message);
  if (service === 'eventbridge' && action === 'putEvents' && Array.isArray(p.Entries)) p.Entries = p.Entries.map((e: Record<string, unknown>) => ({ ...e, Detail: asText(e.Detail) }));
  if (service === 's3' && action === 'putObject') p.Body = asText(p.Body);
  // The optimized DynamoDB integration reads attribute values with Step Functions' Java SDK, which
  // takes a bare text as a string attribute (docs/step-functions.md, "Tasks"): `id.$: $.id` stores {S: id}.
  if (service === 'dynamodb' && optimized) for (const field of ['Item', 'Key', 'ExpressionAttributeValues']) if (p[field] && typeof p[field] === 'object') p[field] = textsAsStrings(p[field] as Record<string, unknown>);
  // A record's data is bytes to the SDK: a state gives text, or JSON written out as text.
  const asBytes = (v: unknown) => (v === undefined ? v : Buffer.from(asText(v)!));
  if (service === 'kinesis' && action === 'putRecord') p.Data = asBytes(p.Data);
  if ((service === 'kinesis' && action === 'putRecords') || (service === 'firehose' && action === 'putRecordBatch')) {
    if (Array.isArray(p.Records)) p.Records = p.Records.map((r: Record<string, unknown>) => ({ ...r, Data: asBytes(r.Data) }));
  }
  if (service === 'firehose' && action === 'putRecord' && p.Record && typeof p.Record === 'object') p.Record = { ...(p.Record as Record<string, unknown>), Data: asBytes((p.Record as Record<string, unknown>).Data) };
  return p;
}

/** A map of attribute values with each bare text written as a string attribute. */
function textsAsStrings(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? { S: v } : v]));
}

/** SDK output as a state gets it: streams read as text, bytes as base64, dates as ISO text. */
async function plainOutputAsync(value: unknown): Promise<unknown> {
  if (value && typeof value === 'object' && typeof (value as { transformToString?: unknown }).transformToString === 'function') return (value as { transformToString(): Promise<string> }).transformToString();
  return value;
}

async function plainOutput(output: Record<string, unknown>): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(output)) out[k] = await plainOutputAsync(v);
  return JSON.parse(JSON.stringify(out, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)));
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** DescribeExecution's fields as `.sync` gives them: capitalised (ExecutionArn, Output, ...). */
function capitalised(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [`${k[0].toUpperCase()}${k.slice(1)}`, v]));
}
