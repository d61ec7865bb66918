// SNS subscriptions of functions.yml (docs/sns.md): each message a topic accepted goes to every
// subscription of that topic whose filter policy takes it (matched against the message's
// attributes, or its JSON body): a function is invoked asynchronously with the event SNS sends
// Lambda, a queue gets SNS's JSON envelope, or the bare message when the subscription is raw, a
// delivery stream a record of either (docs/firehose.md), an email, email-json or sms inbox what
// the person would get, as a line of its log.
// Pure matching and shaping; the agent fires and sends.
import { compileFilters, LOCAL_ACCOUNT_ID, lineageOf, RECURSION_LIMIT, topicArn, withLineage, type FunctionsFile, type TopicMessage, type TopicSubscription } from '@esb/contracts';
import type { FifoFields, SqsStringAttributes } from './sqs-events.js';

interface CompiledSubscription {
  subscription: TopicSubscription;
  /** The filter policy as one test: none takes all, one that no longer parses takes nothing. */
  takes: (subject: unknown) => boolean;
}

export interface TopicSubscriptionsOptions {
  region: string;
  /** `traceId`: the publisher's trace header, one hop further (docs/agent.md "Recursive loops"). */
  fire(functionName: string, payload: Buffer, subscription: string, traceId?: string): void;
  send(queueName: string, body: string, subscription: string, attributes?: SqsStringAttributes, fifo?: FifoFields, traceHeader?: string): void;
  /** Puts a record to a Firehose delivery stream (protocol firehose). */
  put?(deliveryStream: string, data: Buffer, subscription: string): void;
  /** Writes what an email, email-json or sms endpoint gets to its inbox (`email:me@example.com`). */
  inbox?(inbox: string, text: string, messageId: string): void;
  /** Told of a message not delivered because its chain of invocations is a recursive loop. */
  warn?(fields: Record<string, unknown>, message: string): void;
  /** Told of a message to a topic that no deployed subscription reads (once per topic). */
  info?(fields: Record<string, unknown>, message: string): void;
}

/** What SNS signs with; esb does not sign, the fields are there for code that reads them. */
const SIGNATURE = 'RVNCIGRvZXMgbm90IHNpZ24gbWVzc2FnZXM=';

export class TopicSubscriptions {
  private byTopic = new Map<string, CompiledSubscription[]>();
  private readonly quietTopics = new Set<string>();
  constructor(private readonly o: TopicSubscriptionsOptions) {}

  setFunctions(file: FunctionsFile): void {
    const byTopic = new Map<string, CompiledSubscription[]>();
    for (const subscription of Object.values(file.subscriptions ?? {})) {
      const list = byTopic.get(subscription.topic) ?? byTopic.set(subscription.topic, []).get(subscription.topic)!;
      list.push({ subscription, takes: compileFilters(subscription.filter_policy === undefined ? undefined : [subscription.filter_policy]) });
    }
    this.byTopic = byTopic;
  }

  /** Sends each message to the subscriptions of its topic that take it; how many got one. */
  deliver(messages: readonly TopicMessage[]): number {
    let sent = 0;
    for (const m of messages) {
      const fromFile = this.byTopic.get(m.topic);
      const subscriptions = m.subscriptions?.length ? [...(fromFile ?? []), ...m.subscriptions.map((s) => this.compiled(s))] : fromFile;
      if (!subscriptions) {
        if (!this.quietTopics.has(m.topic)) this.o.info?.({ topic: m.topic }, `a message was published to topic ${m.topic}, which no deployed subscription reads`);
        this.quietTopics.add(m.topic);
        continue;
      }
      const hops = lineageOf(m.traceHeader);
      for (const { subscription: s, takes } of subscriptions) {
        if (!takes(filterSubject(m, s.filter_scope))) continue;
        const arn = subscriptionArn(s, this.o.region);
        if (s.function !== undefined) {
          if (hops >= RECURSION_LIMIT) {
            this.o.warn?.({ topic: m.topic, fn: s.function }, `recursive loop stopped: a message of topic ${m.topic} comes from a chain of ${RECURSION_LIMIT} invocations; ${s.function} is not invoked with it`);
            continue;
          }
          this.o.fire(s.function, Buffer.from(JSON.stringify(lambdaEvent(m, arn, this.o.region))), s.id, m.traceHeader ? withLineage(m.traceHeader, hops + 1) : undefined);
        } else if (s.queue !== undefined) {
          const fifo = m.groupId !== undefined ? { groupId: m.groupId, deduplicationId: m.deduplicationId ?? m.messageId } : undefined;
          if (s.raw) this.o.send(s.queue, m.perProtocol?.sqs ?? m.message, s.id, queueAttributes(m), fifo, m.traceHeader);
          else this.o.send(s.queue, JSON.stringify(queueEnvelope(m, arn, this.o.region)), s.id, undefined, fifo, m.traceHeader);
        } else if (s.delivery_stream !== undefined) {
          // One record a message, a line each, as SNS writes them through Firehose.
          const text = s.raw ? (m.perProtocol?.firehose ?? m.message) : JSON.stringify(firehoseEnvelope(m, arn, this.o.region));
          this.o.put?.(s.delivery_stream, Buffer.from(`${text}\n`), s.id);
        } else if (s.inbox !== undefined) {
          this.o.inbox?.(s.inbox, inboxText(m, s.inbox, arn, this.o.region), m.messageId);
        }
        sent++;
      }
    }
    return sent;
  }

  /** Filters of the subscriptions made at run time, compiled once each (by subscription and policy). */
  private readonly runtime = new Map<string, CompiledSubscription>();

  private compiled(subscription: TopicSubscription): CompiledSubscription {
    const key = JSON.stringify(subscription);
    let c = this.runtime.get(key);
    if (!c) {
      if (this.runtime.size >= 10_000) this.runtime.clear();
      c = { subscription, takes: compileFilters(subscription.filter_policy === undefined ? undefined : [subscription.filter_policy]) };
      this.runtime.set(key, c);
    }
    return c;
  }

  /** The subscriptions in force, for the agent's stats. */
  list(): Array<{ topic: string; subscription: string; target: string }> {
    return [...this.byTopic.values()].flat().map(({ subscription: s }) => ({ topic: s.topic, subscription: s.id, target: s.function !== undefined ? `function:${s.function}` : s.delivery_stream !== undefined ? `delivery_stream:${s.delivery_stream}` : s.inbox !== undefined ? `inbox:${s.inbox}` : `queue:${s.queue}` }));
  }
}

/**
 * What a filter policy is matched against: the message attributes (String as text, Number as a
 * number, String.Array as its list; Binary cannot be matched), or the message's JSON body.
 */
export function filterSubject(m: TopicMessage, scope: TopicSubscription['filter_scope']): unknown {
  if (scope === 'MessageBody') {
    try {
      return JSON.parse(m.message) as unknown;
    } catch {
      return undefined;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, { Type, Value }] of Object.entries(m.attributes)) {
    if (Type.startsWith('Number')) out[name] = Number(Value);
    else if (Type.startsWith('String.Array')) {
      try {
        out[name] = JSON.parse(Value) as unknown;
      } catch {
        out[name] = Value;
      }
    } else if (Type.startsWith('String')) out[name] = Value;
  }
  return out;
}

function subscriptionArn(s: TopicSubscription, region: string): string {
  return `${topicArn(s.topic, region, LOCAL_ACCOUNT_ID)}:${s.id}`;
}

const signingCertUrl = (region: string) => `https://sns.${region}.amazonaws.com/SimpleNotificationService-esb.pem`;
const unsubscribeUrl = (region: string, arn: string) => `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${arn}`;

/** The event SNS invokes a Lambda function with: one record. */
export function lambdaEvent(m: TopicMessage, subscriptionArn: string, region: string): unknown {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: m.messageId,
          TopicArn: topicArn(m.topic, region, LOCAL_ACCOUNT_ID),
          Subject: m.subject ?? null,
          Message: m.perProtocol?.lambda ?? m.message,
          Timestamp: m.timestamp,
          SignatureVersion: '1',
          Signature: SIGNATURE,
          SigningCertUrl: signingCertUrl(region),
          UnsubscribeUrl: unsubscribeUrl(region, subscriptionArn),
          MessageAttributes: m.attributes,
        },
      },
    ],
  };
}

/** The JSON envelope an SQS queue subscribed without raw delivery gets (note SQS's URL spelling). */
export function queueEnvelope(m: TopicMessage, subscriptionArn: string, region: string): unknown {
  return {
    Type: 'Notification',
    MessageId: m.messageId,
    TopicArn: topicArn(m.topic, region, LOCAL_ACCOUNT_ID),
    ...(m.subject !== undefined ? { Subject: m.subject } : {}),
    Message: m.perProtocol?.sqs ?? m.message,
    Timestamp: m.timestamp,
    SignatureVersion: '1',
    Signature: SIGNATURE,
    SigningCertURL: signingCertUrl(region),
    UnsubscribeURL: unsubscribeUrl(region, subscriptionArn),
    ...(Object.keys(m.attributes).length ? { MessageAttributes: m.attributes } : {}),
  };
}

/**
 * What an inbox shows of a message: for email the subject line SNS gives (Subject, else "AWS
 * Notification Message") and the text, for email-json SNS's JSON document, for sms the text.
 */
export function inboxText(m: TopicMessage, inbox: string, subscriptionArn: string, region: string): string {
  const protocol = inbox.slice(0, inbox.indexOf(':'));
  const to = inbox.slice(protocol.length + 1);
  if (protocol === 'email-json') return JSON.stringify({ ...(queueEnvelope(m, subscriptionArn, region) as Record<string, unknown>), Message: m.perProtocol?.['email-json'] ?? m.message });
  if (protocol === 'sms') return `To: ${to} | ${m.perProtocol?.sms ?? m.message}`;
  return `To: ${to} | Subject: ${m.subject ?? 'AWS Notification Message'} | ${m.perProtocol?.email ?? m.message}`;
}

/** What a delivery stream subscribed without raw delivery gets: SNS's JSON, without the signature fields. */
export function firehoseEnvelope(m: TopicMessage, subscriptionArn: string, region: string): unknown {
  return {
    Type: 'Notification',
    MessageId: m.messageId,
    TopicArn: topicArn(m.topic, region, LOCAL_ACCOUNT_ID),
    ...(m.subject !== undefined ? { Subject: m.subject } : {}),
    Message: m.perProtocol?.firehose ?? m.message,
    Timestamp: m.timestamp,
    UnsubscribeURL: unsubscribeUrl(region, subscriptionArn),
    ...(Object.keys(m.attributes).length ? { MessageAttributes: m.attributes } : {}),
  };
}

/** Raw delivery: the message's String and Number attributes as the queue message's own. */
function queueAttributes(m: TopicMessage): SqsStringAttributes | undefined {
  const out: SqsStringAttributes = {};
  for (const [name, { Type, Value }] of Object.entries(m.attributes)) {
    if (Type.startsWith('Number')) out[name] = { DataType: 'Number', StringValue: Value };
    else if (Type.startsWith('String')) out[name] = { DataType: 'String', StringValue: Value };
  }
  return Object.keys(out).length ? out : undefined;
}
