// The names of an EventBridge bus in each form code meets them (docs/eventbridge.md): a
// template's `!Ref Bus` is its name and `!GetAtt Bus.Arn` its ARN; PutEvents takes either, and
// no name at all means the account's `default` bus.
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './defaults.js';

export const DEFAULT_BUS = 'default';

/** A bus name as EventBridge takes it: 1-256 letters, digits and `._-/`. */
export const BUS_NAME = /^[A-Za-z0-9._\-/]{1,256}$/;

/** `arn:aws:events:<region>:<account>:event-bus/<name>` */
export function busArn(name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:events:${region}:${account}:event-bus/${name}`;
}

/** `arn:aws:events:<region>:<account>:rule/[<bus>/]<name>`: a rule on the default bus has no bus segment. */
export function ruleArn(bus: string, name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:events:${region}:${account}:rule/${bus === DEFAULT_BUS ? '' : `${bus}/`}${name}`;
}

/** The bus a name or ARN points at; `default` when none is given; undefined for neither form. */
export function busNameOf(nameOrArn: string | undefined): string | undefined {
  if (nameOrArn === undefined || nameOrArn === '') return DEFAULT_BUS;
  const arn = /^arn:aws[a-z-]*:events:[a-z0-9-]*:\d{12}:event-bus\/(.+)$/.exec(nameOrArn);
  const name = arn ? arn[1] : nameOrArn;
  return BUS_NAME.test(name) ? name : undefined;
}

