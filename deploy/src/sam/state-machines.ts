// Step Functions state machines of a template (docs/step-functions.md): AWS::Serverless::StateMachine
// and AWS::StepFunctions::StateMachine, read into functions.yml `state_machines`. The definition
// comes inline, from a local file (DefinitionUri) or from JSON text (DefinitionString), with
// DefinitionSubstitutions done, and its states checked as the agent will run them. A SAM
// machine's Schedule / ScheduleV2 events become its schedules, its EventBridgeRule /
// CloudWatchEvent events rules that start it, and its Api events are handed back for the
// template reader to route. Pure: property values come in resolved.
import { STATE_MACHINE_NAME, type EventRule, type StateMachine } from '@esb/contracts';
import { checkDefinition as checkStates, MAX_DEFINITION_BYTES, parseTaskResource, tasksOf } from '@esb/states';
import { samEventRule, samScheduleEvent, type RuleReadContext } from './event-rules.js';
import { isRecord } from './resolver.js';

export const SAM_STATE_MACHINE_TYPE = 'AWS::Serverless::StateMachine';
const STATE_MACHINE_TYPE = 'AWS::StepFunctions::StateMachine';
export const STATE_MACHINE_TYPES: ReadonlySet<string> = new Set([SAM_STATE_MACHINE_TYPE, STATE_MACHINE_TYPE]);

interface Fields {
  name: string;
  type: string;
  /** Where the definition can come from, in the order named in errors. */
  sources: string[];
  /** What esb reads besides those. */
  read: string[];
  /** What has no local meaning (permissions, logs, traces, tags, versions): left alone, without a warning. */
  quiet: string[];
}

const FIELDS: Record<string, Fields> = {
  [SAM_STATE_MACHINE_TYPE]: {
    name: 'Name',
    type: 'Type',
    sources: ['Definition', 'DefinitionUri'],
    read: ['DefinitionSubstitutions', 'Events'],
    quiet: ['Role', 'RolePath', 'Policies', 'PermissionsBoundary', 'Logging', 'Tracing', 'Tags', 'PropagateTags', 'AutoPublishAlias', 'DeploymentPreference', 'UseAliasAsEventTarget'],
  },
  [STATE_MACHINE_TYPE]: {
    name: 'StateMachineName',
    type: 'StateMachineType',
    sources: ['Definition', 'DefinitionString', 'DefinitionS3Location'],
    read: ['DefinitionSubstitutions'],
    quiet: ['RoleArn', 'LoggingConfiguration', 'TracingConfiguration', 'EncryptionConfiguration', 'Tags'],
  },
};

/** The property a state machine of this type is named by (Name, StateMachineName). */
export function stateMachineNameField(type: string): string {
  return FIELDS[type].name;
}

/** Whether esb reads this property of a state machine of this type (the others need not be resolved). */
export function stateMachineReads(type: string, field: string): boolean {
  const f = FIELDS[type];
  return field === f.name || field === f.type || f.sources.includes(field) || f.read.includes(field);
}

export interface StateMachineReadContext extends RuleReadContext {
  /** A local file the template points at (DefinitionUri), parsed as JSON or YAML with its text as written. */
  readDocument(id: string, field: string, path: string): unknown;
}

export interface StateMachineRead {
  machine: StateMachine;
  /** Rules of its EventBridgeRule / CloudWatchEvent events, each with where it is written. */
  rules: Array<{ rule: EventRule; source: string }>;
  /** ScheduleV2 events: EventBridge Scheduler schedules that start the machine (made by the template reader, which knows its ARN). */
  scheduleV2: Array<{ event: string; props: Record<string, unknown> }>;
  /** Its Api events: REST API routes that start an execution, made by the template reader. */
  apiEvents: Array<{ event: string; props: Record<string, unknown> }>;
  /** Events of types esb does not run. */
  unsupported: Array<{ type: string; event: string }>;
}

/**
 * An AWS::Serverless::StateMachine or AWS::StepFunctions::StateMachine of this `type`: the
 * properties esb reads come resolved, `name` is its Name / StateMachineName (else the one esb
 * makes).
 */
export function readStateMachine(ctx: StateMachineReadContext, id: string, type: string, props: Record<string, unknown>, name: string): StateMachineRead {
  const fields = FIELDS[type];
  if (!STATE_MACHINE_NAME.test(name)) ctx.fail(id, fields.name, `"${name}" is not a valid state machine name (1-80 of letters, digits, "-", "_")`);
  const machineType = props[fields.type] ?? 'STANDARD';
  if (machineType !== 'STANDARD' && machineType !== 'EXPRESS') ctx.fail(id, fields.type, `must be STANDARD or EXPRESS, not ${JSON.stringify(props[fields.type])}`);
  const { definition, field } = definitionOf(ctx, id, fields, props);
  const done = substitute(definition, substitutionsOf(ctx, id, props.DefinitionSubstitutions));
  checkMachineDefinition(ctx, id, field, done);
  const unread = Object.keys(props).filter((k) => !stateMachineReads(type, k) && !fields.quiet.includes(k));
  if (unread.length) ctx.warn(`${id}.${unread.join(', ')}: not applied by esb (docs/step-functions.md)`);
  const read: StateMachineRead = { machine: { name, type: machineType, definition: done, schedules: [] }, rules: [], scheduleV2: [], apiEvents: [], unsupported: [] };
  if (type === SAM_STATE_MACHINE_TYPE) readEvents(ctx, id, props.Events, read);
  return read;
}

/** The definition as given (Definition, DefinitionUri, DefinitionString), and the field it came from. */
function definitionOf(ctx: StateMachineReadContext, id: string, fields: Fields, props: Record<string, unknown>): { definition: unknown; field: string } {
  const given = fields.sources.filter((f) => props[f] !== undefined);
  if (given.length === 0) ctx.fail(id, fields.sources[0], `missing: a state machine needs one of ${fields.sources.join(', ')}`);
  if (given.length > 1) ctx.fail(id, given[1], `a state machine takes one of ${fields.sources.join(', ')}, not ${given.join(' and ')}`);
  const field = given[0];
  const value = props[field];
  const s3 = `S3 locations are not supported (esb does not fetch them); point DefinitionUri at a local file such as statemachine/flow.asl.json, or write the Definition inline`;
  switch (field) {
    case 'Definition':
      return { definition: value, field };
    case 'DefinitionS3Location':
      return ctx.fail(id, field, s3);
    case 'DefinitionUri':
      if (isRecord(value) || (typeof value === 'string' && /^s3:\/\//i.test(value))) ctx.fail(id, field, s3);
      if (typeof value !== 'string' || value === '') ctx.fail(id, field, 'must be the path of a local JSON or YAML file');
      return { definition: ctx.readDocument(id, field, value), field };
    default: {
      if (typeof value !== 'string') ctx.fail(id, field, 'must be JSON text (a map goes in Definition)');
      try {
        return { definition: JSON.parse(value) as unknown, field };
      } catch (err) {
        return ctx.fail(id, field, `is not JSON: ${(err as Error).message}`);
      }
    }
  }
}

/** DefinitionSubstitutions: name -> its text (numbers and booleans written as text, as the definition's strings hold them). */
function substitutionsOf(ctx: StateMachineReadContext, id: string, subs: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (subs === undefined) return out;
  if (!isRecord(subs)) ctx.fail(id, 'DefinitionSubstitutions', 'must be a map of name -> value');
  for (const [name, value] of Object.entries(subs)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') ctx.fail(id, `DefinitionSubstitutions.${name}`, `must be a string, number or boolean, not ${JSON.stringify(value)}`);
    out.set(name, String(value));
  }
  return out;
}

/** `${Name}` replaced in every string (keys too) by its substitution; one that has none is left as written. */
function substitute(value: unknown, subs: ReadonlyMap<string, string>): unknown {
  if (subs.size === 0) return value;
  const text = (s: string) => s.replace(/\$\{([^}]*)\}/g, (whole, name: string) => subs.get(name) ?? whole);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(walk);
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), walk(x)]));
    return v;
  };
  return walk(value);
}

/** A definition the agent can run: an object with StartAt and States, at most 1 MB of JSON, its states valid. */
function checkMachineDefinition(ctx: StateMachineReadContext, id: string, field: string, definition: unknown): asserts definition is Record<string, unknown> {
  if (!isRecord(definition)) ctx.fail(id, field, 'must be a state machine definition: a JSON object with StartAt and States');
  if (typeof definition.StartAt !== 'string' || definition.StartAt === '') ctx.fail(id, field, 'has no StartAt: the name of the state an execution starts in');
  if (!isRecord(definition.States)) ctx.fail(id, field, 'has no States: the map of state name -> state');
  const bytes = Buffer.byteLength(JSON.stringify(definition));
  if (bytes > MAX_DEFINITION_BYTES) ctx.fail(id, field, `is ${bytes} bytes of JSON; Step Functions takes at most ${MAX_DEFINITION_BYTES} (1 MB)`);
  // The states as the agent will run them: a definition that would not run fails the deploy here.
  const checked = checkStates(definition);
  if (!checked.ok) ctx.fail(id, field, `is not a valid state machine: ${checked.errors.join('; ')}`);
  for (const w of checked.warnings) ctx.warn(`${id}.${field}: ${w}`);
  for (const task of tasksOf(definition)) {
    const resource = parseTaskResource(task.resource);
    if (resource.kind === 'unsupported') ctx.warn(`${id}.${field}: ${task.path}: ${resource.why}; the task fails with States.TaskFailed when it runs (docs/step-functions.md "Tasks")`);
  }
}

/** A SAM state machine's Events: schedules of it, rules that start it, Api routes; other types are handed back. */
function readEvents(ctx: StateMachineReadContext, id: string, events: unknown, read: StateMachineRead): void {
  if (events === undefined) return;
  if (!isRecord(events)) ctx.fail(id, 'Events', 'must be a map');
  for (const [event, ev] of Object.entries(events)) {
    const base = `Events.${event}`;
    if (!isRecord(ev)) ctx.fail(id, base, 'must be a map with Type and Properties');
    const p = ev.Properties === undefined ? {} : ev.Properties;
    if (!isRecord(p)) ctx.fail(id, `${base}.Properties`, 'must be a map');
    switch (ev.Type) {
      case 'Api':
        read.apiEvents.push({ event, props: p });
        break;
      case 'Schedule': {
        const { type: _, ...schedule } = samScheduleEvent(ctx, id, event, p);
        read.machine.schedules.push(schedule);
        break;
      }
      case 'ScheduleV2':
        read.scheduleV2.push({ event, props: p });
        break;
      case 'EventBridgeRule':
      case 'CloudWatchEvent':
        read.rules.push({ rule: samEventRule(ctx, id, event, p, { state_machine: read.machine.name }), source: `${id}.${base}` });
        break;
      default:
        read.unsupported.push({ type: typeof ev.Type === 'string' ? ev.Type : '(no Type)', event });
    }
  }
}
