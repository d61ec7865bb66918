// SNS's Publish and PublishBatch (docs/sns.md), as pure operations over the query protocol's form
// fields: each message is checked as SNS checks it and becomes the message its topic carries (id
// and time added). What happens next (subscriptions, filter policies) is the agent's business: the
// server hands the accepted messages on, with the subscriptions made at run time of their topic
// (Subscribe and the other subscription actions, over sns-subscriptions.ts). Served on the SQS server's port: the SDKs send SNS's
// query requests with `Version=2010-03-31` and a SigV4 scope of `sns`.
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, TOPIC_NAME, topicArn, topicNameOf, type TopicMessage } from '@esb/contracts';
import { SubscriptionError, type SubscriptionStore } from './sns-subscriptions.js';

export const SNS_VERSION = '2010-03-31';
export const SNS_XML_NAMESPACE = `http://sns.amazonaws.com/doc/${SNS_VERSION}/`;
/** A message (with its subject and attributes) is at most 256 KB; a batch at most 10 of them, 256 KB together. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
export const MAX_BATCH_ENTRIES = 10;

/** An error of the whole request, in SNS's words (query protocol: Type, Code, status). */
export class SnsError extends Error {
  constructor(
    readonly code: 'InvalidParameter' | 'InvalidParameterValue' | 'InvalidAction' | 'NotFound' | 'TooManyEntriesInBatchRequest' | 'EmptyBatchRequest' | 'BatchEntryIdsNotDistinct' | 'BatchRequestTooLong',
    message: string,
    readonly status = code === 'NotFound' ? 404 : 400,
  ) {
    super(message);
    this.name = 'SnsError';
  }
}

/** Whether a query request is SNS's rather than SQS's: its API version, else its signature's service. */
export function isSnsRequest(fields: ReadonlyMap<string, string>, authorization: string | undefined): boolean {
  if (fields.get('Version') === SNS_VERSION) return true;
  return authorization !== undefined && /Credential=[^/]+\/\d{8}\/[^/]+\/sns\/aws4_request/.test(authorization);
}

export interface SnsOutcome {
  /** The answer's Result element, as XML. */
  resultXml: string;
  accepted: TopicMessage[];
}

export interface SnsContext {
  /** The publisher's X-Amzn-Trace-Id, kept with each message (docs/agent.md "Recursive loops"). */
  traceHeader?: string;
  /** Subscriptions made at run time: each accepted message carries those of its topic to the agent. */
  subscriptions?: SubscriptionStore;
  now?: () => Date;
  newId?: () => string;
  region?: string;
}

/** Runs one SNS operation of the query protocol. */
export function runSnsAction(action: string, fields: ReadonlyMap<string, string>, ctx: SnsContext = {}): SnsOutcome {
  const region = ctx.region ?? LOCAL_REGION;
  switch (action) {
    case 'Publish': {
      const { message, sequence } = readMessage(fields, '', topicOf(fields), ctx);
      return { resultXml: `<MessageId>${message.messageId}</MessageId>${sequence}`, accepted: withRuntimeSubscriptions([message], ctx) };
    }
    case 'PublishBatch': {
      const out = publishBatch(fields, ctx);
      return { ...out, accepted: withRuntimeSubscriptions(out.accepted, ctx) };
    }
    case 'Subscribe':
    case 'Unsubscribe':
    case 'ConfirmSubscription':
    case 'ListSubscriptions':
    case 'ListSubscriptionsByTopic':
    case 'GetSubscriptionAttributes':
    case 'SetSubscriptionAttributes':
      return { resultXml: subscriptionAction(action, fields, ctx), accepted: [] };
    case 'CreateTopic': {
      // Topics come from templates; an app that creates its topic at run time gets its ARN back.
      const name = fields.get('Name') ?? '';
      if (!TOPIC_NAME.test(name)) throw new SnsError('InvalidParameter', 'Invalid parameter: Topic Name');
      return { resultXml: `<TopicArn>${topicArn(name, region, LOCAL_ACCOUNT_ID)}</TopicArn>`, accepted: [] };
    }
    default:
      throw new SnsError('InvalidAction', `esb's SNS takes Publish, PublishBatch, CreateTopic and the subscription actions, not ${action.slice(0, 100)} (docs/sns.md).`);
  }
}

function withRuntimeSubscriptions(messages: TopicMessage[], ctx: SnsContext): TopicMessage[] {
  if (!ctx.subscriptions) return messages;
  return messages.map((m) => {
    const subscriptions = ctx.subscriptions!.ofTopic(m.topic);
    return subscriptions.length ? { ...m, subscriptions } : m;
  });
}

/** A page of ListSubscriptions(ByTopic): 100 at a time, NextToken the index of the next. */
const SUBSCRIPTIONS_PAGE = 100;

/** The subscription actions, over the subscriptions made at run time (docs/sns.md). */
function subscriptionAction(action: string, fields: ReadonlyMap<string, string>, ctx: SnsContext): string {
  const store = ctx.subscriptions;
  if (!store) throw new SnsError('InvalidAction', `esb's SNS has no subscriptions of its own here: ${action} is not taken`);
  const required = (name: string) => {
    const v = fields.get(name);
    if (v === undefined || v === '') throw new SnsError('InvalidParameter', `Invalid parameter: ${name} Reason: no value for required parameter`);
    return v;
  };
  try {
    switch (action) {
      case 'Subscribe': {
        const made = store.subscribe(topicOf(fields), required('Protocol'), fields.get('Endpoint'), entries(fields, 'Attributes'));
        return `<SubscriptionArn>${xml(made.arn)}</SubscriptionArn>`;
      }
      case 'ConfirmSubscription': {
        // Subscriptions here need no confirmation: the token names the subscription to confirm.
        const topic = topicOf(fields);
        const token = required('Token');
        const s = store.list(topic).find((x) => x.arn === token || x.subscription.id === token);
        if (!s) throw new SnsError('InvalidParameter', 'Invalid parameter: Token');
        return `<SubscriptionArn>${xml(s.arn)}</SubscriptionArn>`;
      }
      case 'Unsubscribe':
        store.unsubscribe(required('SubscriptionArn'));
        return '';
      case 'ListSubscriptions':
      case 'ListSubscriptionsByTopic': {
        const all = store.list(action === 'ListSubscriptionsByTopic' ? topicOf(fields) : undefined);
        const from = Number(fields.get('NextToken') ?? '0');
        if (!Number.isInteger(from) || from < 0) throw new SnsError('InvalidParameter', 'Invalid parameter: NextToken');
        const page = all.slice(from, from + SUBSCRIPTIONS_PAGE);
        const members = page.map((s) => `<member><TopicArn>${xml(topicArnOf(s.arn))}</TopicArn><Protocol>${xml(s.protocol)}</Protocol><SubscriptionArn>${xml(s.arn)}</SubscriptionArn><Owner>${LOCAL_ACCOUNT_ID}</Owner><Endpoint>${xml(s.endpoint)}</Endpoint></member>`);
        const next = from + SUBSCRIPTIONS_PAGE < all.length ? `<NextToken>${from + SUBSCRIPTIONS_PAGE}</NextToken>` : '';
        return `<Subscriptions>${members.join('')}</Subscriptions>${next}`;
      }
      case 'GetSubscriptionAttributes': {
        const attributes = store.attributes(required('SubscriptionArn'));
        return `<Attributes>${Object.entries(attributes).map(([k, v]) => `<entry><key>${xml(k)}</key><value>${xml(v)}</value></entry>`).join('')}</Attributes>`;
      }
      case 'SetSubscriptionAttributes':
        store.setAttribute(required('SubscriptionArn'), required('AttributeName'), fields.get('AttributeValue') ?? '');
        return '';
    }
  } catch (err) {
    if (err instanceof SubscriptionError) throw new SnsError(err.code === 'NotFound' ? 'NotFound' : 'InvalidParameter', err.message);
    throw err;
  }
  return '';
}

/** A subscription ARN's topic ARN (everything before its last part). */
function topicArnOf(subscriptionArn: string): string {
  return subscriptionArn.slice(0, subscriptionArn.lastIndexOf(':'));
}

/** A map of the query protocol (`<name>.entry.N.key` / `.value`). */
function entries(fields: ReadonlyMap<string, string>, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of fields) {
    const m = new RegExp(`^${name}\\.entry\\.(\\d+)\\.key$`).exec(key);
    if (m) out[value] = fields.get(`${name}.entry.${m[1]}.value`) ?? '';
  }
  return out;
}

function topicOf(fields: ReadonlyMap<string, string>): string {
  const arn = fields.get('TopicArn') ?? fields.get('TargetArn');
  if (arn === undefined) {
    if (fields.has('PhoneNumber')) throw new SnsError('InvalidParameter', 'Invalid parameter: PhoneNumber: SMS is not emulated by esb');
    throw new SnsError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
  }
  const name = topicNameOf(arn);
  if (name === undefined) throw new SnsError('InvalidParameter', `Invalid parameter: TopicArn Reason: ${arn.slice(0, 300)} is not the ARN of a topic`);
  return name;
}

function publishBatch(fields: ReadonlyMap<string, string>, ctx: SnsContext): SnsOutcome {
  const topic = topicOf(fields);
  const prefix = 'PublishBatchRequestEntries.member.';
  const indexes = new Set<number>();
  for (const key of fields.keys()) {
    if (!key.startsWith(prefix)) continue;
    const n = Number(key.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(n) && n >= 1 && n <= 1000) indexes.add(n);
  }
  if (indexes.size === 0) throw new SnsError('EmptyBatchRequest', 'The batch request doesn\'t contain any entries.');
  if (indexes.size > MAX_BATCH_ENTRIES) throw new SnsError('TooManyEntriesInBatchRequest', `The batch request contains more entries than permissible (${MAX_BATCH_ENTRIES}).`);
  const entries = [...indexes].sort((a, b) => a - b).map((n) => `${prefix}${n}.`);
  const ids = entries.map((p) => fields.get(`${p}Id`) ?? '');
  if (new Set(ids).size !== ids.length) throw new SnsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
  let total = 0;
  const successful: string[] = [];
  const failed: string[] = [];
  const accepted: TopicMessage[] = [];
  for (const [i, p] of entries.entries()) {
    const id = ids[i];
    try {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) throw new SnsError('InvalidParameter', 'Invalid parameter: Id: must be 1-80 letters, digits, - or _');
      const { message, sequence, bytes } = readMessage(fields, p, topic, ctx);
      total += bytes;
      if (total > MAX_MESSAGE_BYTES) throw new SnsError('BatchRequestTooLong', `The length of all the messages put together is more than the limit (${MAX_MESSAGE_BYTES} bytes).`);
      accepted.push(message);
      successful.push(`<member><Id>${xml(id)}</Id><MessageId>${message.messageId}</MessageId>${sequence}</member>`);
    } catch (err) {
      if (!(err instanceof SnsError)) throw err;
      if (err.code === 'BatchRequestTooLong') throw err;
      failed.push(`<member><Id>${xml(id)}</Id><Code>${err.code}</Code><Message>${xml(err.message)}</Message><SenderFault>true</SenderFault></member>`);
    }
  }
  return { resultXml: `<Successful>${successful.join('')}</Successful><Failed>${failed.join('')}</Failed>`, accepted };
}

let sequenceNumber = 10_000_000_000_000_000_000n;

/** One message's fields (`prefix` empty for Publish, `PublishBatchRequestEntries.member.N.` in a batch), checked. */
function readMessage(fields: ReadonlyMap<string, string>, prefix: string, topic: string, ctx: SnsContext): { message: TopicMessage; sequence: string; bytes: number } {
  const get = (name: string) => fields.get(`${prefix}${name}`);
  const text = get('Message');
  if (text === undefined || text === '') throw new SnsError('InvalidParameter', 'Invalid parameter: Message Reason: Empty message');
  const subject = get('Subject');
  if (subject !== undefined && (subject.length === 0 || subject.length > 100 || /[\n\r]/.test(subject))) throw new SnsError('InvalidParameter', 'Invalid parameter: Subject Reason: must be 1-100 characters on one line');
  const attributes = readAttributes(fields, `${prefix}MessageAttributes.entry.`);
  let bytes = Buffer.byteLength(text) + Buffer.byteLength(subject ?? '');
  for (const [name, a] of Object.entries(attributes)) bytes += Buffer.byteLength(name) + Buffer.byteLength(a.Type) + Buffer.byteLength(a.Value);
  if (bytes > MAX_MESSAGE_BYTES) throw new SnsError('InvalidParameter', `Invalid parameter: Message too long (${bytes} bytes; at most ${MAX_MESSAGE_BYTES})`);
  let perProtocol: Record<string, string> | undefined;
  if (get('MessageStructure') !== undefined) {
    if (get('MessageStructure') !== 'json') throw new SnsError('InvalidParameter', 'Invalid parameter: MessageStructure Reason: must be json');
    perProtocol = perProtocolMessages(text);
  }
  const fifo = topic.endsWith('.fifo');
  const groupId = get('MessageGroupId');
  const deduplicationId = get('MessageDeduplicationId');
  if (fifo && groupId === undefined) throw new SnsError('InvalidParameter', 'Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
  if (!fifo && deduplicationId !== undefined) throw new SnsError('InvalidParameter', 'Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type');
  const now = (ctx.now ?? (() => new Date()))();
  const message: TopicMessage = { topic, messageId: (ctx.newId ?? randomUUID)(), message: perProtocol?.default ?? text, timestamp: now.toISOString(), attributes };
  if (perProtocol) message.perProtocol = perProtocol;
  if (subject !== undefined) message.subject = subject;
  if (groupId !== undefined) message.groupId = groupId;
  if (deduplicationId !== undefined) message.deduplicationId = deduplicationId;
  if (ctx.traceHeader) message.traceHeader = ctx.traceHeader.slice(0, 1024);
  return { message, sequence: fifo ? `<SequenceNumber>${(sequenceNumber += 1n)}</SequenceNumber>` : '', bytes };
}

/** MessageStructure json: a JSON object of texts, one per protocol, `default` for the rest. */
function perProtocolMessages(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SnsError('InvalidParameter', 'Invalid parameter: Message Structure - JSON message body failed to parse');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SnsError('InvalidParameter', 'Invalid parameter: Message Structure - JSON message body failed to parse');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  if (out.default === undefined) throw new SnsError('InvalidParameter', 'Invalid parameter: Message Structure - No default entry in JSON message body');
  return out;
}

/** `MessageAttributes.entry.N.Name`, `.Value.DataType`, `.Value.StringValue` / `.Value.BinaryValue`. */
function readAttributes(fields: ReadonlyMap<string, string>, prefix: string): TopicMessage['attributes'] {
  const out: TopicMessage['attributes'] = {};
  for (let n = 1; fields.has(`${prefix}${n}.Name`); n++) {
    if (n > 10) throw new SnsError('InvalidParameterValue', 'Number of message attributes [11] exceeds the allowed maximum [10].');
    const name = fields.get(`${prefix}${n}.Name`)!;
    const type = fields.get(`${prefix}${n}.Value.DataType`);
    if (type === undefined || !/^(String|Number|Binary|String\.Array)(\..+)?$/.test(type)) throw new SnsError('InvalidParameterValue', `The message attribute '${name.slice(0, 256)}' has an invalid message attribute type ${type ?? '(none)'}: String, Number, Binary or String.Array.`);
    const value = type.startsWith('Binary') ? fields.get(`${prefix}${n}.Value.BinaryValue`) : fields.get(`${prefix}${n}.Value.StringValue`);
    if (value === undefined) throw new SnsError('InvalidParameterValue', `The message attribute '${name.slice(0, 256)}' must contain non-empty message attribute value.`);
    if (type.startsWith('Number') && !Number.isFinite(Number(value))) throw new SnsError('InvalidParameterValue', `The message attribute '${name.slice(0, 256)}' with type 'Number' must be a number.`);
    out[name] = { Type: type, Value: value };
  }
  return out;
}

/** The query protocol's answer to an operation. */
export function snsXmlResponse(action: string, resultXml: string, requestId: string): string {
  return `<?xml version="1.0"?><${action}Response xmlns="${SNS_XML_NAMESPACE}"><${action}Result>${resultXml}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

/** The query protocol's error answer. */
export function snsXmlError(err: SnsError, requestId: string): string {
  return `<?xml version="1.0"?><ErrorResponse xmlns="${SNS_XML_NAMESPACE}"><Error><Type>Sender</Type><Code>${err.code}</Code><Message>${xml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
