// What EventBridge rules (docs/eventbridge.md), SNS subscriptions (docs/sns.md) and Lambda
// mappings share: filter patterns checked as the template is read, and the functions, queues and
// state machines events and messages are delivered to. Pure: values come in resolved.
import { FilterPatternError, busNameOf, parsePattern, queueNameOf, topicNameOf, type AsyncDestination } from '@esb/contracts';
import type { ApiReadContext } from './cfn-apis.js';
import { functionFromUri } from './cfn-apis.js';
import { isRecord } from './resolver.js';

/** A Lambda function's ARN, with or without a version or alias. */
const FUNCTION_ARN = /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:[A-Za-z0-9_-]+(:[^:]+)?$/;

export interface DeliveryContext extends Pick<ApiReadContext, 'warn' | 'fail'> {
  /** The template's function keys, to tell a function of this template from another ARN. */
  functionKeys: ReadonlySet<string>;
  /** Whether the template declares a queue of this name (or SAM makes one for it). */
  queueDeclared(name: string): boolean;
  /** The names of the template's state machines (docs/step-functions.md). */
  stateMachines: ReadonlySet<string>;
  /** Whether the template declares a delivery stream of this name, and whether esb runs it (docs/firehose.md). */
  deliveryStream?(name: string): 'run' | 'not run' | undefined;
}

/** A boolean property (true / false, or their text); undefined when absent. */
export function flag(ctx: Pick<ApiReadContext, 'fail'>, id: string, field: string, v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  if (v !== true && v !== false && v !== 'true' && v !== 'false') ctx.fail(id, field, `must be true or false, not ${JSON.stringify(v)}`);
  return v === true || v === 'true';
}

/** An event pattern or filter policy (a map, or its JSON text), checked, as JSON text. */
export function patternText(ctx: Pick<ApiReadContext, 'fail'>, id: string, field: string, pattern: unknown): string {
  const text = typeof pattern === 'string' ? pattern : isRecord(pattern) ? JSON.stringify(pattern) : undefined;
  if (text === undefined) ctx.fail(id, field, 'must be a JSON object pattern (as text)');
  try {
    parsePattern(text);
  } catch (err) {
    if (!(err instanceof FilterPatternError)) throw err;
    ctx.fail(id, field, err.message);
  }
  return text;
}

/** The function (its key) a function ARN names; undefined for anything else. */
export function functionOfArn(arn: string): string | undefined {
  return FUNCTION_ARN.test(arn) ? functionFromUri(arn) : undefined;
}

/** The queue an SQS queue ARN names; undefined for anything else. */
export function queueOfArn(arn: string): string | undefined {
  return /^arn:aws[\w-]*:sqs:/.test(arn) ? queueNameOf(arn) : undefined;
}

/**
 * Warns of a function, queue or state machine that is not of this template: it is kept, and
 * gets `what` (events, messages) once a deployed template has it.
 */
export function warnIfElsewhere(ctx: DeliveryContext, where: string, to: { function?: string; queue?: string; state_machine?: string; stream?: string; delivery_stream?: string; graphql_api?: string; topic?: string; log_group?: string }, what: string): void {
  if (to.function !== undefined && !ctx.functionKeys.has(to.function)) ctx.warn(`${where}: function "${to.function}" is not defined in this template; it is invoked once a deployed template defines it`);
  if (to.queue !== undefined && !ctx.queueDeclared(to.queue)) ctx.warn(`${where}: queue "${to.queue}" is not declared in this template; it receives ${what} once a deployed template declares it`);
  if (to.state_machine !== undefined && !ctx.stateMachines.has(to.state_machine)) ctx.warn(`${where}: state machine "${to.state_machine}" is not defined in this template; it is started once a deployed template defines it`);
  if (to.delivery_stream !== undefined && ctx.deliveryStream?.(to.delivery_stream) === undefined) ctx.warn(`${where}: delivery stream "${to.delivery_stream}" is not declared in this template; it receives ${what} once a deployed template declares it`);
}

type DestinationType = AsyncDestination['type'];

/** Each kind of destination: what names one in an ARN, and how an error names it. */
const DESTINATIONS: Record<DestinationType, { nameOf: (arn: string) => string | undefined; what: string; short: string }> = {
  SQS: { nameOf: queueOfArn, what: 'an SQS queue', short: 'queue' },
  SNS: { nameOf: topicNameOf, what: 'an SNS topic', short: 'topic' },
  EventBridge: { nameOf: (a) => (/^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus\//.test(a) ? busNameOf(a) : undefined), what: 'an event bus', short: 'event bus' },
  Lambda: { nameOf: functionOfArn, what: 'a function', short: 'function' },
};

/** `a, b or c` */
function oneOf(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * A destination `{Type?, Destination}` (EventInvokeConfig's, a stream mapping's OnFailure): the
 * Type (taken from the ARN when absent, as SAM does) and the name its Destination ARN gives, of
 * one of `types`.
 */
export function destinationOf<T extends DestinationType>(ctx: Pick<ApiReadContext, 'fail'>, id: string, field: string, d: Record<string, unknown>, types: readonly T[]): { type: T; target: string } {
  const arn = d.Destination;
  if (typeof arn !== 'string' || arn === '') ctx.fail(id, `${field}.Destination`, `must be the ARN of a ${oneOf(types.map((t) => DESTINATIONS[t].short))} (!GetAtt X.Arn, !Ref Topic)`);
  for (const type of types) {
    if (d.Type !== undefined && d.Type !== type) continue;
    const target = DESTINATIONS[type].nameOf(arn);
    if (target !== undefined) return { type, target };
  }
  if (d.Type !== undefined && !types.includes(d.Type as T)) ctx.fail(id, `${field}.Type`, `must be ${oneOf(types)}, not ${JSON.stringify(d.Type)}`);
  const wanted = d.Type === undefined ? `a ${oneOf(types.map((t) => DESTINATIONS[t].short))}` : DESTINATIONS[d.Type as DestinationType].what;
  return ctx.fail(id, `${field}.Destination`, `${JSON.stringify(arn)} is not the ARN of ${wanted}`);
}
