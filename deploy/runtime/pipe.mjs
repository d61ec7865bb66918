// The function esb runs for an EventBridge pipe (AWS::Pipes::Pipe; docs/pipes.md). Its event
// source mapping hands it a batch of the source's records ({Records: [...]}, already filtered);
// it shapes each record into the event Pipes gives, runs the enrichment (a Lambda function
// through the Invoke API, or an Express state machine) and sends the result to the target, with
// the input templates and dynamic parameters applied per event. Any failure throws, so the
// mapping retries the batch as it is configured to. The pipe is in ESB_PIPE
// (deploy/src/sam/pipes.ts): {name, arn, source: {kind, arn}, enrichment?: {kind, arn, function?,
// inputTemplate?}, target: {kind, arn, inputTemplate?, ...its parameters}}.

const pipe = JSON.parse(process.env.ESB_PIPE ?? '{}');

/** A rendered event, at most Lambda's payload: no template can grow past it. */
const MAX_TEXT = 6 * 1024 * 1024;
/** Entries per call the batch APIs take. */
const PUT_EVENTS_BATCH = 10;
const PUT_RECORDS_BATCH = 500;

class PipeError extends Error {}

// ------------------------------------------------------------------ the events

/** The event Pipes gives for a source record: a Kinesis record's fields are flattened, others are the record as Lambda has it. */
function sourceEvent(record) {
  if (pipe.source?.kind !== 'kinesis' || record === null || typeof record !== 'object' || !record.kinesis) return record;
  const { kinesis, ...meta } = record;
  return { ...kinesis, ...meta };
}

/** JSON text that is an object or a list, parsed; undefined for anything else (filters read bodies the same way). */
function jsonObjectOf(text) {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The event as JSON paths and <aws.pipes.event.json> read it: a source event's SQS `body` or
 * Kinesis `data` that is JSON is parsed, so `$.body.id` reaches into it (Pipes' implicit body
 * parsing). What an enrichment returned is read as it is.
 */
function eventView(item) {
  const e = item.event;
  if (!item.fromSource || e === null || typeof e !== 'object') return e;
  if (pipe.source.kind === 'sqs' && typeof e.body === 'string') {
    const body = jsonObjectOf(e.body);
    return body === undefined ? e : { ...e, body };
  }
  if (pipe.source.kind === 'kinesis' && typeof e.data === 'string') {
    const data = jsonObjectOf(Buffer.from(e.data, 'base64').toString('utf8'));
    return data === undefined ? e : { ...e, data };
  }
  return e;
}

// ------------------------------------------------------------------ JSON paths

/**
 * The value at a JSON path of the forms Pipes takes: `$.a.b`, `$.a[0]`, `$.a[*].b`, `$.a.*`,
 * names with dashes, underscores and slashes (`$['a b']` too). A path with a wildcard gives a
 * list; a missing value is undefined.
 */
function jsonPath(root, path) {
  if (typeof path !== 'string' || !path.startsWith('$')) return undefined;
  const steps = /\.([^.[\]]+)|\[(\d+)\]|\[(\*)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  steps.lastIndex = 1;
  let nodes = [root];
  let many = false;
  while (steps.lastIndex < path.length) {
    const m = steps.exec(path);
    if (!m) return undefined;
    const all = m[1] === '*' || m[3] === '*';
    const key = all ? undefined : (m[1] ?? m[4] ?? m[5]);
    const next = [];
    for (const n of nodes) {
      if (all) {
        if (Array.isArray(n)) next.push(...n);
        else if (n !== null && typeof n === 'object') next.push(...Object.values(n));
      } else if (m[2] !== undefined) {
        if (Array.isArray(n) && Number(m[2]) < n.length) next.push(n[Number(m[2])]);
      } else if (n !== null && typeof n === 'object' && !Array.isArray(n) && Object.hasOwn(n, key)) next.push(n[key]);
    }
    many ||= all;
    nodes = next;
  }
  return many ? nodes : nodes[0];
}

/** A target parameter: fixed text, or (the whole value a JSON path: `$.a`, `$[0]`) the value at that path of the event, as text; undefined when there is none. */
function parameter(value, view) {
  if (typeof value !== 'string' || !/^\$(?:$|[.[])/.test(value)) return value;
  const v = jsonPath(view, value);
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// ------------------------------------------------------------------ input templates

const RESERVED = new Set(['aws.pipes.pipe-arn', 'aws.pipes.pipe-name', 'aws.pipes.source-arn', 'aws.pipes.enrichment-arn', 'aws.pipes.target-arn', 'aws.pipes.event', 'aws.pipes.event.json', 'aws.pipes.event.ingestion-time']);

/** The value of a placeholder (`$.path` or a reserved variable); `{missing: true}` when it has none. */
function placeholderValue(name, item, view, ingestion) {
  const found = (value) => (value === undefined ? { missing: true } : { value });
  if (name.startsWith('$')) return found(jsonPath(view, name));
  switch (name) {
    case 'aws.pipes.pipe-arn':
      return found(pipe.arn);
    case 'aws.pipes.pipe-name':
      return found(pipe.name);
    case 'aws.pipes.source-arn':
      return found(pipe.source?.arn);
    case 'aws.pipes.enrichment-arn':
      return found(pipe.enrichment?.arn);
    case 'aws.pipes.target-arn':
      return found(pipe.target?.arn);
    case 'aws.pipes.event.ingestion-time':
      return found(ingestion);
    case 'aws.pipes.event':
      return found(item.event);
    default:
      // aws.pipes.event.json: only a JSON payload has one (bodies and data decoded).
      return view !== null && typeof view === 'object' ? { value: view } : { missing: true };
  }
}

/** A value inside a JSON string or free text: text as it is, objects and lists without their quotes (as Pipes writes them there). */
const bareText = (value) => (typeof value === 'string' ? value : JSON.stringify(value).replace(/"/g, ''));

/**
 * An InputTemplate applied to one event: each `<$.path>` and `<aws.pipes.*>` replaced. In a
 * template that is JSON (it starts with `{`, `[` or `"`), a value outside a string goes in as JSON
 * (strings quoted, a missing value as null) and one inside a string as bare text; in free text,
 * as bare text (a missing value as nothing). Any other `<...>` stays as written. Bounded: a
 * rendering past MAX_TEXT fails.
 */
function render(template, item) {
  const view = eventView(item);
  const ingestion = new Date().toISOString();
  const json = /^[{["]/.test(template.trimStart());
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '\\' && inString) {
      out += template.slice(i, i + 2);
      i++;
      continue;
    }
    if (c === '"' && json) inString = !inString;
    if (c === '<') {
      const end = template.indexOf('>', i + 1);
      const name = end > i ? template.slice(i + 1, end).trim() : '';
      if (/^\$(?:$|[.[])[^<>\n]*$/.test(name) || RESERVED.has(name)) {
        const { value, missing } = placeholderValue(name, item, view, ingestion);
        if (!json) out += missing ? '' : bareText(value);
        else if (inString) out += missing ? '' : JSON.stringify(bareText(value)).slice(1, -1);
        else out += missing ? 'null' : JSON.stringify(value);
        if (out.length > MAX_TEXT) throw new PipeError(`the input template made more than ${MAX_TEXT} characters of one event`);
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** What a template made of an event, as a value: its JSON, else the text itself. */
function valueOfText(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** An event as a target or enrichment gets it: its template applied (as a value), else the event. */
const shaped = (item, template) => (template === undefined ? item.event : valueOfText(render(template, item)));

/** An event as a message, a record's data or a log line: its template's text, else its JSON. */
const textOf = (item, template) => (template !== undefined ? render(template, item) : typeof item.event === 'string' ? item.event : JSON.stringify(item.event));

// ------------------------------------------------------------------ the services

/** A service's SDK and client, made on first use and kept for the instance's life (endpoints from AWS_ENDPOINT_URL_*). */
function memoClient(load, make) {
  let made;
  return () => (made ??= load().then((sdk) => ({ sdk, client: make(sdk) })));
}
const lambda = memoClient(() => import('@aws-sdk/client-lambda'), (sdk) => new sdk.LambdaClient({}));
// Without disableHostPrefix the SDK sends StartSyncExecution to `sync-<host>`, which esb's endpoint is not.
const stepFunctions = memoClient(() => import('@aws-sdk/client-sfn'), (sdk) => new sdk.SFNClient({ disableHostPrefix: true }));
const sqs = memoClient(() => import('@aws-sdk/client-sqs'), (sdk) => new sdk.SQSClient({}));
const sns = memoClient(() => import('@aws-sdk/client-sns'), (sdk) => new sdk.SNSClient({}));
const eventBridge = memoClient(() => import('@aws-sdk/client-eventbridge'), (sdk) => new sdk.EventBridgeClient({}));
const kinesis = memoClient(() => import('@aws-sdk/client-kinesis'), (sdk) => new sdk.KinesisClient({}));

/** Invokes a function with a batch (a JSON list); its answer, parsed. A function that failed fails the batch. */
async function invokeFunction(name, values, asynchronous) {
  const { sdk, client } = await lambda();
  const out = await client.send(new sdk.InvokeCommand({ FunctionName: name, InvocationType: asynchronous ? 'Event' : 'RequestResponse', Payload: Buffer.from(JSON.stringify(values)) }));
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) throw new PipeError(`function ${name} failed: ${text.slice(0, 1000)}`);
  if (asynchronous || text.trim() === '') return undefined;
  return valueOfText(text);
}

/** Starts an execution with a batch; a synchronous one's output, parsed (an execution that did not succeed fails the batch). */
async function startExecution(arn, values, synchronous) {
  const { sdk, client } = await stepFunctions();
  const input = JSON.stringify(values);
  if (!synchronous) {
    await client.send(new sdk.StartExecutionCommand({ stateMachineArn: arn, input }));
    return undefined;
  }
  const out = await client.send(new sdk.StartSyncExecutionCommand({ stateMachineArn: arn, input }));
  if (out.status !== 'SUCCEEDED') throw new PipeError(`execution ${out.executionArn ?? ''} of ${arn} ended ${out.status}${out.error ? `: ${out.error}` : ''}${out.cause ? ` (${String(out.cause).slice(0, 500)})` : ''}`);
  return out.output === undefined ? undefined : valueOfText(out.output);
}

// ------------------------------------------------------------------ enrichment and target

/** The batch the enrichment answers: a list is the new batch, one value a batch of one, nothing an empty batch. */
async function enrich(batch) {
  const e = pipe.enrichment;
  const values = batch.map((item) => shaped(item, e.inputTemplate));
  const answer = e.kind === 'lambda' ? await invokeFunction(e.function, values, false) : await startExecution(e.arn, values, true);
  const events = Array.isArray(answer) ? answer : answer === undefined || answer === null ? [] : [answer];
  return events.map((event) => ({ event, fromSource: false }));
}

/** `Event from aws:sqs`: the detail-type of an event a pipe puts on a bus without DetailType. */
const SOURCE_NAMES = { sqs: 'aws:sqs', dynamodb: 'aws:dynamodb', kinesis: 'aws:kinesis' };

const TARGETS = {
  async lambda(t, batch) {
    await invokeFunction(t.function, batch.map((item) => shaped(item, t.inputTemplate)), t.invocationType === 'FIRE_AND_FORGET');
  },
  async states(t, batch) {
    await startExecution(t.arn, batch.map((item) => shaped(item, t.inputTemplate)), t.invocationType !== 'FIRE_AND_FORGET');
  },
  async sqs(t, batch) {
    const { sdk, client } = await sqs();
    const endpoint = (process.env.AWS_ENDPOINT_URL_SQS ?? '').replace(/\/+$/, '');
    if (!endpoint) throw new PipeError('no AWS_ENDPOINT_URL_SQS in the environment: the queue cannot be reached');
    const queueUrl = `${endpoint}/${t.account}/${t.queue}`;
    // One message an event, in order (a FIFO queue keeps it).
    for (const item of batch) {
      const view = eventView(item);
      await client.send(new sdk.SendMessageCommand({ QueueUrl: queueUrl, MessageBody: textOf(item, t.inputTemplate), MessageGroupId: parameter(t.messageGroupId, view), MessageDeduplicationId: parameter(t.messageDeduplicationId, view) }));
    }
  },
  async sns(t, batch) {
    const { sdk, client } = await sns();
    for (const item of batch) await client.send(new sdk.PublishCommand({ TopicArn: t.arn, Message: textOf(item, t.inputTemplate) }));
  },
  async events(t, batch) {
    const { sdk, client } = await eventBridge();
    const entries = batch.map((item) => {
      const view = eventView(item);
      const detail = textOf(item, t.inputTemplate);
      const parsed = valueOfText(detail);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new PipeError(`an event bus takes a JSON object as the event's detail, and this event is ${JSON.stringify(detail.slice(0, 200))}`);
      const time = parameter(t.time, view);
      return {
        EventBusName: t.bus,
        Source: parameter(t.source, view) ?? `Pipe ${pipe.name}`,
        DetailType: parameter(t.detailType, view) ?? `Event from ${SOURCE_NAMES[pipe.source.kind]}`,
        Detail: detail,
        Resources: t.resources?.map((r) => parameter(r, view)).filter((r) => r !== undefined),
        Time: time === undefined ? undefined : new Date(time),
      };
    });
    for (let i = 0; i < entries.length; i += PUT_EVENTS_BATCH) {
      const out = await client.send(new sdk.PutEventsCommand({ Entries: entries.slice(i, i + PUT_EVENTS_BATCH) }));
      const failed = (out.Entries ?? []).find((e) => e.ErrorCode);
      if (out.FailedEntryCount || failed) throw new PipeError(`PutEvents refused ${out.FailedEntryCount ?? 1} event(s) on bus ${t.bus}: ${failed?.ErrorCode ?? ''} ${failed?.ErrorMessage ?? ''}`.trim());
    }
  },
  async kinesis(t, batch) {
    const { sdk, client } = await kinesis();
    const records = batch.map((item) => {
      const key = parameter(t.partitionKey, eventView(item));
      if (key === undefined || key === '') throw new PipeError(`the partition key ${t.partitionKey} gives nothing for this event`);
      return { Data: Buffer.from(textOf(item, t.inputTemplate)), PartitionKey: key.slice(0, 256) };
    });
    for (let i = 0; i < records.length; i += PUT_RECORDS_BATCH) {
      const out = await client.send(new sdk.PutRecordsCommand({ StreamName: t.stream, Records: records.slice(i, i + PUT_RECORDS_BATCH) }));
      const failed = (out.Records ?? []).find((r) => r.ErrorCode);
      if (out.FailedRecordCount || failed) throw new PipeError(`PutRecords refused ${out.FailedRecordCount ?? 1} record(s) of stream ${t.stream}: ${failed?.ErrorCode ?? ''} ${failed?.ErrorMessage ?? ''}`.trim());
    }
  },
  async logs(t, batch) {
    // The function's log is where esb's logs are read: each event is a line of it.
    for (const item of batch) {
      const view = eventView(item);
      const stream = parameter(t.logStreamName, view);
      const timestamp = parameter(t.timestamp, view);
      console.log(`pipe ${pipe.name} -> log group ${t.logGroup}${stream ? ` (stream ${stream})` : ''}${timestamp ? ` at ${timestamp}` : ''}: ${textOf(item, t.inputTemplate)}`);
    }
  },
};

export const handler = async (input) => {
  const records = Array.isArray(input?.Records) ? input.Records : [];
  let batch = records.map((record) => ({ event: sourceEvent(record), fromSource: true }));
  if (batch.length === 0) return;
  if (pipe.enrichment) {
    batch = await enrich(batch);
    // Nothing back from the enrichment: nothing for the target.
    if (batch.length === 0) return;
  }
  const send = TARGETS[pipe.target?.kind];
  if (!send) throw new PipeError(`esb does not run ${pipe.target?.kind} targets`);
  await send(pipe.target, batch);
};
