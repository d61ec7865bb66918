// The SQS operations over the queue model (docs/sqs.md "Operations"): each takes the request's
// parameters in the JSON protocol's shape (the query protocol's form fields are brought to that
// shape first, sqs-wire.ts), checks them with errors naming the field, calls the model and
// answers in the JSON protocol's shape. No HTTP here: a ReceiveMessage that must wait says so
// (`poll`) and the server does the waiting.
import { localQueueUrl, queueNameOf } from '@esb/contracts';
import {
  checkBatchIds,
  checkMessageText,
  emptyDict,
  invalidParameter,
  MAX_BATCH_BYTES,
  md5OfAttributes,
  SqsError,
  type AttributeValue,
  type Attributes,
  type Delivery,
  type QueueStore,
} from './sqs-queues.js';

export interface ActionContext {
  /** `http://<host>` as the client reached the server: queue URLs are built on it. */
  baseUrl: string;
  /** The queue URL a query-protocol request was posted to (its path names the queue). */
  pathQueueUrl?: string;
  /** Who sends (SenderId of the messages): the access key of the request when it has one. */
  senderId?: string;
  /** The request's X-Amzn-Trace-Id: a message's AWSTraceHeader when it sets none, as SQS keeps it. */
  traceHeader?: string;
}

export type Output = Record<string, unknown>;

/** A ReceiveMessage that found nothing and may wait: `attempt` receives again (undefined: still nothing). */
export interface LongPoll {
  queue: string;
  waitSeconds: number;
  attempt(): Output | undefined;
  /** The answer when the wait ends empty. */
  empty: Output;
}

export type ActionOutcome = { output: Output } | { poll: LongPoll };

type Handler = (store: QueueStore, input: Params, context: ActionContext) => Output | ActionOutcome;

/** Operations of the SQS API this server does not emulate (answered with UnsupportedOperation). */
const NOT_EMULATED = ['AddPermission', 'RemovePermission'];

export function runAction(store: QueueStore, action: string, input: unknown, context: ActionContext): ActionOutcome {
  const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (!handler) {
    if (NOT_EMULATED.includes(action)) throw new SqsError('UnsupportedOperation', `esb's SQS server does not emulate ${action} (docs/sqs.md).`);
    throw new SqsError('InvalidAction', `The action ${action.slice(0, 100)} is not valid for this endpoint.`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SqsError('SerializationException', 'The request body must be a JSON object.');
  const result = handler(store, new Params(input as Record<string, unknown>), context);
  return 'output' in result || 'poll' in result ? (result as ActionOutcome) : { output: result };
}

// ---- parameters -----------------------------------------------------------------------------

/** Reads one request's (or batch entry's) parameters; every refusal names the parameter. */
class Params {
  constructor(
    private readonly data: Record<string, unknown>,
    private readonly prefix = '',
  ) {}

  private get(name: string): unknown {
    return Object.hasOwn(this.data, name) ? this.data[name] : undefined;
  }

  private field(name: string): string {
    return `${this.prefix}${name}`;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined && this.get(name) !== null;
  }

  string(name: string): string {
    const value = this.optString(name);
    if (value === undefined) throw new SqsError('MissingParameter', `The request must contain the parameter ${this.field(name)}.`);
    return value;
  }

  optString(name: string): string | undefined {
    const value = this.get(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw invalidParameter(this.field(name), value, 'must be a string.');
    return value;
  }

  /** A whole number, given as a JSON number or as text (the query protocol). */
  optInteger(name: string): number | undefined {
    const value = this.get(name);
    if (value === undefined || value === null) return undefined;
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isSafeInteger(n)) throw invalidParameter(this.field(name), value, 'must be a whole number.');
    return n;
  }

  integer(name: string): number {
    const value = this.optInteger(name);
    if (value === undefined) throw new SqsError('MissingParameter', `The request must contain the parameter ${this.field(name)}.`);
    return value;
  }

  stringList(name: string): string[] {
    const value = this.get(name);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidParameter(this.field(name), value, 'must be a list of strings.');
    return value as string[];
  }

  /** A map of text to text (queue attributes, tags). */
  stringMap(name: string): Record<string, string> {
    const value = this.get(name);
    const out = emptyDict<string>();
    if (value === undefined || value === null) return out;
    if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameter(this.field(name), value, 'must be a map of names to values.');
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v !== 'string') throw invalidParameter(`${this.field(name)}.${key}`, v, 'must be a string.');
      out[key] = v;
    }
    return out;
  }

  /** The entries of a batch request, each read with its own field prefix. */
  entries(name: string): Params[] {
    const value = this.get(name);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw invalidParameter(this.field(name), value, 'must be a list of entries.');
    return value.map((entry, i) => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalidParameter(`${this.field(name)}.${i + 1}`, entry, 'must be an entry object.');
      return new Params(entry as Record<string, unknown>, `${this.field(name)}.${i + 1}.`);
    });
  }

  raw(name: string): unknown {
    return this.get(name);
  }
}

function queueOf(input: Params, context: ActionContext): string {
  const url = input.optString('QueueUrl') ?? context.pathQueueUrl;
  if (url === undefined) throw new SqsError('MissingParameter', 'The request must contain the parameter QueueUrl.');
  const name = queueNameOf(url);
  if (name === undefined) throw new SqsError('InvalidAddress', `The address ${url.slice(0, 200)} is not valid for this endpoint.`);
  return name;
}

function queueUrl(context: ActionContext, store: QueueStore, name: string): string {
  return localQueueUrl(context.baseUrl, name, store.account);
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\.[^\s]+)?$/;
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** MessageAttributes of a send: at most 10, names and types as SQS allows, values present. */
function messageAttributes(raw: unknown, field: string): Attributes {
  const out = emptyDict<AttributeValue>();
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidParameter(field, raw, 'must be a map of attribute names to values.');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > 10) throw new SqsError('InvalidParameterValue', `Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`);
  for (const [name, value] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || /^(aws\.|amazon\.)/i.test(name)) {
      throw new SqsError('InvalidParameterValue', `Message (user) attribute name "${name.slice(0, 100)}" is invalid: up to 256 letters, digits, _ - and . (not first, last or twice in a row), not starting with AWS. or Amazon.`);
    }
    if (typeof value !== 'object' || value === null) throw invalidParameter(`${field}.${name}`, value, 'must be an object with DataType and StringValue or BinaryValue.');
    const { DataType, StringValue, BinaryValue } = value as Record<string, unknown>;
    if (typeof DataType !== 'string' || DataType.length > 256 || !DATA_TYPE.test(DataType)) {
      throw new SqsError('InvalidParameterValue', `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if (DataType.startsWith('Binary')) {
      if (typeof BinaryValue !== 'string' || BinaryValue === '' || !BASE64.test(BinaryValue)) {
        throw new SqsError('InvalidParameterValue', `Message (user) attribute '${name}' must contain a non-empty value of type 'Binary' (base64).`);
      }
      out[name] = { DataType, BinaryValue: Buffer.from(BinaryValue, 'base64') };
    } else {
      const type = DataType.startsWith('Number') ? 'Number' : 'String';
      if (typeof StringValue !== 'string' || StringValue === '') throw new SqsError('InvalidParameterValue', `Message (user) attribute '${name}' must contain a non-empty value of type '${type}'.`);
      if (type === 'Number' && !NUMBER.test(StringValue.trim())) throw new SqsError('InvalidParameterValue', `Can't cast the value of message (user) attribute '${name}' to a number.`);
      checkMessageText(StringValue, `the message attribute ${name}`);
      out[name] = { DataType, StringValue };
    }
  }
  return out;
}

/** MessageSystemAttributes of a send: only AWSTraceHeader, a String. */
function systemAttributes(raw: unknown, field: string): Attributes {
  const out = emptyDict<AttributeValue>();
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidParameter(field, raw, 'must be a map of attribute names to values.');
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name !== 'AWSTraceHeader') throw new SqsError('InvalidParameterValue', `Message system attribute name '${name.slice(0, 100)}' is invalid (only AWSTraceHeader can be sent).`);
    const { DataType, StringValue } = (value ?? {}) as Record<string, unknown>;
    if (DataType !== 'String' || typeof StringValue !== 'string' || StringValue === '') {
      throw new SqsError('InvalidParameterValue', `Message system attribute '${name}' must be of DataType String with a non-empty StringValue.`);
    }
    out[name] = { DataType, StringValue };
  }
  return out;
}

function withTraceHeader(attributes: Attributes, traceHeader: string | undefined): Attributes {
  if (traceHeader === undefined || traceHeader === '' || attributes.AWSTraceHeader !== undefined) return attributes;
  return { ...attributes, AWSTraceHeader: { DataType: 'String', StringValue: traceHeader.slice(0, 1024) } };
}

function sendInput(input: Params, context: ActionContext) {
  return {
    body: input.string('MessageBody'),
    delaySeconds: input.optInteger('DelaySeconds'),
    attributes: messageAttributes(input.raw('MessageAttributes'), 'MessageAttributes'),
    systemAttributes: withTraceHeader(systemAttributes(input.raw('MessageSystemAttributes'), 'MessageSystemAttributes'), context.traceHeader),
    groupId: input.optString('MessageGroupId'),
    dedupId: input.optString('MessageDeduplicationId'),
    senderId: context.senderId,
  };
}

function tags(raw: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(raw)) {
    if (key.length < 1 || key.length > 128) throw new SqsError('InvalidParameterValue', `Tag key "${key.slice(0, 130)}" must be 1 to 128 characters.`);
    if (value.length > 256) throw new SqsError('InvalidParameterValue', `The value of tag "${key}" must be at most 256 characters.`);
  }
  return raw;
}

// ---- receive --------------------------------------------------------------------------------

const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;

function systemAttributesOf(message: Delivery['message'], wanted: (name: string) => boolean): Record<string, string> {
  const values: Record<(typeof SYSTEM_ATTRIBUTES)[number], string | undefined> = {
    SenderId: message.senderId,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: message.firstReceiveAt === undefined ? undefined : String(message.firstReceiveAt),
    SequenceNumber: message.sequenceNumber,
    MessageDeduplicationId: message.dedupId,
    MessageGroupId: message.groupId,
    AWSTraceHeader: message.systemAttributes.AWSTraceHeader?.StringValue,
    DeadLetterQueueSourceArn: message.deadLetterSourceArn,
  };
  const out = emptyDict<string>();
  for (const name of SYSTEM_ATTRIBUTES) if (wanted(name) && values[name] !== undefined) out[name] = values[name]!;
  return out;
}

/** `All` or `.*`: every attribute; `x.*`: those whose name starts with `x.`; else the exact names. */
function attributeFilter(names: readonly string[]): (name: string) => boolean {
  if (names.some((n) => n === 'All' || n === '.*')) return () => true;
  const exact = new Set(names.filter((n) => !n.endsWith('.*')));
  const prefixes = names.filter((n) => n.endsWith('.*')).map((n) => n.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}

function renderAttributes(attributes: Attributes): Record<string, unknown> {
  const out = emptyDict<unknown>();
  for (const [name, v] of Object.entries(attributes)) {
    out[name] = v.BinaryValue !== undefined ? { DataType: v.DataType, BinaryValue: v.BinaryValue.toString('base64') } : { DataType: v.DataType, StringValue: v.StringValue };
  }
  return out;
}

function renderDelivery(delivery: Delivery, systemNames: readonly string[], attributeNames: readonly string[]): Output {
  const { message } = delivery;
  const out: Output = { MessageId: message.id, ReceiptHandle: delivery.receiptHandle, MD5OfBody: message.md5OfBody, Body: message.body };
  const system = systemAttributesOf(message, attributeFilter(systemNames));
  if (Object.keys(system).length > 0) out.Attributes = system;
  const wanted = attributeFilter(attributeNames);
  const chosen = emptyDict<AttributeValue>();
  for (const [name, value] of Object.entries(message.attributes)) if (wanted(name)) chosen[name] = value;
  if (Object.keys(chosen).length > 0) {
    // The MD5 of the attributes returned, which is what a client can check.
    out.MD5OfMessageAttributes = md5OfAttributes(chosen);
    out.MessageAttributes = renderAttributes(chosen);
  }
  return out;
}

function receiveMessage(store: QueueStore, input: Params, context: ActionContext): ActionOutcome {
  const queue = queueOf(input, context);
  const max = input.optInteger('MaxNumberOfMessages') ?? 1;
  const visibilityTimeout = input.optInteger('VisibilityTimeout');
  const waitGiven = input.optInteger('WaitTimeSeconds');
  if (waitGiven !== undefined && (waitGiven < 0 || waitGiven > 20)) throw invalidParameter('WaitTimeSeconds', waitGiven, 'WaitTimeSeconds must be >= 0 and <= 20, if provided.');
  const systemNames = [...input.stringList('AttributeNames'), ...input.stringList('MessageSystemAttributeNames')];
  const attributeNames = input.stringList('MessageAttributeNames');
  const waitSeconds = waitGiven ?? Number(store.getQueueAttributes(queue, ['ReceiveMessageWaitTimeSeconds']).ReceiveMessageWaitTimeSeconds);
  const attempt = (): Output | undefined => {
    const deliveries = store.receive(queue, { max, ...(visibilityTimeout !== undefined ? { visibilityTimeout } : {}) });
    return deliveries.length > 0 ? { Messages: deliveries.map((d) => renderDelivery(d, systemNames, attributeNames)) } : undefined;
  };
  const first = attempt();
  if (first || waitSeconds === 0) return { output: first ?? {} };
  return { poll: { queue, waitSeconds, attempt, empty: {} } };
}

// ---- batches --------------------------------------------------------------------------------

interface BatchFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

/** Runs each entry of a batch alone: an entry's error is its `Failed` item, the others go on. */
function batch(input: Params, run: (entry: Params, id: string) => Output): Output {
  const entries = input.entries('Entries');
  checkBatchIds(entries.map((e) => e.raw('Id')));
  const Successful: Output[] = [];
  const Failed: BatchFailure[] = [];
  for (const entry of entries) {
    const id = entry.string('Id');
    try {
      Successful.push({ Id: id, ...run(entry, id) });
    } catch (err) {
      if (!(err instanceof SqsError)) throw err;
      Failed.push({ Id: id, SenderFault: err.senderFault, Code: err.queryCode, Message: err.message });
    }
  }
  return { Successful, Failed };
}

function sendOutput(result: ReturnType<QueueStore['send']>): Output {
  return {
    MessageId: result.messageId,
    MD5OfMessageBody: result.md5OfBody,
    ...(result.md5OfAttributes ? { MD5OfMessageAttributes: result.md5OfAttributes } : {}),
    ...(result.md5OfSystemAttributes ? { MD5OfMessageSystemAttributes: result.md5OfSystemAttributes } : {}),
    ...(result.sequenceNumber ? { SequenceNumber: result.sequenceNumber } : {}),
  };
}

// ---- the operations -------------------------------------------------------------------------

const ACTIONS: Record<string, Handler> = {
  CreateQueue(store, input, context) {
    const name = input.string('QueueName');
    // The JSON protocol names CreateQueue's tags `tags`; accept either spelling.
    const given = input.has('tags') ? input.stringMap('tags') : input.stringMap('Tags');
    store.createQueue(name, input.stringMap('Attributes'), tags(given));
    return { QueueUrl: queueUrl(context, store, name) };
  },

  GetQueueUrl(store, input, context) {
    const name = input.string('QueueName');
    if (!store.hasQueue(name)) throw new SqsError('QueueDoesNotExist', `The specified queue does not exist: ${name.slice(0, 100)}`);
    return { QueueUrl: queueUrl(context, store, name) };
  },

  ListQueues(store, input, context) {
    const prefix = input.optString('QueueNamePrefix') ?? '';
    const maxResults = input.optInteger('MaxResults');
    if (maxResults !== undefined && (maxResults < 1 || maxResults > 1000)) throw invalidParameter('MaxResults', maxResults, 'MaxResults must be an integer between 1 and 1000.');
    const token = input.optString('NextToken');
    let names = store.queueNames(prefix);
    if (token !== undefined) {
      const after = Buffer.from(token, 'base64url').toString('utf8');
      if (token === '' || !/^[A-Za-z0-9_.-]{1,80}$/.test(after)) throw invalidParameter('NextToken', token, 'Invalid NextToken value.');
      names = names.filter((n) => n > after);
    }
    const page = names.slice(0, maxResults ?? 1000);
    const out: Output = {};
    if (page.length > 0) out.QueueUrls = page.map((n) => queueUrl(context, store, n));
    if (maxResults !== undefined && names.length > page.length) out.NextToken = Buffer.from(page[page.length - 1]).toString('base64url');
    return out;
  },

  DeleteQueue(store, input, context) {
    store.deleteQueue(queueOf(input, context));
    return {};
  },

  PurgeQueue(store, input, context) {
    store.purgeQueue(queueOf(input, context));
    return {};
  },

  GetQueueAttributes(store, input, context) {
    const names = input.stringList('AttributeNames');
    const queue = queueOf(input, context);
    // No names: no attributes, as SQS answers (the call still checks that the queue exists).
    const attributes = store.getQueueAttributes(queue, names);
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  },

  SetQueueAttributes(store, input, context) {
    const queue = queueOf(input, context);
    if (!input.has('Attributes')) throw new SqsError('MissingParameter', 'The request must contain the parameter Attributes.');
    store.setQueueAttributes(queue, input.stringMap('Attributes'));
    return {};
  },

  ListDeadLetterSourceQueues(store, input, context) {
    const urls = store.deadLetterSources(queueOf(input, context)).map((n) => queueUrl(context, store, n));
    return { queueUrls: urls };
  },

  StartMessageMoveTask(store, input) {
    const rate = input.optInteger('MaxNumberOfMessagesPerSecond');
    if (rate !== undefined && (rate < 1 || rate > 500)) throw invalidParameter('MaxNumberOfMessagesPerSecond', rate, 'must be between 1 and 500.');
    return { TaskHandle: store.startMoveTask(input.string('SourceArn'), input.optString('DestinationArn'), rate).handle };
  },

  ListMessageMoveTasks(store, input) {
    const max = input.optInteger('MaxResults') ?? 1;
    if (max < 1 || max > 10) throw invalidParameter('MaxResults', max, 'must be between 1 and 10.');
    const results = store.moveTasksOf(input.string('SourceArn'), max).map((t) => ({
      Status: t.status,
      SourceArn: t.sourceArn,
      ...(t.destinationArn !== undefined ? { DestinationArn: t.destinationArn } : {}),
      ...(t.maxPerSecond !== undefined ? { MaxNumberOfMessagesPerSecond: t.maxPerSecond } : {}),
      ApproximateNumberOfMessagesMoved: t.moved,
      ApproximateNumberOfMessagesToMove: t.toMove,
      ...(t.failureReason !== undefined ? { FailureReason: t.failureReason } : {}),
      StartedTimestamp: t.startedAt,
    }));
    return { Results: results };
  },

  CancelMessageMoveTask(store, input) {
    return store.cancelMoveTask(input.string('TaskHandle'));
  },

  TagQueue(store, input, context) {
    const queue = queueOf(input, context);
    store.tagQueue(queue, tags(input.stringMap('Tags')));
    return {};
  },

  UntagQueue(store, input, context) {
    store.untagQueue(queueOf(input, context), input.stringList('TagKeys'));
    return {};
  },

  ListQueueTags(store, input, context) {
    const found = store.listQueueTags(queueOf(input, context));
    return Object.keys(found).length > 0 ? { Tags: found } : {};
  },

  SendMessage(store, input, context) {
    return sendOutput(store.send(queueOf(input, context), sendInput(input, context)));
  },

  SendMessageBatch(store, input, context) {
    const queue = queueOf(input, context);
    const entries = input.entries('Entries');
    let total = 0;
    for (const entry of entries) {
      const body = entry.raw('MessageBody');
      if (typeof body === 'string') total += Buffer.byteLength(body);
    }
    if (total > MAX_BATCH_BYTES) throw new SqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_BATCH_BYTES} bytes. You have sent ${total} bytes.`);
    return batch(input, (entry) => sendOutput(store.send(queue, sendInput(entry, context))));
  },

  ReceiveMessage: receiveMessage,

  DeleteMessage(store, input, context) {
    const queue = queueOf(input, context);
    store.deleteMessage(queue, input.string('ReceiptHandle'));
    return {};
  },

  DeleteMessageBatch(store, input, context) {
    const queue = queueOf(input, context);
    return batch(input, (entry) => {
      store.deleteMessage(queue, entry.string('ReceiptHandle'));
      return {};
    });
  },

  ChangeMessageVisibility(store, input, context) {
    const queue = queueOf(input, context);
    store.changeVisibility(queue, input.string('ReceiptHandle'), input.integer('VisibilityTimeout'));
    return {};
  },

  ChangeMessageVisibilityBatch(store, input, context) {
    const queue = queueOf(input, context);
    return batch(input, (entry) => {
      store.changeVisibility(queue, entry.string('ReceiptHandle'), entry.integer('VisibilityTimeout'));
      return {};
    });
  },
};
