// EventBridge rules of functions.yml (docs/eventbridge.md): each event a bus accepted is matched
// against the enabled rules of its bus (the pattern syntax of FilterCriteria), and each rule that
// matches sends the event, or what its target's Input, InputPath or InputTransformer make of it,
// to each target: a function is invoked asynchronously, a queue gets a message, a state machine
// starts an execution, a Kinesis stream or a Firehose delivery stream gets a record, an AppSync API
// runs the target's GraphQL operation with it as variables, an SNS topic publishes it to its
// subscriptions, a CloudWatch Logs log group gets it as a line. Pure matching and
// shaping; the agent fires and sends.
import { compileFilters, eventRuleKey, LOCAL_ACCOUNT_ID, LOCAL_REGION, ruleArn, targetKindOf, type BusEvent, type EventRule, type EventRuleTarget, type FunctionsFile } from '@esb/contracts';
import type { DeliveryPolicy } from './api-destinations.js';

interface CompiledRule {
  rule: EventRule;
  /** The pattern as one test (a pattern that no longer parses takes nothing). */
  takes: (event: unknown) => boolean;
}

/**
 * What sends to a target, each told `by`: who sends, as messages name it (`rule orders`, `schedule
 * default/nightly`).
 */
export interface TargetSenders {
  /** Invokes a function asynchronously with the payload. */
  fire(functionName: string, payload: Buffer, by: string): void;
  /** Sends a message to a queue (by name); FIFO queues get the group and a deduplication id. */
  send(queueName: string, body: string, by: string, fifo?: { groupId: string; deduplicationId: string }): void;
  /** Starts an execution of a state machine with the input (JSON text). */
  start(stateMachine: string, input: string, by: string): void;
  /** Puts a record (the input as its data) to a Kinesis stream. */
  put?(stream: string, data: string, partitionKey: string, by: string): void;
  /** Puts a record (the input as its data) to a Firehose delivery stream. */
  putDelivery?(deliveryStream: string, data: string, by: string): void;
  /** Runs a GraphQL operation of an AppSync API with the input as its variables. */
  graphql?(api: string, operation: string, variables: string, by: string): void;
  /** Publishes the input as a message of an SNS topic (by name). */
  publish?(topic: string, message: string, by: string): void;
  /** Writes the input as a line of a CloudWatch Logs log group (by name). */
  log?(logGroup: string, line: string, by: string): void;
  /** Sends the input to an API destination (an HTTP endpoint); `policy`: what is done when that fails. */
  call?(http: NonNullable<EventRuleTarget['http']>, body: string, by: string, policy?: DeliveryPolicy): void;
}

/** Sends `body` to one target; `id` is the deduplication id a FIFO queue gets and the partition key a stream gets without a PartitionKeyPath. */
export function sendToTarget(o: TargetSenders, target: EventRuleTarget, body: string, by: string, id: string, partitionKey = id, rule?: string): void {
  if (target.function !== undefined) o.fire(target.function, Buffer.from(body), by);
  else if (target.state_machine !== undefined) o.start(target.state_machine, body, by);
  else if (target.stream !== undefined) o.put?.(target.stream, body, partitionKey, by);
  else if (target.delivery_stream !== undefined) o.putDelivery?.(target.delivery_stream, body, by);
  else if (target.graphql_api !== undefined) o.graphql?.(target.graphql_api, target.graphql_operation!, body, by);
  else if (target.topic !== undefined) o.publish?.(target.topic, body, by);
  else if (target.log_group !== undefined) o.log?.(target.log_group, body, by);
  else if (target.http !== undefined) {
    // The API destination's ARN, in the rule's region and account.
    const [region, account] = rule ? rule.split(':').slice(3, 5) : [LOCAL_REGION, LOCAL_ACCOUNT_ID];
    const policy: DeliveryPolicy = { targetArn: `arn:aws:events:${region}:${account}:api-destination/${target.http.name}`, ...(rule ? { ruleArn: rule } : {}), ...(target.retry_policy ? { retry: target.retry_policy } : {}), ...(target.dead_letter_queue ? { deadLetterQueue: target.dead_letter_queue } : {}) };
    o.call?.(target.http, body, by, policy);
  }
  else if (target.queue !== undefined) o.send(target.queue, body, by, target.message_group_id !== undefined ? { groupId: target.message_group_id, deduplicationId: id } : undefined);
}

export interface EventRulesOptions extends TargetSenders {
  region: string;
  /** Told of an event no rule of its bus took because the bus has none (once per bus). */
  info?(fields: Record<string, unknown>, message: string): void;
}

export class EventRules {
  private byBus = new Map<string, CompiledRule[]>();
  private readonly quietBuses = new Set<string>();
  constructor(private readonly o: EventRulesOptions) {}

  setFunctions(file: FunctionsFile): void {
    const byBus = new Map<string, CompiledRule[]>();
    for (const rule of Object.values(file.rules ?? {})) {
      // A scheduled rule takes no events: the Scheduler sends its targets the Scheduled Event.
      if (!rule.enabled || rule.pattern === undefined) continue;
      const list = byBus.get(rule.bus) ?? byBus.set(rule.bus, []).get(rule.bus)!;
      list.push({ rule, takes: compileFilters([rule.pattern]) });
    }
    this.byBus = byBus;
  }

  /** Sends each event to the targets of every rule of its bus that matches it; how many targets got one. */
  deliver(events: readonly BusEvent[]): number {
    let sent = 0;
    for (const { bus, event } of events) {
      const rules = this.byBus.get(bus);
      if (!rules) {
        if (!this.quietBuses.has(bus)) this.o.info?.({ bus }, `an event was put on bus ${bus}, which no deployed rule reads`);
        this.quietBuses.add(bus);
        continue;
      }
      for (const { rule, takes } of rules) if (takes(event)) sent += this.sendToTargets(rule, event);
    }
    return sent;
  }

  /** Sends one event to every target of a rule (each its input); how many. */
  sendToTargets(rule: EventRule, event: Event): number {
    const arn = ruleArn(rule.bus, rule.name, this.o.region, event.account);
    for (const target of rule.targets) sendToTarget(this.o, target, targetInput(target, event, rule, this.o.region), `rule ${rule.name}`, event.id, partitionKey(target, event), arn);
    return rule.targets.length;
  }

  /** The rules in force, for the agent's stats. */
  list(): Array<{ rule: string; bus: string; targets: string[] }> {
    return [...this.byBus.values()].flat().map(({ rule }) => ({ rule: eventRuleKey(rule), bus: rule.bus, targets: rule.targets.map(targetName) }));
  }
}

/** `<kind>:<name>` (`function:f`, `state-machine:m`, `log-group:g`), as stats list a target. */
function targetName(t: EventRuleTarget): string {
  const [kind, name] = targetKindOf(t);
  return `${kind.toLowerCase().replace(/ /g, '-')}:${name}`;
}

/** A Kinesis target's partition key: the text at KinesisParameters.PartitionKeyPath, else the event's id, as EventBridge picks it. */
function partitionKey(t: EventRuleTarget, event: Event): string {
  const value = t.partition_key_path === undefined ? undefined : valueAt(event, t.partition_key_path);
  const key = value === undefined || value === null ? event.id : typeof value === 'string' ? value : JSON.stringify(value);
  return key.slice(0, 256) || event.id;
}

type Event = BusEvent['event'];

/** What a target gets: the event, or its Input, InputPath or InputTransformer applied (JSON text). */
export function targetInput(target: EventRuleTarget, event: Event, rule: Pick<EventRule, 'bus' | 'name'>, region: string): string {
  if (target.input !== undefined) return target.input;
  if (target.input_path !== undefined) return JSON.stringify(valueAt(event, target.input_path) ?? null);
  if (target.input_transformer !== undefined) {
    const values = new Map<string, unknown>();
    for (const [name, path] of Object.entries(target.input_transformer.paths)) values.set(name, valueAt(event, path));
    values.set('aws.events.rule-name', rule.name);
    values.set('aws.events.rule-arn', ruleArn(rule.bus, rule.name, region, event.account));
    values.set('aws.events.event', event);
    values.set('aws.events.event.json', event);
    values.set('aws.events.event.ingestion-time', event.time);
    return fillTemplate(target.input_transformer.template, values);
  }
  return JSON.stringify(event);
}

/**
 * `<name>` in the template replaced by its value: inside a JSON string as the bare text, elsewhere
 * as JSON (a missing value as null), as EventBridge's input transformer does. A `<...>` that is
 * not a known name stays as it is.
 */
export function fillTemplate(template: string, values: ReadonlyMap<string, unknown>): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '\\' && inString) {
      out += template.slice(i, i + 2);
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === '<') {
      const end = template.indexOf('>', i + 1);
      const name = end > i ? template.slice(i + 1, end) : '';
      if (end > i && values.has(name)) {
        const value = values.get(name);
        const json = JSON.stringify(value ?? null);
        out += inString ? (typeof value === 'string' ? json.slice(1, -1) : value === undefined ? '' : json.replace(/\\/g, '\\\\').replace(/"/g, '\\"')) : json;
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/**
 * The value at a JSONPath of the forms EventBridge takes in InputPath and InputPathsMap:
 * `$`, `$.a.b`, `$.a[0]`, `$['a b']`; undefined when there is none.
 */
export function valueAt(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  let value: unknown = root;
  const steps = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  steps.lastIndex = 1;
  while (steps.lastIndex < path.length) {
    const m = steps.exec(path);
    if (!m) return undefined;
    const key = m[1] ?? m[3] ?? m[4];
    if (key !== undefined) {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    } else {
      if (!Array.isArray(value)) return undefined;
      value = value[Number(m[2])];
    }
  }
  return value;
}
