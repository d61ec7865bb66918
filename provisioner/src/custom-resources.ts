// Lambda-backed custom resources (docs/provisioner.md "Custom resources"): the function the
// ServiceToken names is invoked through the Lambda Invoke API with CloudFormation's request, and
// answers by a PUT to the request's ResponseURL, a presigned URL of the storage's S3. What a
// resource last answered, with the properties it answered for, is kept in the same bucket: a
// deploy with the same properties invokes nothing, changed ones send Update, and a storage that
// was wiped (its tables gone too) creates again.
import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256, canonicalJson, customResourceParameter, resolveCustomResourceReferences, type Credentials, type CustomResource } from '@esb/contracts';
import { CustomResourceError, ProvisionError, errorText } from './errors.js';
import { withRetry, type RetryPolicy, type Sleep } from './retry.js';

/** The bucket that holds the answers and what each custom resource last answered. */
export const CUSTOM_RESOURCE_BUCKET = 'esb-custom-resources';
/** CloudFormation refuses an answer over 4096 bytes. */
export const MAX_RESPONSE_BYTES = 4096;
/** CloudFormation's default wait for an answer. */
const DEFAULT_SERVICE_TIMEOUT_S = 3600;
/** How long after the function returned its answer may still arrive (a sender that does not wait for its PUT). */
const LATE_ANSWER_MS = 10_000;
/** How long a function that is not loaded yet (the serving side reloads after the apply) is asked for again. */
const NOT_LOADED_MS = 20_000;

export type CustomResourceStatus = 'created' | 'updated' | 'exists';

export interface CustomResourceOutcome {
  name: string;
  status: CustomResourceStatus;
  physicalResourceId: string;
  /** What the function answered in Data (what !GetAtt of the resource reads). */
  data: Record<string, unknown>;
}

export interface CustomResourceContext {
  s3: S3Client;
  s3Endpoint: string;
  /** The storage's SSM, where each answer's PhysicalResourceId and Data attributes are written. */
  ssm: SSMClient;
  ssmEndpoint: string;
  /** The S3 endpoint as the functions reach it (containers: not the host's loopback). */
  responseEndpoint: string;
  lambdaEndpoint: string;
  lambdaCredentials: Credentials;
  credentials: Credentials;
  region: string;
  retry: RetryPolicy;
  sleep: Sleep;
  signal?: AbortSignal;
  /** provision's failure: names the resource and the endpoint, counts the attempts, keeps an abort an abort. */
  fail(resource: string, endpoint: string, err: unknown): never;
  info(message: string): void;
  warn(message: string): void;
}

/** What is kept per resource: what it last answered, and for which properties. */
interface KeptAnswer {
  properties: Record<string, unknown>;
  physicalResourceId: string;
  data: Record<string, unknown>;
}

/** An answer as CloudFormation reads it from the ResponseURL. */
interface Answer {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  Data: Record<string, unknown>;
}

/** Runs the custom resources one after the other, in the order given (creation order). */
export async function runCustomResources(resources: readonly CustomResource[], ctx: CustomResourceContext): Promise<CustomResourceOutcome[]> {
  const lambda = new LambdaClient({
    region: ctx.region,
    credentials: { ...ctx.lambdaCredentials },
    endpoint: ctx.lambdaEndpoint,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: (DEFAULT_SERVICE_TIMEOUT_S + 60) * 1000 },
  });
  try {
    await storeCall(ctx, `bucket "${CUSTOM_RESOURCE_BUCKET}"`, ctx.s3Endpoint, () =>
      ctx.s3.send(new CreateBucketCommand({ Bucket: CUSTOM_RESOURCE_BUCKET }), { abortSignal: ctx.signal }).catch((err: { name?: string }) => {
        if (err?.name !== 'BucketAlreadyOwnedByYou' && err?.name !== 'BucketAlreadyExists') throw err;
      }),
    );
    const outcomes: CustomResourceOutcome[] = [];
    // What the ones already run answered: a later one's properties may name it.
    const answered = new Map<string, string>();
    for (const declared of resources) {
      const resource = { ...declared, Properties: withAnswers(declared.Properties, answered) as Record<string, unknown> };
      const outcome = await runOne(resource, ctx, lambda);
      const values = answerParameters(resource, outcome);
      for (const [parameter, value] of values) answered.set(parameter, value);
      await publishAnswer(resource, outcome, values, ctx);
      outcomes.push(outcome);
    }
    return outcomes;
  } finally {
    lambda.destroy();
  }
}

/** Properties with the references to earlier answers replaced by their values. */
function withAnswers(value: unknown, answered: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return resolveCustomResourceReferences(value, (parameter) => answered.get(parameter));
  if (Array.isArray(value)) return value.map((v) => withAnswers(v, answered));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withAnswers(v, answered)]));
  return value;
}

/** The SSM parameters an answer is read through, with their values (Data values that are not text as JSON). */
function answerParameters(resource: CustomResource, outcome: CustomResourceOutcome): Map<string, string> {
  const [stack] = resource.Name.split('/');
  const out = new Map<string, string>();
  const id = customResourceParameter(stack, resource.LogicalResourceId);
  if (id) out.set(id, outcome.physicalResourceId);
  for (const [attr, v] of Object.entries(outcome.data)) {
    const parameter = customResourceParameter(stack, resource.LogicalResourceId, attr);
    if (parameter) out.set(parameter, typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

/**
 * Writes an answer's parameters: after an invocation, or when the PhysicalResourceId's
 * parameter is missing (a storage whose SSM was wiped). SSM takes no empty value: such an
 * attribute is said and left out.
 */
async function publishAnswer(resource: CustomResource, outcome: CustomResourceOutcome, values: ReadonlyMap<string, string>, ctx: CustomResourceContext): Promise<void> {
  const call = <T>(fn: () => Promise<T>) => storeCall(ctx, `${what(resource)}: its answer's parameters`, ctx.ssmEndpoint, fn);
  if (outcome.status === 'exists') {
    const first = values.keys().next().value;
    const present = first === undefined || (await call(() => ctx.ssm.send(new GetParameterCommand({ Name: first }), { abortSignal: ctx.signal }).then(() => true, (err: { name?: string }) => (err?.name === 'ParameterNotFound' ? false : Promise.reject(err)))));
    if (present) return;
  }
  for (const [name, value] of values) {
    if (value === '') {
      ctx.warn(`${what(resource)}: ${name.slice(name.lastIndexOf('/') + 1)} is empty; SSM keeps no empty value, so what reads it is not resolved`);
      continue;
    }
    await call(() => ctx.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true, ...(Buffer.byteLength(value) > 4096 ? { Tier: 'Advanced' } : {}) }), { abortSignal: ctx.signal }));
  }
}

function what(r: CustomResource): string {
  return `custom resource "${r.Name}" (${r.ResourceType})`;
}

async function runOne(resource: CustomResource, ctx: CustomResourceContext, lambda: LambdaClient): Promise<CustomResourceOutcome> {
  const stateKey = `state/${resource.Name}.json`;
  const kept = await readKept(ctx, resource, stateKey);
  if (kept && canonicalJson(kept.properties) === canonicalJson(resource.Properties)) {
    return { name: resource.Name, status: 'exists', physicalResourceId: kept.physicalResourceId, data: kept.data };
  }
  const requestId = randomUUID();
  const answerKey = `responses/${requestId}`;
  const request = {
    RequestType: kept ? 'Update' : 'Create',
    ServiceToken: resource.Properties.ServiceToken,
    ResponseURL: await presignedPut(ctx, answerKey, resource.ServiceTimeout ?? DEFAULT_SERVICE_TIMEOUT_S),
    StackId: resource.StackId,
    RequestId: requestId,
    LogicalResourceId: resource.LogicalResourceId,
    ResourceType: resource.ResourceType,
    ...(kept ? { PhysicalResourceId: kept.physicalResourceId } : {}),
    ResourceProperties: resource.Properties,
    ...(kept ? { OldResourceProperties: kept.properties } : {}),
  };
  ctx.info(`${what(resource)}: ${request.RequestType} -> function ${resource.FunctionName}`);
  const failure = await invoke(resource, ctx, lambda, request);
  const answer = await awaitAnswer(resource, ctx, answerKey, failure);
  if (answer.Status === 'FAILED') throw new CustomResourceError(what(resource), ctx.lambdaEndpoint, `the function answered FAILED: ${answer.Reason || '(no reason given)'}`);
  const state: KeptAnswer = { properties: resource.Properties, physicalResourceId: answer.PhysicalResourceId, data: answer.Data };
  await storeCall(ctx, what(resource), ctx.s3Endpoint, () =>
    ctx.s3.send(new PutObjectCommand({ Bucket: CUSTOM_RESOURCE_BUCKET, Key: stateKey, Body: JSON.stringify(state), ContentType: 'application/json' }), { abortSignal: ctx.signal }),
  );
  return { name: resource.Name, status: kept ? 'updated' : 'created', physicalResourceId: answer.PhysicalResourceId, data: answer.Data };
}

/** A storage call, retried while the storage is starting; a failure is provision's (the resource, the endpoint, the attempts). */
async function storeCall<T>(ctx: CustomResourceContext, resource: string, endpoint: string, call: () => Promise<T>): Promise<T> {
  try {
    return await withRetry(call, ctx.retry, { sleep: ctx.sleep, signal: ctx.signal });
  } catch (err) {
    return ctx.fail(resource, endpoint, err);
  }
}

/** An object of the bucket, or undefined when there is none. */
async function objectOf(ctx: CustomResourceContext, resource: CustomResource, key: string): Promise<GetObjectCommandOutput | undefined> {
  return storeCall(ctx, what(resource), ctx.s3Endpoint, () =>
    ctx.s3.send(new GetObjectCommand({ Bucket: CUSTOM_RESOURCE_BUCKET, Key: key }), { abortSignal: ctx.signal }).catch((err: { name?: string }) => (err?.name === 'NoSuchKey' ? undefined : Promise.reject(err))),
  );
}

async function readKept(ctx: CustomResourceContext, resource: CustomResource, key: string): Promise<KeptAnswer | undefined> {
  const text = await (await objectOf(ctx, resource, key))?.Body?.transformToString();
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as KeptAnswer;
    if (parsed && typeof parsed.physicalResourceId === 'string' && parsed.properties && typeof parsed.properties === 'object') return { ...parsed, data: parsed.data ?? {} };
  } catch {
    /* unreadable: run Create again, as for a wiped storage */
  }
  return undefined;
}

/** A PUT URL for the answer, signed as S3 signs query-string requests (any S3 server takes it). */
async function presignedPut(ctx: CustomResourceContext, key: string, timeoutS: number): Promise<string> {
  const base = new URL(ctx.responseEndpoint);
  const signer = new SignatureV4({ credentials: ctx.credentials, region: ctx.region, service: 's3', sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
  const prefix = base.pathname.replace(/\/$/, '');
  const signed = await signer.presign(
    {
      method: 'PUT',
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port ? { port: Number(base.port) } : {}),
      path: `${prefix}/${CUSTOM_RESOURCE_BUCKET}/${key}`,
      headers: { host: base.host },
      query: {},
    },
    // S3 caps presigned URLs at 7 days; the answer is due within the service timeout.
    { expiresIn: Math.min(7 * 24 * 3600, timeoutS + 3600), unsignableHeaders: new Set(['content-type']) },
  );
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  return `${base.protocol}//${base.host}${signed.path}?${query}`;
}

/** Invokes the function and waits for it to return; gives what it failed with, if it did. */
async function invoke(resource: CustomResource, ctx: CustomResourceContext, lambda: LambdaClient, request: object): Promise<string | undefined> {
  // Counted in the waits taken (the injected sleep), not the clock.
  let waited = 0;
  const timeoutS = resource.ServiceTimeout ?? DEFAULT_SERVICE_TIMEOUT_S;
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutS * 1000)]) : AbortSignal.timeout(timeoutS * 1000);
  for (;;) {
    try {
      const out = await withRetry(
        () => lambda.send(new InvokeCommand({ FunctionName: resource.FunctionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(request)) }), { abortSignal: signal }),
        ctx.retry,
        // Only a request that never reached the gateway is sent again: an invocation has effects.
        { sleep: ctx.sleep, signal: ctx.signal, retryable: neverReached },
      );
      if (!out.FunctionError) return undefined;
      const payload = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
      return describeFunctionError(payload);
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException' && waited < NOT_LOADED_MS) {
        await ctx.sleep(250, ctx.signal);
        waited += 250;
        continue;
      }
      if (ctx.signal?.aborted) throw err;
      if (signal.aborted) throw new CustomResourceError(what(resource), ctx.lambdaEndpoint, `no answer within its service timeout of ${timeoutS} s`, { cause: err });
      throw new ProvisionError(what(resource), ctx.lambdaEndpoint, `invoking function ${resource.FunctionName}: ${errorText(err)}`, { cause: err });
    }
  }
}

function neverReached(err: unknown): boolean {
  const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNREFUSED' || code === 'EAI_AGAIN' || code === 'ENOTFOUND';
}

function describeFunctionError(payload: string): string {
  try {
    const e = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
    const text = [e.errorType, e.errorMessage].filter(Boolean).join(': ');
    if (text) return text.slice(0, 1024);
  } catch {
    /* not JSON: the text itself */
  }
  return payload.slice(0, 1024) || 'the function failed';
}

/**
 * The answer the function sent. A function that failed without answering, or returned and sent
 * nothing (CloudFormation would wait out the service timeout), fails the resource at once.
 */
async function awaitAnswer(resource: CustomResource, ctx: CustomResourceContext, key: string, failure: string | undefined): Promise<Answer> {
  const patience = failure === undefined ? LATE_ANSWER_MS : 1_000;
  for (let waited = 0; ; waited += 100) {
    const got = await objectOf(ctx, resource, key);
    if (got !== undefined) {
      const size = got.ContentLength ?? 0;
      // An answer over the limit is not read: its stream is dropped.
      const text = size > MAX_RESPONSE_BYTES ? undefined : await got.Body!.transformToString();
      if (text === undefined) (got.Body as { destroy?(): void } | undefined)?.destroy?.();
      await ctx.s3.send(new DeleteObjectCommand({ Bucket: CUSTOM_RESOURCE_BUCKET, Key: key })).catch(() => {});
      if (text === undefined) throw new CustomResourceError(what(resource), ctx.responseEndpoint, `the function's answer is ${size} bytes; CloudFormation takes at most ${MAX_RESPONSE_BYTES}`);
      return parseAnswer(resource, ctx, text);
    }
    if (waited >= patience) {
      const reason = failure !== undefined ? `the function failed without answering: ${failure}` : 'the function returned without sending an answer to the ResponseURL (CloudFormation would wait for one until the service timeout)';
      throw new CustomResourceError(what(resource), ctx.lambdaEndpoint, reason);
    }
    await ctx.sleep(100, ctx.signal);
  }
}

function parseAnswer(resource: CustomResource, ctx: CustomResourceContext, text: string): Answer {
  const bad = (reason: string): never => {
    throw new CustomResourceError(what(resource), ctx.responseEndpoint, `the function's answer ${reason}`);
  };
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return bad(`is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return bad('is not a JSON object');
  if (body.Status !== 'SUCCESS' && body.Status !== 'FAILED') return bad(`has Status ${JSON.stringify(body.Status)}; it must be SUCCESS or FAILED`);
  if (body.Status === 'FAILED') return { Status: 'FAILED', Reason: typeof body.Reason === 'string' ? body.Reason : undefined, PhysicalResourceId: '', Data: {} };
  if (typeof body.PhysicalResourceId !== 'string' || body.PhysicalResourceId === '') return bad('has no PhysicalResourceId');
  if (body.Data !== undefined && (body.Data === null || typeof body.Data !== 'object' || Array.isArray(body.Data))) return bad('has a Data that is not an object');
  return { Status: 'SUCCESS', PhysicalResourceId: body.PhysicalResourceId, Data: (body.Data as Record<string, unknown> | undefined) ?? {} };
}
