// SNS subscriptions made at run time (Subscribe, docs/sns.md "Subscriptions made at run time"):
// kept here, snapshotted with the queues, and handed to the agent with each message of their
// topic, which delivers them as it delivers the template's. Pure model: the server persists it.
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT_ID, scheduleTargetOf, TopicSubscription, topicArn } from '@esb/contracts';

/** Subscriptions kept at most (Subscribe answers a limit error past it). */
export const MAX_RUNTIME_SUBSCRIPTIONS = 10_000;

/** A refusal in SNS's words: the parameter and why. */
export class SubscriptionError extends Error {
  constructor(
    readonly code: 'InvalidParameter' | 'NotFound' | 'SubscriptionLimitExceeded',
    message: string,
  ) {
    super(message);
    this.name = 'SubscriptionError';
  }
}

export interface RuntimeSubscription {
  arn: string;
  protocol: string;
  endpoint: string;
  /** What the agent delivers by (id: the ARN's last part). */
  subscription: TopicSubscription;
}

/** The protocols a subscription made at run time can have here. */
const PROTOCOLS = new Set(['sqs', 'lambda', 'firehose', 'email', 'email-json', 'sms']);

/** What Subscribe's Attributes may set (and SetSubscriptionAttributes). */
const SETTABLE = new Set(['RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope', 'DeliveryPolicy', 'RedrivePolicy', 'SubscriptionRoleArn', 'ReplayPolicy']);

export class SubscriptionStore {
  private readonly byArn = new Map<string, RuntimeSubscription>();
  /** Told after every change (the server writes its snapshot). */
  onChange: () => void = () => {};

  constructor(private readonly region: string) {}

  /** Subscribe: the same topic, protocol and endpoint again answer the subscription there is (attributes updated). */
  subscribe(topic: string, protocol: string, endpoint: string | undefined, attributes: Record<string, string>): RuntimeSubscription {
    const p = protocol.toLowerCase();
    if (!PROTOCOLS.has(p)) {
      throw new SubscriptionError('InvalidParameter', `Invalid parameter: Protocol: esb delivers to sqs, lambda, firehose, email, email-json and sms subscriptions, not ${protocol.slice(0, 50)} (docs/sns.md)`);
    }
    if (endpoint === undefined || endpoint === '') throw new SubscriptionError('InvalidParameter', 'Invalid parameter: Endpoint Reason: no value for required parameter');
    for (const name of Object.keys(attributes)) {
      if (!SETTABLE.has(name)) throw new SubscriptionError('InvalidParameter', `Invalid parameter: Attributes Reason: Unknown attribute ${name.slice(0, 100)}`);
    }
    const same = [...this.byArn.values()].find((s) => s.subscription.topic === topic && s.protocol === p && s.endpoint === endpoint);
    if (!same && this.byArn.size >= MAX_RUNTIME_SUBSCRIPTIONS) throw new SubscriptionError('SubscriptionLimitExceeded', `esb keeps at most ${MAX_RUNTIME_SUBSCRIPTIONS} subscriptions made at run time`);
    const id = same?.subscription.id ?? randomUUID();
    const arn = same?.arn ?? `${topicArn(topic, this.region, LOCAL_ACCOUNT_ID)}:${id}`;
    const given = { ...(same ? attributesOf(same.subscription) : {}), ...attributes };
    const made: RuntimeSubscription = { arn, protocol: p, endpoint, subscription: subscriptionOf(topic, id, p, endpoint, given) };
    this.byArn.set(arn, made);
    this.onChange();
    return made;
  }

  unsubscribe(arn: string): void {
    // SNS answers an unknown subscription as removed.
    if (this.byArn.delete(arn)) this.onChange();
  }

  get(arn: string): RuntimeSubscription {
    const s = this.byArn.get(arn);
    if (!s) throw new SubscriptionError('NotFound', 'Subscription does not exist');
    return s;
  }

  setAttribute(arn: string, name: string, value: string): void {
    const s = this.get(arn);
    if (!SETTABLE.has(name)) throw new SubscriptionError('InvalidParameter', `Invalid parameter: AttributeName Reason: ${name.slice(0, 100)} cannot be set`);
    s.subscription = subscriptionOf(s.subscription.topic, s.subscription.id, s.protocol, s.endpoint, { ...attributesOf(s.subscription), [name]: value });
    this.onChange();
  }

  /** GetSubscriptionAttributes, as SNS names them. */
  attributes(arn: string): Record<string, string> {
    const s = this.get(arn);
    const topic = topicArn(s.subscription.topic, this.region, LOCAL_ACCOUNT_ID);
    return { SubscriptionArn: s.arn, TopicArn: topic, Protocol: s.protocol, Endpoint: s.endpoint, Owner: LOCAL_ACCOUNT_ID, ConfirmationWasAuthenticated: 'true', PendingConfirmation: 'false', SubscriptionPrincipal: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root`, ...attributesOf(s.subscription) };
  }

  /** In the order they were made; of one topic when given. */
  list(topic?: string): RuntimeSubscription[] {
    return [...this.byArn.values()].filter((s) => topic === undefined || s.subscription.topic === topic);
  }

  /** What the agent delivers a message of `topic` to, besides the template's subscriptions. */
  ofTopic(topic: string): TopicSubscription[] {
    const out: TopicSubscription[] = [];
    for (const s of this.byArn.values()) if (s.subscription.topic === topic) out.push(s.subscription);
    return out;
  }

  toSnapshot(): unknown {
    return { version: 1, subscriptions: [...this.byArn.values()] };
  }

  loadSnapshot(data: unknown): void {
    const doc = data as { version?: unknown; subscriptions?: unknown };
    if (doc?.version !== 1 || !Array.isArray(doc.subscriptions)) throw new Error('not a snapshot of SNS subscriptions (version 1)');
    this.byArn.clear();
    for (const raw of doc.subscriptions as RuntimeSubscription[]) {
      const subscription = TopicSubscription.parse(raw.subscription);
      if (typeof raw.arn !== 'string' || typeof raw.protocol !== 'string' || typeof raw.endpoint !== 'string') throw new Error('a subscription without arn, protocol or endpoint');
      this.byArn.set(raw.arn, { arn: raw.arn, protocol: raw.protocol, endpoint: raw.endpoint, subscription });
    }
  }
}

/** The subscription the agent delivers by, from Subscribe's protocol, endpoint and attributes. */
function subscriptionOf(topic: string, id: string, protocol: string, endpoint: string, attributes: Record<string, string>): TopicSubscription {
  const base: Record<string, unknown> = { topic, id };
  if (protocol === 'email' || protocol === 'email-json' || protocol === 'sms') base.inbox = `${protocol}:${endpoint}`;
  else {
    const target = scheduleTargetOf(endpoint);
    const wanted = protocol === 'sqs' ? 'queue' : protocol === 'lambda' ? 'function' : 'delivery_stream';
    const name = target && wanted in target ? (target as Record<string, string>)[wanted] : undefined;
    if (name === undefined) throw new SubscriptionError('InvalidParameter', `Invalid parameter: ${protocol.toUpperCase()} endpoint ARN: ${endpoint.slice(0, 300)} is not the ARN of ${protocol === 'sqs' ? 'a queue' : protocol === 'lambda' ? 'a function' : 'a delivery stream'}`);
    base[wanted] = name;
  }
  if (attributes.RawMessageDelivery !== undefined) {
    if (!/^(true|false)$/i.test(attributes.RawMessageDelivery)) throw new SubscriptionError('InvalidParameter', 'Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [' + attributes.RawMessageDelivery.slice(0, 20) + ']. Must be true or false.');
    if (attributes.RawMessageDelivery.toLowerCase() === 'true') base.raw = true;
  }
  if (attributes.FilterPolicy !== undefined && attributes.FilterPolicy !== '') {
    try {
      JSON.parse(attributes.FilterPolicy);
    } catch {
      throw new SubscriptionError('InvalidParameter', 'Invalid parameter: FilterPolicy: failed to parse JSON');
    }
    base.filter_policy = attributes.FilterPolicy;
  }
  if (attributes.FilterPolicyScope !== undefined) {
    if (attributes.FilterPolicyScope !== 'MessageAttributes' && attributes.FilterPolicyScope !== 'MessageBody') throw new SubscriptionError('InvalidParameter', 'Invalid parameter: Attributes Reason: FilterPolicyScope: must be MessageAttributes or MessageBody');
    base.filter_scope = attributes.FilterPolicyScope;
  }
  const parsed = TopicSubscription.safeParse(base);
  if (!parsed.success) throw new SubscriptionError('InvalidParameter', `Invalid parameter: ${parsed.error.issues[0]?.message ?? 'subscription'}`);
  return parsed.data;
}

/** The attributes a subscription was given, as SNS lists them back. */
function attributesOf(s: TopicSubscription): Record<string, string> {
  return {
    RawMessageDelivery: String(s.raw),
    ...(s.filter_policy !== undefined ? { FilterPolicy: s.filter_policy, FilterPolicyScope: s.filter_scope } : {}),
  };
}
