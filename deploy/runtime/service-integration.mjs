// The function esb runs for an HTTP API route whose integration is a direct AWS service call
// (IntegrationSubtype SQS-SendMessage, EventBridge-PutEvents, Kinesis-PutRecord, StepFunctions-StartExecution, ...;
// docs/gateway.md "Service integrations"), and for the REST API route of a SAM state machine's Api
// event (docs/step-functions.md): it maps the request onto the call's parameters as API Gateway
// does ($request.body, $request.body.<path>, $request.header.<name>, $request.querystring.<name>,
// $request.path.<name>, $context.<name>, $stageVariables.<name>, or a fixed value) and makes the
// call against esb's own SQS / EventBridge / Kinesis / Step Functions endpoint (AWS_ENDPOINT_URL_*). The
// integration is in ESB_SERVICE_INTEGRATION:
// {"subtype": "...", "parameters": {"Name": "value or selection expression"}}.

const integration = JSON.parse(process.env.ESB_SERVICE_INTEGRATION ?? '{}');

/** The request's body as text (API Gateway events carry binary bodies base64-encoded). */
function bodyText(event) {
  if (event.body == null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** A value at a dotted path of a JSON body (`$request.body.order.id`, `$request.body.items[0]`). */
function bodyPath(event, path) {
  let value;
  try {
    value = JSON.parse(bodyText(event));
  } catch {
    return undefined;
  }
  for (const part of path.split('.').flatMap((p) => p.split(/\[(\d+)\]/).filter(Boolean))) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = value[part];
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function header(event, name) {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

/** One parameter's value: a selection expression (whole, or `${...}` inside a text), or a fixed value. */
function parameterValue(event, value) {
  const select = (expr) => {
    if (expr === 'request.body') return bodyText(event);
    if (expr.startsWith('request.body.')) return bodyPath(event, expr.slice('request.body.'.length));
    if (expr.startsWith('request.header.')) return header(event, expr.slice('request.header.'.length));
    if (expr.startsWith('request.querystring.')) return (event.queryStringParameters ?? {})[expr.slice('request.querystring.'.length)];
    if (expr.startsWith('request.path.')) return (event.pathParameters ?? {})[expr.slice('request.path.'.length)];
    if (expr.startsWith('context.')) {
      const name = expr.slice('context.'.length);
      const ctx = event.requestContext ?? {};
      return name === 'requestId' ? ctx.requestId : typeof ctx[name] === 'string' ? ctx[name] : undefined;
    }
    if (expr.startsWith('stageVariables.')) return (event.stageVariables ?? {})[expr.slice('stageVariables.'.length)];
    return undefined;
  };
  if (typeof value !== 'string') return value;
  if (/^\$(request|context|stageVariables)\./.test(value)) return select(value.slice(1));
  return value.replace(/\$\{((?:request|context|stageVariables)\.[^}]+)\}/g, (_, expr) => select(expr) ?? '');
}

/** A queue URL as CloudFormation writes it, on esb's SQS endpoint. */
function localQueueUrl(url) {
  const m = /^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com\/(\d{12})\/([A-Za-z0-9_.-]+)$/.exec(url ?? '');
  const endpoint = process.env.AWS_ENDPOINT_URL_SQS;
  return m && endpoint ? `${endpoint.replace(/\/+$/, '')}/${m[1]}/${m[2]}` : url;
}

const answer = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

class MappingError extends Error {}

function required(params, name) {
  const v = params[name];
  if (v === undefined || v === '') throw new MappingError(`${name} is required by ${integration.subtype}, and the request gave none`);
  return v;
}

function json(params, name) {
  if (params[name] === undefined) return undefined;
  try {
    return JSON.parse(params[name]);
  } catch {
    throw new MappingError(`${name} must be JSON, not ${JSON.stringify(String(params[name]).slice(0, 100))}`);
  }
}

const number = (v) => (v === undefined ? undefined : Number(v));
const withoutMetadata = ({ $metadata, ...rest }) => rest;

/** Dates as Step Functions' JSON writes them (startDate: 1733456789.123): epoch seconds with the milliseconds as a fraction. */
const epochDates = (output) => Object.fromEntries(Object.entries(output).map(([k, v]) => [k, v instanceof Date ? v.getTime() / 1000 : v]));

/** A service's SDK and client, made on first use and kept for the instance's life. */
function memoClient(load, make) {
  let made;
  return () => (made ??= load().then((sdk) => ({ sdk, client: make(sdk) })));
}
const sqs = memoClient(() => import('@aws-sdk/client-sqs'), (sdk) => new sdk.SQSClient({}));
const eventBridge = memoClient(() => import('@aws-sdk/client-eventbridge'), (sdk) => new sdk.EventBridgeClient({}));
const kinesis = memoClient(() => import('@aws-sdk/client-kinesis'), (sdk) => new sdk.KinesisClient({}));
/**
 * The Step Functions client. Without disableHostPrefix the SDK sends StartSyncExecution to
 * `sync-<host>`, a name esb's endpoint (AWS_ENDPOINT_URL_SFN) does not have.
 */
const stepFunctions = memoClient(() => import('@aws-sdk/client-sfn'), (sdk) => new sdk.SFNClient({ disableHostPrefix: true }));

/** An execution's input: an empty body starts it with `{}`, as API Gateway's `$input.json('$')` gives for one. */
const executionInput = (p) => (p.Input === undefined || p.Input === '' ? '{}' : p.Input);

const CALLS = {
  async 'SQS-SendMessage'(p) {
    const { sdk, client } = await sqs();
    return client.send(new sdk.SendMessageCommand({ QueueUrl: localQueueUrl(required(p, 'QueueUrl')), MessageBody: required(p, 'MessageBody'), DelaySeconds: number(p.DelaySeconds), MessageAttributes: json(p, 'MessageAttributes'), MessageDeduplicationId: p.MessageDeduplicationId, MessageGroupId: p.MessageGroupId }));
  },
  async 'SQS-ReceiveMessage'(p) {
    const { sdk, client } = await sqs();
    return client.send(new sdk.ReceiveMessageCommand({ QueueUrl: localQueueUrl(required(p, 'QueueUrl')), MaxNumberOfMessages: number(p.MaxNumberOfMessages), VisibilityTimeout: number(p.VisibilityTimeout), WaitTimeSeconds: number(p.WaitTimeSeconds), AttributeNames: json(p, 'AttributeNames'), MessageAttributeNames: json(p, 'MessageAttributeNames') }));
  },
  async 'SQS-DeleteMessage'(p) {
    const { sdk, client } = await sqs();
    return client.send(new sdk.DeleteMessageCommand({ QueueUrl: localQueueUrl(required(p, 'QueueUrl')), ReceiptHandle: required(p, 'ReceiptHandle') }));
  },
  async 'SQS-PurgeQueue'(p) {
    const { sdk, client } = await sqs();
    return client.send(new sdk.PurgeQueueCommand({ QueueUrl: localQueueUrl(required(p, 'QueueUrl')) }));
  },
  async 'EventBridge-PutEvents'(p) {
    const { sdk, client } = await eventBridge();
    const entry = { Source: required(p, 'Source'), DetailType: required(p, 'DetailType'), Detail: required(p, 'Detail'), EventBusName: p.EventBusName, Resources: json(p, 'Resources'), Time: p.Time === undefined ? undefined : new Date(p.Time) };
    return client.send(new sdk.PutEventsCommand({ Entries: [entry] }));
  },
  async 'Kinesis-PutRecord'(p) {
    const { sdk, client } = await kinesis();
    // The mapped text is the record's data (the wire carries it base64-encoded, as API Gateway sends it).
    return client.send(new sdk.PutRecordCommand({ StreamName: required(p, 'StreamName'), Data: Buffer.from(required(p, 'Data')), PartitionKey: required(p, 'PartitionKey'), SequenceNumberForOrdering: p.SequenceNumberForOrdering, ExplicitHashKey: p.ExplicitHashKey }));
  },
  async 'StepFunctions-StartExecution'(p) {
    const { sdk, client } = await stepFunctions();
    return client.send(new sdk.StartExecutionCommand({ stateMachineArn: required(p, 'StateMachineArn'), name: p.Name, input: executionInput(p), traceHeader: p.TraceHeader }));
  },
  async 'StepFunctions-StartSyncExecution'(p) {
    const { sdk, client } = await stepFunctions();
    return client.send(new sdk.StartSyncExecutionCommand({ stateMachineArn: required(p, 'StateMachineArn'), name: p.Name, input: executionInput(p), traceHeader: p.TraceHeader }));
  },
  async 'StepFunctions-StopExecution'(p) {
    const { sdk, client } = await stepFunctions();
    return client.send(new sdk.StopExecutionCommand({ executionArn: required(p, 'ExecutionArn'), cause: p.Cause, error: p.Error }));
  },
};

/** Step Functions' own refusals (ExecutionAlreadyExists, InvalidExecutionInput, ...): what the client gets, as API Gateway maps a 4xx of the service to a 400 with its error. */
function refusal(err) {
  const status = err?.$metadata?.httpStatusCode;
  if (!integration.subtype?.startsWith('StepFunctions-') || !(status >= 400 && status < 500)) return undefined;
  return answer(400, { __type: err.name, message: err.message });
}

export const handler = async (event) => {
  const call = CALLS[integration.subtype];
  if (!call) return answer(500, { message: `esb does not emulate the ${integration.subtype} integration` });
  const params = {};
  for (const [name, value] of Object.entries(integration.parameters ?? {})) {
    const v = parameterValue(event, value);
    if (v !== undefined) params[name] = v;
  }
  try {
    return answer(200, epochDates(withoutMetadata(await call(params))));
  } catch (err) {
    if (err instanceof MappingError) return answer(400, { message: err.message });
    const refused = refusal(err);
    if (refused) return refused;
    // What API Gateway answers when the service call fails; the reason is in the function's log.
    console.error(`${integration.subtype} failed: ${err?.name ?? 'Error'}: ${err?.message ?? err}`);
    return answer(500, { message: 'Internal Server Error' });
  }
};
