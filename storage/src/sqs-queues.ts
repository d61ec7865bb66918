// The queue model behind the storage's SQS server (docs/sqs.md): queues, their messages and the
// rules SQS applies to them (visibility timeouts, delays, retention, redrive to a dead-letter
// queue, FIFO groups and deduplication, message sizes, memory limits). Plain data and an
// injected clock: no I/O, no timers, so its tests need no sleeping. The HTTP adapter
// (sqs-server.ts) and the protocol codecs (sqs-actions.ts, sqs-wire.ts) sit on top of it.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT_ID, QUEUE_NAME, queueArn, queueNameOf } from '@esb/contracts';

/** Epoch milliseconds, injected. */
export interface QueueClock {
  now(): number;
}

export const systemQueueClock: QueueClock = { now: () => Date.now() };

// ---- errors ---------------------------------------------------------------------------------

/**
 * Every error the server answers with: the JSON protocol's name (`__type`), the query
 * protocol's code (also the JSON protocol's `x-amzn-query-error`) and the HTTP status, as the
 * SQS API model declares them.
 */
export const SQS_ERRORS = {
  QueueDoesNotExist: { queryCode: 'AWS.SimpleQueueService.NonExistentQueue', status: 400 },
  QueueNameExists: { queryCode: 'QueueAlreadyExists', status: 400 },
  InvalidAddress: { queryCode: 'InvalidAddress', status: 404 },
  InvalidParameterValue: { queryCode: 'InvalidParameterValue', status: 400 },
  MissingParameter: { queryCode: 'MissingParameter', status: 400 },
  InvalidAttributeName: { queryCode: 'InvalidAttributeName', status: 400 },
  InvalidAttributeValue: { queryCode: 'InvalidAttributeValue', status: 400 },
  InvalidMessageContents: { queryCode: 'InvalidMessageContents', status: 400 },
  ReceiptHandleIsInvalid: { queryCode: 'ReceiptHandleIsInvalid', status: 404 },
  MessageNotInflight: { queryCode: 'AWS.SimpleQueueService.MessageNotInflight', status: 400 },
  EmptyBatchRequest: { queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest', status: 400 },
  TooManyEntriesInBatchRequest: { queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', status: 400 },
  BatchEntryIdsNotDistinct: { queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', status: 400 },
  InvalidBatchEntryId: { queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId', status: 400 },
  BatchRequestTooLong: { queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong', status: 400 },
  OverLimit: { queryCode: 'OverLimit', status: 403 },
  UnsupportedOperation: { queryCode: 'AWS.SimpleQueueService.UnsupportedOperation', status: 400 },
  ResourceNotFoundException: { queryCode: 'ResourceNotFoundException', status: 400 },
  InvalidAction: { queryCode: 'InvalidAction', status: 400 },
  SerializationException: { queryCode: 'MalformedQueryString', status: 400 },
  RequestEntityTooLarge: { queryCode: 'RequestEntityTooLarge', status: 413 },
  InternalFailure: { queryCode: 'InternalFailure', status: 500 },
} as const;
export type SqsErrorCode = keyof typeof SQS_ERRORS;

export class SqsError extends Error {
  constructor(
    readonly code: SqsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SqsError';
  }
  get queryCode(): string {
    return SQS_ERRORS[this.code].queryCode;
  }
  get status(): number {
    return SQS_ERRORS[this.code].status;
  }
  /** Whether the caller is to blame (query protocol `<Type>`, batch entries' SenderFault). */
  get senderFault(): boolean {
    return this.status < 500;
  }
}

/** SQS's wording for a parameter it refuses. */
export function invalidParameter(name: string, value: unknown, reason: string): SqsError {
  return new SqsError('InvalidParameterValue', `Value ${shortText(value)} for parameter ${name} is invalid. Reason: ${reason}`);
}

/**
 * One AWS JSON request's (or list member's) fields, named as the services name them in errors
 * (`secretId`, `records.2.member.partitionKey`); each API adds its own typed readers.
 */
export class RequestFields {
  constructor(
    protected readonly data: Record<string, unknown>,
    protected readonly prefix = '',
  ) {}

  path(name: string): string {
    return `${this.prefix}${name.charAt(0).toLowerCase()}${name.slice(1)}`;
  }

  /** The field's value; JSON null is absent. */
  raw(name: string): unknown {
    const value = Object.hasOwn(this.data, name) ? this.data[name] : undefined;
    return value === null ? undefined : value;
  }
}

/** A value as an error message shows it: text as it is, anything else as JSON, cut at 100 characters. */
export function shortText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

// ---- message attributes and their MD5 -------------------------------------------------------

/** A message attribute: String/Number (StringValue) or Binary (BinaryValue), with optional `.custom` suffix. */
export interface AttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}
/** Attribute name -> value; null-prototype so that any name is just a key. */
export type Attributes = Record<string, AttributeValue>;

export function emptyDict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * SQS's MD5 of message attributes (the SDKs that check it recompute it this way): per
 * attribute, sorted by name, the 4-byte big-endian length and bytes of the name, the same of
 * the data type, one transport byte (1 string or number, 2 binary), then the length and bytes
 * of the value. Undefined for no attributes (SQS then leaves the field out).
 */
export function md5OfAttributes(attributes: Attributes): string | undefined {
  const names = Object.keys(attributes).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const value = attributes[name];
    parts.push(lengthPrefixed(Buffer.from(name, 'utf8')), lengthPrefixed(Buffer.from(value.DataType, 'utf8')));
    if (value.BinaryValue !== undefined) parts.push(Buffer.from([2]), lengthPrefixed(value.BinaryValue));
    else parts.push(Buffer.from([1]), lengthPrefixed(Buffer.from(value.StringValue ?? '', 'utf8')));
  }
  return md5Hex(Buffer.concat(parts));
}

function attributesBytes(attributes: Attributes): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    bytes += value.BinaryValue !== undefined ? value.BinaryValue.length : Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

/** The characters SQS accepts in a body or a string attribute (XML's character set). */
const INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function checkMessageText(text: string, what: string): void {
  const bad = INVALID_CHARACTER.exec(text);
  if (!bad) return;
  const code = bad[0].codePointAt(0)!.toString(16).toUpperCase();
  throw new SqsError('InvalidMessageContents', `Invalid binary character '#x${code}' was found in ${what}, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`);
}

// ---- queue attributes -----------------------------------------------------------------------

const MINUTE_MS = 60_000;
/** FIFO deduplication interval. */
export const DEDUP_WINDOW_MS = 5 * MINUTE_MS;
/** A message's visibility can be extended up to 12 hours after it was received. */
const MAX_IN_FLIGHT_MS = 12 * 60 * MINUTE_MS;
/** Sum of the bodies and attributes of one SendMessageBatch. */
export const MAX_BATCH_BYTES = 1_048_576;
/** Memory charged for a message beyond its bytes (ids, timestamps, the map entry). */
const MESSAGE_OVERHEAD_BYTES = 256;

type Canonical = (value: string, name: string) => string;

const invalidAttribute = (name: string, reason: string) => new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}. Reason: ${reason}`);

const integerIn =
  (min: number, max: number): Canonical =>
  (value, name) => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw invalidAttribute(name, `must be a whole number from ${min} to ${max}, not "${shortText(value)}"`);
    return String(n);
  };
const booleanText: Canonical = (value, name) => {
  const v = value.trim().toLowerCase();
  if (v !== 'true' && v !== 'false') throw invalidAttribute(name, `must be true or false, not "${shortText(value)}"`);
  return v;
};
const oneOf =
  (...allowed: string[]): Canonical =>
  (value, name) => {
    if (!allowed.includes(value)) throw invalidAttribute(name, `must be one of ${allowed.join(', ')}, not "${shortText(value)}"`);
    return value;
  };
const jsonText: Canonical = (value, name) => {
  if (value === '') return value;
  try {
    JSON.parse(value);
  } catch {
    throw invalidAttribute(name, 'must be a JSON document');
  }
  return value;
};
const anyText: Canonical = (value) => value;

interface AttributeRule {
  canonical: Canonical;
  /** Value of a new queue that was not given one. */
  default?: string;
  fifoOnly?: boolean;
  /** Only CreateQueue may set it. */
  createOnly?: boolean;
}

/** The attributes a client can set, with SQS's ranges and defaults. */
const SETTABLE: Record<string, AttributeRule> = {
  DelaySeconds: { canonical: integerIn(0, 900), default: '0' },
  MaximumMessageSize: { canonical: integerIn(1024, 1_048_576), default: '262144' },
  MessageRetentionPeriod: { canonical: integerIn(60, 1_209_600), default: '345600' },
  ReceiveMessageWaitTimeSeconds: { canonical: integerIn(0, 20), default: '0' },
  VisibilityTimeout: { canonical: integerIn(0, 43_200), default: '30' },
  // Checked against the queues by `canonicalRedrivePolicy`.
  RedrivePolicy: { canonical: anyText },
  RedriveAllowPolicy: { canonical: jsonText },
  Policy: { canonical: jsonText },
  KmsMasterKeyId: { canonical: anyText },
  KmsDataKeyReusePeriodSeconds: { canonical: integerIn(60, 86_400) },
  SqsManagedSseEnabled: { canonical: booleanText, default: 'true' },
  FifoQueue: { canonical: booleanText, createOnly: true },
  ContentBasedDeduplication: { canonical: booleanText, default: 'false', fifoOnly: true },
  DeduplicationScope: { canonical: oneOf('messageGroup', 'queue'), default: 'queue', fifoOnly: true },
  FifoThroughputLimit: { canonical: oneOf('perQueue', 'perMessageGroupId'), default: 'perQueue', fifoOnly: true },
};

/** The attributes GetQueueAttributes can name besides the settable ones. */
const READ_ONLY = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
] as const;

export const QUEUE_ATTRIBUTE_NAMES: readonly string[] = [...READ_ONLY, ...Object.keys(SETTABLE)];

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

// ---- the model ------------------------------------------------------------------------------

export interface Message {
  id: string;
  body: string;
  md5OfBody: string;
  attributes: Attributes;
  md5OfAttributes?: string;
  /** AWSTraceHeader, the only system attribute a sender can set. */
  systemAttributes: Attributes;
  md5OfSystemAttributes?: string;
  senderId: string;
  sentAt: number;
  /** Until then the message is delayed (DelaySeconds). */
  delayedUntil: number;
  /** Until then no receive returns it (delay, then visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  lastReceiveAt?: number;
  /** Changes on every receive: only the newest receipt handle deletes or changes the message. */
  receipt?: string;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
  /** The queue it was moved from by a redrive policy. */
  deadLetterSourceArn?: string;
  /** What the message is charged against the memory limits. */
  bytes: number;
}

interface DedupEntry {
  messageId: string;
  sequenceNumber?: string;
  expiresAt: number;
}

interface Queue {
  name: string;
  fifo: boolean;
  /** Settable attributes in canonical text (defaults included). */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  /** In arrival order (FIFO: sequence order). */
  messages: Map<string, Message>;
  bytes: number;
  dedup: Map<string, DedupEntry>;
  nextSequence: bigint;
  /** No message expires before this (retention); Infinity when empty. */
  nextExpiryAt: number;
}

/** A message move task (StartMessageMoveTask): a dead-letter queue's messages sent back (docs/sqs.md "Redrive"). */
export interface MoveTask {
  handle: string;
  sourceArn: string;
  destinationArn?: string;
  maxPerSecond?: number;
  status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  moved: number;
  toMove: number;
  failureReason?: string;
  startedAt: number;
}

/** Move tasks kept per source queue for ListMessageMoveTasks (the newest), as SQS keeps them. */
const KEPT_MOVE_TASKS = 10;

export interface QueueLimits {
  maxQueues: number;
  /** Bytes of messages one queue may hold (bodies + attributes + a fixed overhead per message). */
  maxQueueBytes: number;
  /** Bytes of messages all queues together may hold. */
  maxTotalBytes: number;
  /** FIFO deduplication ids remembered per queue (the oldest go first beyond it). */
  maxDedupEntries: number;
  maxTagsPerQueue: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = {
  maxQueues: 1000,
  maxQueueBytes: 64 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxDedupEntries: 100_000,
  maxTagsPerQueue: 50,
};

export interface SendInput {
  body: string;
  delaySeconds?: number;
  attributes?: Attributes;
  systemAttributes?: Attributes;
  groupId?: string;
  dedupId?: string;
  senderId?: string;
}

export interface SendResult {
  messageId: string;
  md5OfBody: string;
  md5OfAttributes?: string;
  md5OfSystemAttributes?: string;
  sequenceNumber?: string;
}

export interface ReceiveInput {
  /** 1-10 */
  max: number;
  /** Seconds; the queue's VisibilityTimeout when absent. */
  visibilityTimeout?: number;
}

export interface Delivery {
  message: Readonly<Message>;
  receiptHandle: string;
}

export interface QueueStoreOptions {
  clock?: QueueClock;
  limits?: Partial<QueueLimits>;
  account?: string;
  /** Told of every change to a queue or its messages (persistence, waking long polls). */
  onChange?: (queueName: string) => void;
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;
/** MessageGroupId and MessageDeduplicationId: 1-128 printable ASCII characters. */
const FIFO_ID = /^[!-~]{1,128}$/;

export class QueueStore {
  readonly clock: QueueClock;
  readonly limits: QueueLimits;
  readonly account: string;
  onChange: (queueName: string) => void;
  private readonly queues = new Map<string, Queue>();
  /** Message move tasks by source queue, newest first. */
  private readonly moveTasks = new Map<string, MoveTask[]>();
  private totalBytes = 0;

  constructor(options: QueueStoreOptions = {}) {
    this.clock = options.clock ?? systemQueueClock;
    this.limits = { ...DEFAULT_QUEUE_LIMITS, ...options.limits };
    this.account = options.account ?? LOCAL_ACCOUNT_ID;
    this.onChange = options.onChange ?? (() => {});
  }

  // -- queues --

  /** Creates a queue; the same name with the same given attributes is the existing queue. */
  createQueue(name: string, attributes: Record<string, string> = {}, tags: Record<string, string> = {}): void {
    if (!QUEUE_NAME.test(name)) {
      throw invalidParameter('QueueName', name, 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (a FIFO queue\'s name ends in .fifo, counted in the 80)');
    }
    const fifo = name.endsWith('.fifo');
    const given = this.canonicalAttributes(name, fifo, attributes, true);
    const fifoGiven = given.FifoQueue === 'true';
    if (fifo !== fifoGiven) {
      throw fifo
        ? new SqsError('InvalidParameterValue', `The queue ${name} ends in .fifo: a FIFO queue needs the attribute FifoQueue=true`)
        : new SqsError('InvalidParameterValue', `A FIFO queue's name must end in .fifo, not "${name}"`);
    }
    const existing = this.queues.get(name);
    if (existing) {
      for (const [key, value] of Object.entries(given)) {
        const current = existing.attributes[key] ?? (key === 'FifoQueue' ? 'false' : key === 'RedrivePolicy' || key === 'Policy' || key === 'RedriveAllowPolicy' ? '' : undefined);
        if (current !== value) throw new SqsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute ${key}`);
      }
      return;
    }
    if (this.queues.size >= this.limits.maxQueues) throw new SqsError('OverLimit', `This server holds ${this.queues.size} queues, its limit (docs/sqs.md "Limits")`);
    this.checkTagCount(name, Object.keys(tags).length);
    const now = this.clock.now();
    const defaults = emptyDict<string>();
    for (const [key, rule] of Object.entries(SETTABLE)) if (rule.default !== undefined && (fifo || !rule.fifoOnly)) defaults[key] = rule.default;
    const queue: Queue = {
      name,
      fifo,
      attributes: Object.assign(defaults, dropEmpty(given)),
      tags: Object.assign(emptyDict<string>(), tags),
      createdAt: now,
      modifiedAt: now,
      messages: new Map(),
      bytes: 0,
      dedup: new Map(),
      nextSequence: 1n,
      nextExpiryAt: Infinity,
    };
    if (!fifo) delete queue.attributes.FifoQueue;
    this.queues.set(name, queue);
    this.onChange(name);
  }

  deleteQueue(name: string): void {
    const queue = this.queue(name);
    this.totalBytes -= queue.bytes;
    this.queues.delete(name);
    this.onChange(name);
  }

  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  /** Names in order, starting with `prefix`. */
  queueNames(prefix = ''): string[] {
    return [...this.queues.keys()].filter((n) => n.startsWith(prefix)).sort();
  }

  /**
   * StartMessageMoveTask: the messages of the dead-letter queue `sourceArn` names go to
   * `destinationArn`'s queue, or each back to the queue it was moved from. They move at once:
   * the task is COMPLETED when this returns (FAILED when some had no queue to go to).
   */
  startMoveTask(sourceArn: string, destinationArn: string | undefined, maxPerSecond: number | undefined): MoveTask {
    const source = this.queueOfArn('SourceArn', sourceArn);
    if (this.deadLetterSources(source.name).length === 0) throw invalidParameter('SourceArn', sourceArn, 'Source queue must be configured as a Dead Letter Queue.');
    const destination = destinationArn === undefined ? undefined : this.queueOfArn('DestinationArn', destinationArn);
    if (destination === source) throw invalidParameter('DestinationArn', destinationArn, 'Destination queue must be different from the source queue.');
    const now = this.clock.now();
    const task: MoveTask = { handle: randomBytes(24).toString('base64url'), sourceArn, status: 'COMPLETED', moved: 0, toMove: source.messages.size, startedAt: now };
    if (destinationArn !== undefined) task.destinationArn = destinationArn;
    if (maxPerSecond !== undefined) task.maxPerSecond = maxPerSecond;
    let stranded = 0;
    for (const message of [...source.messages.values()]) {
      const target = destination ?? this.queues.get(queueNameOf(message.deadLetterSourceArn ?? '') ?? '');
      if (!target) {
        stranded++;
        continue;
      }
      // Back as a message not received yet.
      delete message.deadLetterSourceArn;
      delete message.firstReceiveAt;
      delete message.lastReceiveAt;
      message.receiveCount = 0;
      this.moveMessage(source, message, target, now);
      task.moved++;
    }
    if (task.moved > 0) this.onChange(source.name);
    if (stranded > 0) {
      task.status = 'FAILED';
      task.failureReason = `${stranded} message(s) were not moved: sent to the dead-letter queue directly, or their source queue is gone; give DestinationArn`;
    }
    const list = this.moveTasks.get(source.name) ?? [];
    this.moveTasks.set(source.name, [task, ...list].slice(0, KEPT_MOVE_TASKS));
    return task;
  }

  /** ListMessageMoveTasks: the newest tasks of the dead-letter queue `sourceArn` names, newest first. */
  moveTasksOf(sourceArn: string, max: number): MoveTask[] {
    const source = this.queueOfArn('SourceArn', sourceArn);
    return (this.moveTasks.get(source.name) ?? []).slice(0, max);
  }

  /** CancelMessageMoveTask: tasks end as they start here, so none is running. */
  cancelMoveTask(handle: string): never {
    const known = [...this.moveTasks.values()].flat().some((t) => t.handle === handle);
    throw new SqsError('ResourceNotFoundException', known ? 'The task has already ended: esb moves the messages when the task starts.' : 'The task handle does not name a message move task.');
  }

  private queueOfArn(field: string, arn: string): Queue {
    const name = /^arn:aws[\w-]*:sqs:/.test(arn) ? queueNameOf(arn) : undefined;
    if (name === undefined) throw invalidParameter(field, arn, 'must be the ARN of a queue.');
    const queue = this.queues.get(name);
    if (!queue) throw new SqsError('ResourceNotFoundException', `The resource that you specified for the ${field} parameter doesn't exist.`);
    return queue;
  }

  /** The queues whose redrive policy names `name` as the dead-letter queue. */
  deadLetterSources(name: string): string[] {
    this.queue(name);
    return this.queueNames().filter((n) => {
      const policy = this.redrivePolicy(this.queues.get(n)!);
      return policy !== undefined && queueNameOf(policy.deadLetterTargetArn) === name;
    });
  }

  setQueueAttributes(name: string, attributes: Record<string, string>): void {
    const queue = this.queue(name);
    const given = this.canonicalAttributes(name, queue.fifo, attributes, false);
    for (const [key, value] of Object.entries(given)) {
      if (value === '' && (key === 'RedrivePolicy' || key === 'Policy' || key === 'RedriveAllowPolicy' || key === 'KmsMasterKeyId')) delete queue.attributes[key];
      else queue.attributes[key] = value;
    }
    queue.modifiedAt = this.clock.now();
    queue.nextExpiryAt = 0; // the retention period may have changed: look again at the next access
    this.onChange(name);
  }

  /** The named attributes (`All`: every one that has a value), as text. */
  getQueueAttributes(name: string, names: readonly string[] = ['All']): Record<string, string> {
    const queue = this.queue(name);
    const now = this.clock.now();
    this.prune(queue, now);
    for (const n of names) {
      if (n !== 'All' && !QUEUE_ATTRIBUTE_NAMES.includes(n)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${n}.`);
    }
    const all = names.includes('All');
    const wanted = (n: string) => all || names.includes(n);
    const out = emptyDict<string>();
    if (wanted('QueueArn')) out.QueueArn = queueArn(name, undefined, this.account);
    if (wanted('ApproximateNumberOfMessages') || wanted('ApproximateNumberOfMessagesNotVisible') || wanted('ApproximateNumberOfMessagesDelayed')) {
      const counts = this.counts(queue, now);
      if (wanted('ApproximateNumberOfMessages')) out.ApproximateNumberOfMessages = String(counts.visible);
      if (wanted('ApproximateNumberOfMessagesNotVisible')) out.ApproximateNumberOfMessagesNotVisible = String(counts.inFlight);
      if (wanted('ApproximateNumberOfMessagesDelayed')) out.ApproximateNumberOfMessagesDelayed = String(counts.delayed);
    }
    if (wanted('CreatedTimestamp')) out.CreatedTimestamp = String(Math.floor(queue.createdAt / 1000));
    if (wanted('LastModifiedTimestamp')) out.LastModifiedTimestamp = String(Math.floor(queue.modifiedAt / 1000));
    for (const [key, value] of Object.entries(queue.attributes)) if (wanted(key)) out[key] = value;
    return out;
  }

  tagQueue(name: string, tags: Record<string, string>): void {
    const queue = this.queue(name);
    const merged = Object.assign(emptyDict<string>(), queue.tags, tags);
    this.checkTagCount(name, Object.keys(merged).length);
    queue.tags = merged;
    this.onChange(name);
  }

  untagQueue(name: string, keys: readonly string[]): void {
    const queue = this.queue(name);
    for (const key of keys) delete queue.tags[key];
    this.onChange(name);
  }

  listQueueTags(name: string): Record<string, string> {
    return Object.assign(emptyDict<string>(), this.queue(name).tags);
  }

  purgeQueue(name: string): void {
    const queue = this.queue(name);
    this.totalBytes -= queue.bytes;
    queue.bytes = 0;
    queue.messages.clear();
    queue.nextExpiryAt = Infinity;
    this.onChange(name);
  }

  // -- messages --

  send(name: string, input: SendInput): SendResult {
    const queue = this.queue(name);
    const now = this.clock.now();
    this.prune(queue, now);
    const { body } = input;
    const attributes = input.attributes ?? emptyDict<AttributeValue>();
    const systemAttributes = input.systemAttributes ?? emptyDict<AttributeValue>();
    if (body.length === 0) throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    checkMessageText(body, 'the message body');
    const maxSize = Number(queue.attributes.MaximumMessageSize);
    const size = Buffer.byteLength(body) + attributesBytes(attributes);
    if (size > maxSize) throw invalidParameter('MessageBody', `(${size} bytes)`, `Message must be shorter than ${maxSize} bytes.`);
    const result: SendResult = {
      messageId: randomUUID(),
      md5OfBody: md5Hex(body),
      md5OfAttributes: md5OfAttributes(attributes),
      md5OfSystemAttributes: md5OfAttributes(systemAttributes),
    };
    let delaySeconds = Number(queue.attributes.DelaySeconds);
    if (input.delaySeconds !== undefined) {
      if (queue.fifo) throw invalidParameter('DelaySeconds', input.delaySeconds, 'The request include parameter that is not valid for this queue type (a FIFO queue has only the queue\'s DelaySeconds)');
      if (!Number.isInteger(input.delaySeconds) || input.delaySeconds < 0 || input.delaySeconds > 900) throw invalidParameter('DelaySeconds', input.delaySeconds, 'DelaySeconds must be >= 0 and <= 900.');
      delaySeconds = input.delaySeconds;
    }
    if (input.groupId !== undefined && !FIFO_ID.test(input.groupId)) throw invalidParameter('MessageGroupId', input.groupId, 'must be 1 to 128 printable ASCII characters.');
    let dedupKey: string | undefined;
    if (queue.fifo) {
      if (input.groupId === undefined) throw new SqsError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
      let dedupId = input.dedupId;
      if (dedupId === undefined) {
        if (queue.attributes.ContentBasedDeduplication !== 'true') {
          throw new SqsError('InvalidParameterValue', 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
        }
        dedupId = createHash('sha256').update(body).digest('hex');
      } else if (!FIFO_ID.test(dedupId)) {
        throw invalidParameter('MessageDeduplicationId', dedupId, 'must be 1 to 128 printable ASCII characters.');
      }
      dedupKey = queue.attributes.DeduplicationScope === 'messageGroup' ? `${input.groupId}\n${dedupId}` : dedupId;
      const seen = queue.dedup.get(dedupKey);
      if (seen && seen.expiresAt > now) return { ...result, messageId: seen.messageId, sequenceNumber: seen.sequenceNumber };
      input = { ...input, dedupId };
    } else if (input.dedupId !== undefined) {
      throw invalidParameter('MessageDeduplicationId', input.dedupId, 'The request include parameter that is not valid for this queue type (only FIFO queues deduplicate)');
    }
    const bytes = size + MESSAGE_OVERHEAD_BYTES;
    this.checkRoom(queue, bytes);
    const message: Message = {
      id: result.messageId,
      body,
      md5OfBody: result.md5OfBody,
      attributes,
      ...(result.md5OfAttributes ? { md5OfAttributes: result.md5OfAttributes } : {}),
      systemAttributes,
      ...(result.md5OfSystemAttributes ? { md5OfSystemAttributes: result.md5OfSystemAttributes } : {}),
      senderId: input.senderId ?? this.account,
      sentAt: now,
      delayedUntil: now + delaySeconds * 1000,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
      ...(input.groupId !== undefined ? { groupId: input.groupId } : {}),
      ...(queue.fifo ? { dedupId: input.dedupId, sequenceNumber: this.nextSequence(queue) } : {}),
      bytes,
    };
    if (dedupKey !== undefined) this.remember(queue, dedupKey, { messageId: message.id, sequenceNumber: message.sequenceNumber, expiresAt: now + DEDUP_WINDOW_MS });
    this.add(queue, message);
    this.onChange(name);
    return { ...result, ...(message.sequenceNumber ? { sequenceNumber: message.sequenceNumber } : {}) };
  }

  /**
   * Up to `max` messages that are visible now, made invisible for the visibility timeout, each
   * with a new receipt handle. A message already received maxReceiveCount times moves to the
   * dead-letter queue instead. FIFO: in sequence order within a group, and nothing of a group
   * while a message of it is in flight.
   */
  receive(name: string, input: ReceiveInput): Delivery[] {
    const queue = this.queue(name);
    if (!Number.isInteger(input.max) || input.max < 1 || input.max > 10) throw invalidParameter('MaxNumberOfMessages', input.max, 'MaxNumberOfMessages must be between 1 and 10, if provided.');
    const visibility = input.visibilityTimeout ?? Number(queue.attributes.VisibilityTimeout);
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > 43_200) throw invalidParameter('VisibilityTimeout', visibility, 'VisibilityTimeout must be >= 0 and <= 43200.');
    const now = this.clock.now();
    this.prune(queue, now);
    const redrive = this.redrivePolicy(queue);
    const deadLetterQueue = redrive ? this.queues.get(queueNameOf(redrive.deadLetterTargetArn) ?? '') : undefined;
    const blockedGroups = new Set<string>();
    const out: Delivery[] = [];
    // Moving a message to a dead-letter queue deletes it from this map while it is iterated,
    // which a Map allows (nothing is added to it here).
    for (const message of queue.messages.values()) {
      if (out.length >= input.max) break;
      const visible = message.visibleAt <= now;
      if (queue.fifo) {
        const group = message.groupId!;
        if (blockedGroups.has(group)) continue;
        if (!visible) {
          blockedGroups.add(group);
          continue;
        }
      } else if (!visible) continue;
      if (redrive && deadLetterQueue && deadLetterQueue !== queue && message.receiveCount >= redrive.maxReceiveCount) {
        this.moveToDeadLetterQueue(queue, message, deadLetterQueue, now);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveAt ??= now;
      message.lastReceiveAt = now;
      message.visibleAt = now + visibility * 1000;
      message.receipt = randomBytes(12).toString('hex');
      out.push({ message, receiptHandle: encodeReceiptHandle(name, message.id, message.receipt) });
    }
    if (out.length > 0) this.onChange(name);
    return out;
  }

  /** Deletes the message of a receipt handle; a handle of a message gone or received again since is accepted and does nothing, as in SQS. */
  deleteMessage(name: string, receiptHandle: string): void {
    const queue = this.queue(name);
    const { message, current } = this.byReceipt(queue, receiptHandle);
    if (!message || !current) return;
    if (queue.fifo && message.visibleAt <= this.clock.now()) throw new SqsError('ReceiptHandleIsInvalid', 'The receipt handle has expired.');
    this.remove(queue, message);
    this.onChange(name);
  }

  changeVisibility(name: string, receiptHandle: string, visibilityTimeout: number): void {
    const queue = this.queue(name);
    if (!Number.isInteger(visibilityTimeout) || visibilityTimeout < 0 || visibilityTimeout > 43_200) {
      throw invalidParameter('VisibilityTimeout', visibilityTimeout, 'VisibilityTimeout must be >= 0 and <= 43200.');
    }
    const { message, current } = this.byReceipt(queue, receiptHandle);
    if (!message || !current) throw invalidParameter('ReceiptHandle', receiptHandle, 'Message does not exist or is not available for visibility timeout change.');
    const now = this.clock.now();
    if (message.visibleAt <= now) throw new SqsError('MessageNotInflight', `The message ${message.id} is not in flight (its visibility timeout has passed).`);
    if (now + visibilityTimeout * 1000 - message.lastReceiveAt! > MAX_IN_FLIGHT_MS) {
      throw invalidParameter('VisibilityTimeout', visibilityTimeout, 'Total VisibilityTimeout for the message is beyond the limit [43200 seconds]');
    }
    message.visibleAt = now + visibilityTimeout * 1000;
    this.onChange(name);
  }

  /** When the next message of the queue becomes visible (undefined: none waits), to time a long poll. */
  nextVisibleAt(name: string): number | undefined {
    const queue = this.queues.get(name);
    if (!queue) return undefined;
    const now = this.clock.now();
    let next = Infinity;
    for (const message of queue.messages.values()) if (message.visibleAt > now && message.visibleAt < next) next = message.visibleAt;
    return next === Infinity ? undefined : next;
  }

  /** Drops the messages past their retention period in every queue. */
  sweep(): void {
    const now = this.clock.now();
    for (const queue of this.queues.values()) this.prune(queue, now);
  }

  // -- snapshot --

  toSnapshot(): SqsSnapshot {
    return {
      version: 1,
      queues: [...this.queues.values()].map((q) => ({
        name: q.name,
        attributes: { ...q.attributes },
        tags: { ...q.tags },
        createdAt: q.createdAt,
        modifiedAt: q.modifiedAt,
        nextSequence: q.nextSequence.toString(),
        messages: [...q.messages.values()].map(messageToSnapshot),
        dedup: [...q.dedup].map(([key, e]) => ({ key, ...e })),
      })),
    };
  }

  /** Replaces every queue with the snapshot's; a snapshot that does not have the expected shape is an error saying where. */
  loadSnapshot(data: unknown): void {
    const snapshot = readSnapshot(data);
    this.queues.clear();
    this.totalBytes = 0;
    for (const s of snapshot.queues) {
      const queue: Queue = {
        name: s.name,
        fifo: s.name.endsWith('.fifo'),
        attributes: Object.assign(emptyDict<string>(), s.attributes),
        tags: Object.assign(emptyDict<string>(), s.tags),
        createdAt: s.createdAt,
        modifiedAt: s.modifiedAt,
        messages: new Map(),
        bytes: 0,
        dedup: new Map(s.dedup.map(({ key, ...e }) => [key, e])),
        nextSequence: BigInt(s.nextSequence),
        nextExpiryAt: Infinity,
      };
      for (const m of s.messages) this.add(queue, m);
      this.queues.set(s.name, queue);
    }
    this.sweep();
  }

  // -- internals --

  private queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new SqsError('QueueDoesNotExist', `The specified queue does not exist: ${name}`);
    return queue;
  }

  private canonicalAttributes(queueName: string, fifo: boolean, attributes: Record<string, string>, creating: boolean): Record<string, string> {
    const out = emptyDict<string>();
    for (const [key, raw] of Object.entries(attributes)) {
      const rule = SETTABLE[key];
      if (!rule || (rule.fifoOnly && !fifo)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${key}.`);
      if (typeof raw !== 'string') throw invalidAttribute(key, 'must be text');
      if (rule.createOnly && !creating) throw new SqsError('InvalidAttributeName', `The attribute ${key} can only be set when the queue is created.`);
      out[key] = key === 'RedrivePolicy' ? this.canonicalRedrivePolicy(queueName, fifo, raw) : rule.canonical(raw, key);
    }
    return out;
  }

  private canonicalRedrivePolicy(queueName: string, fifo: boolean, raw: string): string {
    if (raw.trim() === '') return '';
    const invalid = (reason: string) => invalidParameter('RedrivePolicy', raw, reason);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalid('Redrive policy is not a valid JSON map.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('Redrive policy is not a valid JSON map.');
    const { deadLetterTargetArn: arn, maxReceiveCount: count } = parsed as Record<string, unknown>;
    if (typeof arn !== 'string') throw invalid('Redrive policy does not contain mandatory attribute: deadLetterTargetArn.');
    const max = typeof count === 'string' && count.trim() !== '' ? Number(count) : count;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000) throw invalid('Invalid value for maxReceiveCount: must be a whole number from 1 to 1000.');
    const target = queueNameOf(arn);
    const targetQueue = target === undefined ? undefined : this.queues.get(target);
    if (!targetQueue) throw invalid('Dead-letter target does not exist.');
    if (target === queueName) throw invalid('Dead-letter target can\'t be the source queue.');
    if (targetQueue.fifo !== fifo) throw invalid('Dead-letter queue must be same type of queue as the source.');
    return JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: max });
  }

  private redrivePolicy(queue: Queue): RedrivePolicy | undefined {
    const text = queue.attributes.RedrivePolicy;
    return text ? (JSON.parse(text) as RedrivePolicy) : undefined;
  }

  private checkTagCount(name: string, count: number): void {
    if (count > this.limits.maxTagsPerQueue) throw new SqsError('InvalidParameterValue', `The queue ${name} would have ${count} tags; at most ${this.limits.maxTagsPerQueue} are allowed.`);
  }

  private checkRoom(queue: Queue, bytes: number): void {
    if (queue.bytes + bytes > this.limits.maxQueueBytes) {
      throw new SqsError('OverLimit', `The queue ${queue.name} holds ${queue.bytes} bytes of messages; this message would pass its limit of ${this.limits.maxQueueBytes} bytes (docs/sqs.md "Limits").`);
    }
    if (this.totalBytes + bytes > this.limits.maxTotalBytes) {
      throw new SqsError('OverLimit', `The queues of this server hold ${this.totalBytes} bytes of messages; this message would pass the limit of ${this.limits.maxTotalBytes} bytes (docs/sqs.md "Limits").`);
    }
  }

  private counts(queue: Queue, now: number): { visible: number; inFlight: number; delayed: number } {
    const counts = { visible: 0, inFlight: 0, delayed: 0 };
    for (const m of queue.messages.values()) {
      if (m.delayedUntil > now) counts.delayed += 1;
      else if (m.visibleAt > now) counts.inFlight += 1;
      else counts.visible += 1;
    }
    return counts;
  }

  private add(queue: Queue, message: Message): void {
    queue.messages.set(message.id, message);
    queue.bytes += message.bytes;
    this.totalBytes += message.bytes;
    queue.nextExpiryAt = Math.min(queue.nextExpiryAt, message.sentAt + Number(queue.attributes.MessageRetentionPeriod) * 1000);
  }

  private remove(queue: Queue, message: Message): void {
    queue.messages.delete(message.id);
    queue.bytes -= message.bytes;
    this.totalBytes -= message.bytes;
  }

  private moveToDeadLetterQueue(source: Queue, message: Message, target: Queue, now: number): void {
    message.deadLetterSourceArn = queueArn(source.name, undefined, this.account);
    this.moveMessage(source, message, target, now);
    this.onChange(source.name);
  }

  /** A message to another queue, visible there at once (a redrive policy's move, a move task's). */
  private moveMessage(source: Queue, message: Message, target: Queue, now: number): void {
    this.remove(source, message);
    delete message.receipt;
    message.visibleAt = now;
    message.delayedUntil = now;
    // A FIFO queue keeps the group order by a new sequence number, and its retention counts from
    // the move (a standard one keeps the original timestamp).
    if (target.fifo) {
      message.sequenceNumber = this.nextSequence(target);
      message.sentAt = now;
    }
    this.add(target, message);
    this.onChange(target.name);
  }

  private nextSequence(queue: Queue): string {
    const n = queue.nextSequence;
    queue.nextSequence += 1n;
    return n.toString().padStart(20, '0');
  }

  private remember(queue: Queue, key: string, entry: DedupEntry): void {
    queue.dedup.delete(key);
    queue.dedup.set(key, entry);
    while (queue.dedup.size > this.limits.maxDedupEntries) queue.dedup.delete(queue.dedup.keys().next().value!);
  }

  /** Drops the expired messages and deduplication ids of a queue. */
  private prune(queue: Queue, now: number): void {
    for (const [key, entry] of queue.dedup) {
      if (entry.expiresAt > now) break; // inserted in time order, all with the same window
      queue.dedup.delete(key);
    }
    if (now < queue.nextExpiryAt) return;
    const retentionMs = Number(queue.attributes.MessageRetentionPeriod) * 1000;
    let next = Infinity;
    let dropped = false;
    for (const message of [...queue.messages.values()]) {
      const expiresAt = message.sentAt + retentionMs;
      if (expiresAt <= now) {
        this.remove(queue, message);
        dropped = true;
      } else next = Math.min(next, expiresAt);
    }
    queue.nextExpiryAt = next;
    if (dropped) this.onChange(queue.name);
  }

  private byReceipt(queue: Queue, receiptHandle: string): { message: Message | undefined; current: boolean } {
    const decoded = decodeReceiptHandle(receiptHandle);
    if (!decoded || decoded.queue !== queue.name) throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${shortText(receiptHandle)}" is not a valid receipt handle.`);
    const message = queue.messages.get(decoded.messageId);
    return { message, current: message?.receipt === decoded.receipt };
  }
}

/** The checks SQS makes on the entry ids of a batch request, with its errors. */
export function checkBatchIds(ids: readonly unknown[]): void {
  if (ids.length === 0) throw new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.');
  if (ids.length > 10) throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${ids.length}.`);
  const seen = new Set<string>();
  for (const id of ids) {
    if (typeof id !== 'string' || !BATCH_ID.test(id)) throw new SqsError('InvalidBatchEntryId', `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long, not ${shortText(id)}.`);
    if (seen.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
}

function dropEmpty(attributes: Record<string, string>): Record<string, string> {
  const out = emptyDict<string>();
  for (const [k, v] of Object.entries(attributes)) if (v !== '') out[k] = v;
  return out;
}

// ---- receipt handles ------------------------------------------------------------------------

/** Opaque to clients: the queue, the message and the receive it came from. */
export function encodeReceiptHandle(queue: string, messageId: string, receipt: string): string {
  return Buffer.from(`${queue} ${messageId} ${receipt}`, 'utf8').toString('base64');
}

const RECEIPT = /^([A-Za-z0-9_.-]{1,80}) ([0-9a-f-]{36}) ([0-9a-f]{24})$/;

export function decodeReceiptHandle(handle: string): { queue: string; messageId: string; receipt: string } | undefined {
  if (handle.length > 1024 || !/^[A-Za-z0-9+/]+={0,2}$/.test(handle)) return undefined;
  const m = RECEIPT.exec(Buffer.from(handle, 'base64').toString('utf8'));
  return m ? { queue: m[1], messageId: m[2], receipt: m[3] } : undefined;
}

// ---- snapshot -------------------------------------------------------------------------------

interface AttributeSnapshot {
  DataType: string;
  StringValue?: string;
  /** base64 */
  BinaryValue?: string;
}
type MessageSnapshot = Omit<Message, 'attributes' | 'systemAttributes'> & { attributes: Record<string, AttributeSnapshot>; systemAttributes: Record<string, AttributeSnapshot> };

export interface SqsSnapshot {
  version: 1;
  queues: Array<{
    name: string;
    attributes: Record<string, string>;
    tags: Record<string, string>;
    createdAt: number;
    modifiedAt: number;
    nextSequence: string;
    messages: MessageSnapshot[];
    dedup: Array<{ key: string } & DedupEntry>;
  }>;
}

function attributesToSnapshot(attributes: Attributes): Record<string, AttributeSnapshot> {
  const out: Record<string, AttributeSnapshot> = {};
  for (const [name, v] of Object.entries(attributes)) {
    out[name] = { DataType: v.DataType, ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}), ...(v.BinaryValue !== undefined ? { BinaryValue: v.BinaryValue.toString('base64') } : {}) };
  }
  return out;
}

function messageToSnapshot(message: Message): MessageSnapshot {
  return { ...message, attributes: attributesToSnapshot(message.attributes), systemAttributes: attributesToSnapshot(message.systemAttributes) };
}

export class SnapshotShapeError extends Error {
  constructor(
    readonly where: string,
    reason: string,
  ) {
    super(`${where}: ${reason}`);
    this.name = 'SnapshotShapeError';
  }
}

/** The readers every snapshot's check starts from (queues, streams, secrets): each refusal names the field. */
export const SNAPSHOT_FIELDS = {
  object(v: unknown, where: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SnapshotShapeError(where, 'must be an object');
    return v as Record<string, unknown>;
  },
  array(v: unknown, where: string): unknown[] {
    if (!Array.isArray(v)) throw new SnapshotShapeError(where, 'must be a list');
    return v;
  },
  text(v: unknown, where: string): string {
    if (typeof v !== 'string') throw new SnapshotShapeError(where, 'must be text');
    return v;
  },
  number(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SnapshotShapeError(where, 'must be a number');
    return v;
  },
};

/** Checks the shape of a parsed snapshot field by field, so that a damaged file is an error naming the field, never a half-loaded store. */
function readSnapshot(data: unknown): { queues: Array<Omit<SqsSnapshot['queues'][number], 'messages'> & { messages: Message[] }> } {
  const { object, array, text, number } = SNAPSHOT_FIELDS;
  const optional = <T>(v: unknown, where: string, read: (v: unknown, where: string) => T): T | undefined => (v === undefined ? undefined : read(v, where));
  const texts = (v: unknown, where: string): Record<string, string> => {
    const out = emptyDict<string>();
    for (const [k, x] of Object.entries(object(v, where))) out[k] = text(x, `${where}.${k}`);
    return out;
  };
  const attributes = (v: unknown, where: string): Attributes => {
    const out = emptyDict<AttributeValue>();
    for (const [k, x] of Object.entries(object(v, where))) {
      const a = object(x, `${where}.${k}`);
      const binary = optional(a.BinaryValue, `${where}.${k}.BinaryValue`, text);
      const string = optional(a.StringValue, `${where}.${k}.StringValue`, text);
      out[k] = { DataType: text(a.DataType, `${where}.${k}.DataType`), ...(string !== undefined ? { StringValue: string } : {}), ...(binary !== undefined ? { BinaryValue: Buffer.from(binary, 'base64') } : {}) };
    }
    return out;
  };
  const root = object(data, 'snapshot');
  if (root.version !== 1) throw new SnapshotShapeError('version', `must be 1, not ${JSON.stringify(root.version)}`);
  const names = new Set<string>();
  const queues = array(root.queues, 'queues').map((rawQueue, i) => {
    const q = object(rawQueue, `queues[${i}]`);
    const where = `queues[${i}]`;
    const name = text(q.name, `${where}.name`);
    if (!QUEUE_NAME.test(name) || names.has(name)) throw new SnapshotShapeError(`${where}.name`, `"${name}" is not a queue name or appears twice`);
    names.add(name);
    const nextSequence = text(q.nextSequence, `${where}.nextSequence`);
    if (!/^\d{1,20}$/.test(nextSequence)) throw new SnapshotShapeError(`${where}.nextSequence`, 'must be digits');
    const queueAttributes = texts(q.attributes, `${where}.attributes`);
    for (const key of ['DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'VisibilityTimeout']) {
      if (!/^\d+$/.test(queueAttributes[key] ?? '')) throw new SnapshotShapeError(`${where}.attributes.${key}`, 'must be a whole number');
    }
    if (queueAttributes.RedrivePolicy !== undefined) {
      let policy: Record<string, unknown> | undefined;
      try {
        policy = object(JSON.parse(queueAttributes.RedrivePolicy), `${where}.attributes.RedrivePolicy`);
      } catch {
        policy = undefined;
      }
      if (!policy || typeof policy.deadLetterTargetArn !== 'string' || !Number.isInteger(policy.maxReceiveCount)) {
        throw new SnapshotShapeError(`${where}.attributes.RedrivePolicy`, 'must be the JSON of {deadLetterTargetArn, maxReceiveCount}');
      }
    }
    const messages = array(q.messages, `${where}.messages`).map((rawMessage, j): Message => {
      const mw = `${where}.messages[${j}]`;
      const m = object(rawMessage, mw);
      const body = text(m.body, `${mw}.body`);
      const message: Message = {
        id: text(m.id, `${mw}.id`),
        body,
        md5OfBody: md5Hex(body),
        attributes: attributes(m.attributes, `${mw}.attributes`),
        systemAttributes: attributes(m.systemAttributes, `${mw}.systemAttributes`),
        senderId: text(m.senderId, `${mw}.senderId`),
        sentAt: number(m.sentAt, `${mw}.sentAt`),
        delayedUntil: number(m.delayedUntil, `${mw}.delayedUntil`),
        visibleAt: number(m.visibleAt, `${mw}.visibleAt`),
        receiveCount: number(m.receiveCount, `${mw}.receiveCount`),
        bytes: number(m.bytes, `${mw}.bytes`),
      };
      const md5a = md5OfAttributes(message.attributes);
      if (md5a) message.md5OfAttributes = md5a;
      const md5s = md5OfAttributes(message.systemAttributes);
      if (md5s) message.md5OfSystemAttributes = md5s;
      for (const key of ['firstReceiveAt', 'lastReceiveAt'] as const) {
        const v = optional(m[key], `${mw}.${key}`, number);
        if (v !== undefined) message[key] = v;
      }
      for (const key of ['receipt', 'groupId', 'dedupId', 'sequenceNumber', 'deadLetterSourceArn'] as const) {
        const v = optional(m[key], `${mw}.${key}`, text);
        if (v !== undefined) message[key] = v;
      }
      return message;
    });
    const dedup = array(q.dedup, `${where}.dedup`).map((rawEntry, j) => {
      const e = object(rawEntry, `${where}.dedup[${j}]`);
      const sequenceNumber = optional(e.sequenceNumber, `${where}.dedup[${j}].sequenceNumber`, text);
      return {
        key: text(e.key, `${where}.dedup[${j}].key`),
        messageId: text(e.messageId, `${where}.dedup[${j}].messageId`),
        expiresAt: number(e.expiresAt, `${where}.dedup[${j}].expiresAt`),
        ...(sequenceNumber !== undefined ? { sequenceNumber } : {}),
      };
    });
    return {
      name,
      attributes: queueAttributes,
      tags: texts(q.tags, `${where}.tags`),
      createdAt: number(q.createdAt, `${where}.createdAt`),
      modifiedAt: number(q.modifiedAt, `${where}.modifiedAt`),
      nextSequence,
      messages,
      dedup,
    };
  });
  return { queues };
}
