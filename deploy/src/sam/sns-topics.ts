// SNS topics of a template (docs/sns.md): AWS::SNS::Topic (its name, its inline Subscription
// list), AWS::SNS::Subscription and SAM's `Type: SNS` function events, read into functions.yml
// `subscriptions`. Subscriptions of Lambda functions, SQS queues and Firehose delivery streams
// are kept, and email, email-json and sms ones as inboxes (a log to read); other protocols are
// warnings. Pure: property values come in resolved.
import { TOPIC_NAME, deliveryStreamNameOf, topicNameOf, type TopicSubscription } from '@esb/contracts';
import { flag, functionOfArn, patternText, queueOfArn, warnIfElsewhere, type DeliveryContext } from './delivery.js';
import { isRecord } from './resolver.js';

export const TOPIC_TYPE = 'AWS::SNS::Topic';
export const SUBSCRIPTION_TYPE = 'AWS::SNS::Subscription';
/** Protocols SNS delivers to that esb does not: a subscription with one is a warning. */
const UNEMULATED_PROTOCOLS = ['http', 'https', 'application'];
/** Protocols whose messages reach a person: kept as an inbox whose log shows what was sent. */
const INBOX_PROTOCOLS = ['email', 'email-json', 'sms'];
/** Protocols esb delivers to, and what their Endpoint must be. */
const PROTOCOLS: Record<string, { of: (arn: string) => Exclude<SubscriptionEndpoint, { inbox: string }> | undefined; wanted: string }> = {
  lambda: { of: (arn) => ((fn) => (fn === undefined ? undefined : { function: fn }))(functionOfArn(arn)), wanted: 'a Lambda function (!GetAtt Function.Arn)' },
  sqs: { of: (arn) => ((queue) => (queue === undefined ? undefined : { queue }))(queueOfArn(arn)), wanted: 'an SQS queue (!GetAtt Queue.Arn)' },
  firehose: { of: (arn) => ((name) => (name === undefined ? undefined : { delivery_stream: name }))(deliveryStreamNameOf(arn)), wanted: 'a Firehose delivery stream (!GetAtt DeliveryStream.Arn)' },
};
const FILTER_SCOPES = ['MessageAttributes', 'MessageBody'] as const;

/** Where a subscription delivers: a function (by key), a queue or a delivery stream (by name), or an inbox (`email:me@example.com`). */
export type SubscriptionEndpoint = { function: string } | { queue: string } | { delivery_stream: string } | { inbox: string };

/** What a subscription matches messages with: FilterPolicy and FilterPolicyScope. */
type SubscriptionFilter = Pick<TopicSubscription, 'filter_policy' | 'filter_scope'>;

/** The topic a TopicArn (or a SAM event's Topic) names: `!Ref Topic` is the topic's ARN. */
function topicOf(ctx: DeliveryContext, id: string, field: string, arn: unknown): string {
  const topic = typeof arn === 'string' ? topicNameOf(arn) : undefined;
  if (topic === undefined) ctx.fail(id, field, `must be the ARN of an SNS topic (!Ref Topic), not ${JSON.stringify(arn)}`);
  return topic;
}

/** FilterPolicy (a map or its JSON text, checked as an event pattern) and FilterPolicyScope. */
function subscriptionFilter(ctx: DeliveryContext, id: string, at: (f: string) => string, p: Record<string, unknown>): SubscriptionFilter {
  const scope = p.FilterPolicyScope ?? 'MessageAttributes';
  if (!FILTER_SCOPES.includes(scope as SubscriptionFilter['filter_scope'])) ctx.fail(id, at('FilterPolicyScope'), `must be MessageAttributes or MessageBody, not ${JSON.stringify(p.FilterPolicyScope)}`);
  const policy = p.FilterPolicy === undefined ? {} : { filter_policy: patternText(ctx, id, at('FilterPolicy'), p.FilterPolicy) };
  return { ...policy, filter_scope: scope as SubscriptionFilter['filter_scope'] };
}

/**
 * Where a subscription's Protocol and Endpoint deliver: a function (`lambda`, a function ARN), a
 * queue (`sqs`, a queue ARN) or a delivery stream (`firehose`, its ARN). Other protocols, and a
 * delivery stream of the template that esb does not run, are a warning under `label`, and nothing.
 */
function endpointOf(ctx: DeliveryContext, id: string, label: string, at: (f: string) => string, p: Record<string, unknown>): SubscriptionEndpoint | undefined {
  const protocol = typeof p.Protocol === 'string' ? p.Protocol.toLowerCase() : undefined;
  if (protocol === undefined || (!(protocol in PROTOCOLS) && !UNEMULATED_PROTOCOLS.includes(protocol) && !INBOX_PROTOCOLS.includes(protocol))) {
    ctx.fail(id, at('Protocol'), `must be one of ${[...Object.keys(PROTOCOLS), ...INBOX_PROTOCOLS, ...UNEMULATED_PROTOCOLS].join(', ')}, not ${JSON.stringify(p.Protocol)}`);
  }
  if (INBOX_PROTOCOLS.includes(protocol)) {
    if (typeof p.Endpoint !== 'string' || p.Endpoint.trim() === '') ctx.fail(id, at('Endpoint'), `must be the ${protocol === 'sms' ? 'phone number' : 'e-mail address'} the messages go to`);
    return { inbox: `${protocol}:${p.Endpoint.trim()}` };
  }
  if (UNEMULATED_PROTOCOLS.includes(protocol)) {
    ctx.warn(`${label}: protocol ${protocol} subscriptions are not emulated; only Lambda functions, SQS queues, Firehose delivery streams and email or sms inboxes receive messages (docs/sns.md)`);
    return undefined;
  }
  const endpoint = typeof p.Endpoint === 'string' ? p.Endpoint : '';
  const to = PROTOCOLS[protocol].of(endpoint);
  if (to === undefined) ctx.fail(id, at('Endpoint'), `must be the ARN of ${PROTOCOLS[protocol].wanted} for protocol ${protocol}, not ${JSON.stringify(p.Endpoint)}`);
  if ('delivery_stream' in to && ctx.deliveryStream?.(to.delivery_stream) === 'not run') {
    ctx.warn(`${label}: delivery stream "${to.delivery_stream}" is not run by esb (see its warning); the subscription delivers nothing (docs/firehose.md)`);
    return undefined;
  }
  warnIfElsewhere(ctx, `${id}.${at('Endpoint')}`, to, 'messages');
  return to;
}

function warnRedrive(ctx: DeliveryContext, where: string): void {
  ctx.warn(`${where}: not emulated; a message that cannot be delivered is dropped, not sent to a dead-letter queue (docs/sns.md)`);
}

/**
 * An AWS::SNS::Topic, its properties resolved; `name` is its TopicName (else the one esb
 * makes). Its inline Subscription list gives subscriptions `<Topic>Subscription<n>`.
 */
export function readTopic(ctx: DeliveryContext, id: string, props: Record<string, unknown>, name: string): TopicSubscription[] {
  if (!TOPIC_NAME.test(name)) ctx.fail(id, 'TopicName', `"${name}" is not a valid topic name (1-256 of letters, digits, "-", "_"; a FIFO topic's ends in .fifo)`);
  const fifo = flag(ctx, id, 'FifoTopic', props.FifoTopic) ?? false;
  if (fifo !== name.endsWith('.fifo')) ctx.fail(id, fifo ? 'TopicName' : 'FifoTopic', 'a FIFO topic (FifoTopic: true) must have a name ending in .fifo, and only a FIFO topic may');
  if (props.Subscription === undefined) return [];
  if (!Array.isArray(props.Subscription)) ctx.fail(id, 'Subscription', 'must be a list of {Endpoint, Protocol}');
  const out: TopicSubscription[] = [];
  for (const [i, s] of props.Subscription.entries()) {
    const field = `Subscription[${i}]`;
    if (!isRecord(s)) ctx.fail(id, field, 'must be a map with Endpoint and Protocol');
    const to = endpointOf(ctx, id, `${id}.${field}`, (f) => `${field}.${f}`, s);
    if (to) out.push({ topic: name, id: `${id}Subscription${i + 1}`, ...to, filter_scope: 'MessageAttributes', raw: false });
  }
  return out;
}

/** An AWS::SNS::Subscription, its properties resolved; undefined when its protocol is not emulated. */
export function readSubscription(ctx: DeliveryContext, id: string, props: Record<string, unknown>): TopicSubscription | undefined {
  const at = (f: string) => f;
  const topic = topicOf(ctx, id, 'TopicArn', props.TopicArn);
  const filter = subscriptionFilter(ctx, id, at, props);
  const raw = flag(ctx, id, 'RawMessageDelivery', props.RawMessageDelivery) ?? false;
  const to = endpointOf(ctx, id, id, at, props);
  if (to === undefined) return undefined;
  if (raw && 'function' in to) ctx.warn(`${id}.RawMessageDelivery: applies to SQS queues and delivery streams only; a function gets SNS's event (docs/sns.md)`);
  if (props.RedrivePolicy !== undefined) warnRedrive(ctx, `${id}.RedrivePolicy`);
  return { topic, id, ...to, ...filter, raw: raw && !('function' in to) };
}

/**
 * SAM's `Type: SNS` event of a function: a subscription `<Function><Event>` to its Topic, of
 * the function or, with SqsSubscription, of the queue SAM puts between (`to`). SAM's queue gets
 * SNS's envelope: such a subscription is never raw.
 */
export function samTopicSubscription(ctx: DeliveryContext, fnId: string, event: string, p: Record<string, unknown>, to: SubscriptionEndpoint): TopicSubscription {
  const at = (f: string) => `Events.${event}.Properties.${f}`;
  if (p.Topic === undefined) ctx.fail(fnId, at('Topic'), 'missing: the ARN of the topic (!Ref Topic)');
  const topic = topicOf(ctx, fnId, at('Topic'), p.Topic);
  const filter = subscriptionFilter(ctx, fnId, at, p);
  if (p.RedrivePolicy !== undefined) warnRedrive(ctx, `${fnId}.${at('RedrivePolicy')}`);
  return { topic, id: `${fnId}${event}`, ...to, ...filter, raw: false };
}
