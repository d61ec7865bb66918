// A state machine's definition (docs/step-functions.md "The states"): its types, and the checks
// made before a machine is created. Our own checks come first and name each field by its path in
// the definition (`States.Choose.Choices[0].Next: no state named 'Done'`); asl-validator then
// checks the rest of the schema, its messages translated to the same form. What Step Functions
// takes but esb does not emulate is a warning, or an error when running it would mislead.
import { createRequire } from 'node:module';
import { COMPARISONS, parseTimestamp, ruleOperators, TYPE_TESTS, type ChoiceRule } from './choice.js';
import { States } from './errors.js';
import { IntrinsicSyntaxError, isIntrinsic, parseIntrinsic, type IntrinsicArg } from './intrinsics.js';
import { compileJsonata, jsonataErrorMessage, jsonataExpression, jsonataExpressionsIn } from './jsonata.js';
import { parsePath, parseReferencePath, VARIABLE_NAME } from './paths.js';

export type QueryLanguage = 'JSONPath' | 'JSONata';
export type StateType = 'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';
const STATE_TYPES: readonly StateType[] = ['Pass', 'Task', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map'];

/** A set of states run from StartAt: the machine itself, a Parallel branch or a Map's ItemProcessor. */
export interface StateMachineDefinition {
  StartAt: string;
  States: Record<string, State>;
  QueryLanguage?: QueryLanguage;
  Comment?: string;
}

export interface Definition extends StateMachineDefinition {
  TimeoutSeconds?: number;
  Version?: string;
}

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
  Comment?: string;
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
  Assign?: Record<string, unknown>;
  Output?: unknown;
  Comment?: string;
}

export interface ItemProcessor extends StateMachineDefinition {
  ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED'; ExecutionType?: 'STANDARD' | 'EXPRESS' };
}

export interface ItemBatcher {
  MaxItemsPerBatch?: number;
  MaxItemsPerBatchPath?: string;
  MaxInputBytesPerBatch?: number;
  MaxInputBytesPerBatchPath?: string;
  BatchInput?: unknown;
}

/**
 * A state: one shape for all types, each field used by the types that have it (checkDefinition
 * says which). Fields that take a JSONata expression in JSONata states are `number | string`.
 */
export interface State {
  Type: StateType;
  Comment?: string;
  QueryLanguage?: QueryLanguage;
  Next?: string;
  End?: boolean;
  // JSONPath input and output processing.
  InputPath?: string | null;
  Parameters?: unknown;
  ResultSelector?: unknown;
  ResultPath?: string | null;
  OutputPath?: string | null;
  // JSONata input and output.
  Arguments?: unknown;
  Output?: unknown;
  Assign?: Record<string, unknown>;
  // Pass
  Result?: unknown;
  // Task
  Resource?: string;
  TimeoutSeconds?: number | string;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number | string;
  HeartbeatSecondsPath?: string;
  Credentials?: unknown;
  Retry?: Retrier[];
  Catch?: Catcher[];
  // Choice
  Choices?: ChoiceRule[];
  Default?: string;
  // Wait
  Seconds?: number | string;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  // Fail
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
  CausePath?: string;
  // Parallel
  Branches?: StateMachineDefinition[];
  // Map
  ItemsPath?: string;
  Items?: unknown;
  ItemSelector?: unknown;
  ItemProcessor?: ItemProcessor;
  Iterator?: StateMachineDefinition;
  MaxConcurrency?: number | string;
  MaxConcurrencyPath?: string;
  ToleratedFailurePercentage?: number | string;
  ToleratedFailurePercentagePath?: string;
  ToleratedFailureCount?: number | string;
  ToleratedFailureCountPath?: string;
  ItemBatcher?: ItemBatcher;
  ItemReader?: unknown;
  ResultWriter?: unknown;
  Label?: string;
}

/** Step Functions' limits on a definition. */
export const MAX_DEFINITION_BYTES = 1024 * 1024;
const MAX_STATES = 10_000;
const MAX_STATE_NAME = 80;

/** Fields of JSONPath states that a JSONata state does not take, with what it takes instead. */
const JSONPATH_ONLY: Record<string, string> = {
  InputPath: 'Arguments',
  Parameters: 'Arguments',
  ResultSelector: 'Output',
  ResultPath: 'Output',
  OutputPath: 'Output',
  Result: 'Output',
  ItemsPath: 'Items',
  TimeoutSecondsPath: 'TimeoutSeconds with a JSONata expression',
  HeartbeatSecondsPath: 'HeartbeatSeconds with a JSONata expression',
  SecondsPath: 'Seconds with a JSONata expression',
  TimestampPath: 'Timestamp with a JSONata expression',
  ErrorPath: 'Error with a JSONata expression',
  CausePath: 'Cause with a JSONata expression',
  MaxConcurrencyPath: 'MaxConcurrency with a JSONata expression',
  ToleratedFailurePercentagePath: 'ToleratedFailurePercentage with a JSONata expression',
  ToleratedFailureCountPath: 'ToleratedFailureCount with a JSONata expression',
};
const JSONATA_ONLY: Record<string, string> = { Arguments: 'Parameters', Output: 'OutputPath or ResultSelector', Items: 'ItemsPath' };

/** The fields each type of state takes (in one query language or the other). */
const COMMON_FIELDS = ['Type', 'Comment', 'QueryLanguage'];
const FLOW_FIELDS = ['Next', 'End', 'Assign'];
const EXECUTION_FIELDS = ['InputPath', 'OutputPath', 'Parameters', 'ResultSelector', 'ResultPath', 'Arguments', 'Output', 'Retry', 'Catch'];
const FIELDS: Record<StateType, string[]> = {
  Pass: [...FLOW_FIELDS, 'InputPath', 'OutputPath', 'Parameters', 'Result', 'ResultPath', 'Output'],
  Task: [...FLOW_FIELDS, ...EXECUTION_FIELDS, 'Resource', 'TimeoutSeconds', 'TimeoutSecondsPath', 'HeartbeatSeconds', 'HeartbeatSecondsPath', 'Credentials'],
  Choice: ['InputPath', 'OutputPath', 'Choices', 'Default', 'Output', 'Assign'],
  Wait: [...FLOW_FIELDS, 'InputPath', 'OutputPath', 'Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath', 'Output'],
  Succeed: ['InputPath', 'OutputPath', 'Output'],
  Fail: ['Error', 'ErrorPath', 'Cause', 'CausePath'],
  Parallel: [...FLOW_FIELDS, ...EXECUTION_FIELDS, 'Branches'],
  Map: [
    ...FLOW_FIELDS,
    ...EXECUTION_FIELDS,
    ...['ItemProcessor', 'Iterator', 'ItemsPath', 'Items', 'ItemSelector', 'ItemReader', 'ItemBatcher', 'ResultWriter', 'Label'],
    ...['MaxConcurrency', 'MaxConcurrencyPath', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'ToleratedFailureCount', 'ToleratedFailureCountPath'],
  ],
};

type Segment = string | number;

/** `States.A.Choices[0].Next`: a field's path in the definition. */
export function fieldPath(at: readonly Segment[]): string {
  let out = '';
  for (const s of at) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (s === '' || /[[\]']/.test(s)) out += `['${s.replace(/'/g, "\\'")}']`;
    else out += out ? `.${s}` : s;
  }
  return out || '(definition)';
}

type CheckResult = { ok: true; definition: Definition; warnings: string[] } | { ok: false; errors: string[] };

/**
 * Checks a definition: errors name the field by its path in the definition and say why; warnings
 * for what is accepted but not emulated. `schema: false` leaves out asl-validator (it compiles its
 * schemas on each call, ~100 ms), for callers that have checked the definition before.
 */
export function checkDefinition(definition: unknown, options: { schema?: boolean } = {}): CheckResult {
  try {
    return check(definition, options);
  } catch (err) {
    // JSON.stringify and the checks recurse: a definition nested thousands of levels deep overflows the stack.
    if (err instanceof RangeError) return { ok: false, errors: ['(definition): is nested too deeply'] };
    throw err;
  }
}

function check(definition: unknown, options: { schema?: boolean }): CheckResult {
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) return { ok: false, errors: ['(definition): must be a JSON object'] };
  let text: string;
  try {
    text = JSON.stringify(definition);
  } catch (err) {
    if (err instanceof RangeError) throw err;
    return { ok: false, errors: [`(definition): must be JSON: ${(err as Error).message}`] };
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_DEFINITION_BYTES) return { ok: false, errors: [`(definition): is ${bytes} bytes, more than Step Functions' limit of ${MAX_DEFINITION_BYTES} (1 MB)`] };
  // A copy of the JSON: what is checked and run cannot change behind us, and asl-validator writes into what it is given.
  const copy = JSON.parse(text) as Record<string, unknown>;
  const checker = new Checker(copy.QueryLanguage === 'JSONata' ? 'JSONata' : 'JSONPath');
  checker.topLevel(copy);
  if (checker.errors.length) return { ok: false, errors: checker.errors };
  // asl-validator knows JSONPath definitions well; its JSONata schemas refuse definitions Step
  // Functions runs, so a JSONata definition is checked by our own checks alone.
  // `$.[0]` is a path Step Functions takes (paths.ts) and asl-validator's formats do not: it sees `$[0]`.
  const schemaErrors = options.schema === false || text.includes('"JSONata"') ? [] : aslValidatorErrors(JSON.parse(text.replace(/\$\.\[/g, '$[')), (name) => checker.statePath(name));
  if (schemaErrors.length) return { ok: false, errors: schemaErrors };
  return { ok: true, definition: copy as unknown as Definition, warnings: checker.warnings };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInteger = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const isNonNegativeInteger = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

class Checker {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  /** Every state name seen, with where: names are unique across the whole definition. */
  private readonly names = new Map<string, string>();
  private states = 0;

  constructor(private readonly topLanguage: QueryLanguage) {}

  /** Where a state is in the definition (`States.P.Branches[0].States.A`). */
  statePath(name: string): string | undefined {
    return this.names.get(name);
  }

  private error(at: readonly Segment[], message: string): void {
    this.errors.push(`${fieldPath(at)}: ${message}`);
  }

  private warn(at: readonly Segment[], message: string): void {
    this.warnings.push(`${fieldPath(at)}: ${message}`);
  }

  topLevel(d: Record<string, unknown>): void {
    for (const field of Object.keys(d)) if (!['StartAt', 'States', 'Comment', 'Version', 'TimeoutSeconds', 'QueryLanguage'].includes(field)) this.error([field], 'is not a field of a state machine');
    if (d.Version !== undefined && typeof d.Version !== 'string') this.error(['Version'], 'must be a string');
    if (d.QueryLanguage !== undefined && d.QueryLanguage !== 'JSONPath' && d.QueryLanguage !== 'JSONata') this.error(['QueryLanguage'], 'must be JSONPath or JSONata');
    if (d.TimeoutSeconds !== undefined && !isPositiveInteger(d.TimeoutSeconds)) this.error(['TimeoutSeconds'], 'must be a positive integer');
    this.machine(d, [], '');
  }

  /** A set of states: the machine (at []), a Parallel branch or a Map's ItemProcessor. */
  private machine(m: Record<string, unknown>, at: Segment[], scope: string): void {
    if (at.length) {
      const kind = at[at.length - 1];
      const fields = ['StartAt', 'States', 'Comment', ...(kind === 'ItemProcessor' ? ['ProcessorConfig'] : [])];
      for (const field of Object.keys(m)) if (!fields.includes(field)) this.error([...at, field], `is not a field of ${kind === 'ItemProcessor' ? 'an ItemProcessor' : kind === 'Iterator' ? 'an Iterator' : 'a Parallel branch'}`);
    }
    if (m.Comment !== undefined && typeof m.Comment !== 'string') this.error([...at, 'Comment'], 'must be a string');
    const states = m.States;
    if (!isObject(states) || Object.keys(states).length === 0) {
      this.error([...at, 'States'], states === undefined ? 'missing' : 'must be an object with at least one state');
      return;
    }
    const names = new Set(Object.keys(states));
    const terminal = Object.values(states).some((st) => isObject(st) && (st.End === true || st.Type === 'Succeed' || st.Type === 'Fail'));
    if (!terminal) this.error([...at, 'States'], `no state ends ${at.length ? 'it' : 'the execution'}: one needs End: true, or is a Succeed or Fail state`);
    if (typeof m.StartAt !== 'string') this.error([...at, 'StartAt'], m.StartAt === undefined ? 'missing' : 'must be a string');
    else if (!names.has(m.StartAt)) this.error([...at, 'StartAt'], `no state named '${m.StartAt}'${scope}`);
    for (const [name, state] of Object.entries(states)) {
      if (++this.states > MAX_STATES) {
        if (this.states === MAX_STATES + 1) this.error([], `has more than ${MAX_STATES} states, Step Functions' limit`);
        return;
      }
      const stateAt = [...at, 'States', name];
      const seen = this.names.get(name);
      if (seen !== undefined) this.error(stateAt, `a state named '${name}' already exists (${seen}): state names are unique across the whole definition`);
      else this.names.set(name, fieldPath(stateAt));
      if (name.length > MAX_STATE_NAME) this.error(stateAt, `state names are at most ${MAX_STATE_NAME} characters`);
      if (!isObject(state)) this.error(stateAt, 'must be an object');
      else this.state(state, stateAt, names, scope);
    }
  }

  private state(s: Record<string, unknown>, at: Segment[], names: Set<string>, scope: string): void {
    const type = s.Type;
    if (s.Comment !== undefined && typeof s.Comment !== 'string') this.error([...at, 'Comment'], 'must be a string');
    if (type === undefined) return this.error([...at, 'Type'], 'missing');
    if (!STATE_TYPES.includes(type as StateType)) return this.error([...at, 'Type'], `'${String(type)}' is not a state type (${STATE_TYPES.join(', ')})`);
    let language = this.topLanguage;
    if (s.QueryLanguage !== undefined) {
      if (s.QueryLanguage !== 'JSONPath' && s.QueryLanguage !== 'JSONata') this.error([...at, 'QueryLanguage'], 'must be JSONPath or JSONata');
      else if (s.QueryLanguage === 'JSONPath' && this.topLanguage === 'JSONata') this.error([...at, 'QueryLanguage'], 'a state of a JSONata state machine cannot use JSONPath');
      else language = s.QueryLanguage;
    }
    const next = (fieldAt: Segment[], value: unknown) => {
      if (typeof value !== 'string') this.error(fieldAt, 'must be the name of a state');
      else if (!names.has(value)) this.error(fieldAt, `no state named '${value}'${scope}`);
    };

    // Transitions: every state has Next or End but Choice (its rules have Next), Succeed and Fail
    // (they end), which have neither: the check of fields below says so.
    if (type !== 'Choice' && type !== 'Succeed' && type !== 'Fail') {
      if (s.Next !== undefined && s.End !== undefined) this.error(at, 'has both Next and End: it takes one');
      else if (s.Next !== undefined) next([...at, 'Next'], s.Next);
      else if (s.End !== true) this.error(at, s.End === undefined ? 'must have Next or End: true' : 'End must be true (or give Next)');
    }

    // Fields the type does not have, and those of the other query language.
    const other = language === 'JSONata' ? JSONPATH_ONLY : JSONATA_ONLY;
    const executes = type === 'Task' || type === 'Parallel' || type === 'Map';
    for (const field of Object.keys(s)) {
      if ((field === 'Retry' || field === 'Catch') && !executes) this.error([...at, field], `only Task, Parallel and Map states take ${field}`);
      else if (type === 'Choice' && field === 'Next') this.error([...at, field], 'a Choice state has no Next: each choice rule has its own, and Default names the state for no match');
      else if (!COMMON_FIELDS.includes(field) && !FIELDS[type as StateType].includes(field)) this.error([...at, field], `is not a field of a ${type} state`);
      else if (Object.hasOwn(other, field)) this.error([...at, field], `not allowed with QueryLanguage ${language} (use ${other[field]})`);
    }

    if (language === 'JSONPath') {
      if (s.InputPath !== undefined && s.InputPath !== null) this.path(s.InputPath, [...at, 'InputPath'], 'path', ' or null');
      if (s.OutputPath !== undefined && s.OutputPath !== null) this.path(s.OutputPath, [...at, 'OutputPath'], 'path', ' or null');
      if (s.ResultPath !== undefined && s.ResultPath !== null) this.path(s.ResultPath, [...at, 'ResultPath'], 'result', ', or null');
      if (s.Parameters !== undefined) this.payloadTemplate(s.Parameters, [...at, 'Parameters']);
      if (s.ResultSelector !== undefined) this.payloadTemplate(s.ResultSelector, [...at, 'ResultSelector']);
    } else {
      for (const field of ['Arguments', 'Output'] as const) if (s[field] !== undefined) this.jsonataTemplate(s[field], [...at, field]);
    }
    if (s.Assign !== undefined && FIELDS[type as StateType].includes('Assign')) this.assign(s.Assign, [...at, 'Assign'], language);

    if (executes) {
      if (s.Retry !== undefined) this.retry(s.Retry, [...at, 'Retry']);
      if (s.Catch !== undefined) this.catch(s.Catch, [...at, 'Catch'], names, scope, language);
    }

    switch (type) {
      case 'Pass':
      case 'Succeed':
        break;
      case 'Task':
        this.task(s, at, language);
        break;
      case 'Choice':
        this.choice(s, at, language, next);
        break;
      case 'Wait':
        this.wait(s, at, language);
        break;
      case 'Fail':
        this.fail(s, at, language);
        break;
      case 'Parallel':
        this.parallel(s, at);
        break;
      case 'Map':
        this.map(s, at, language);
        break;
    }
  }

  /** A Path (`path`), a Reference Path (`reference`) or a ResultPath (`result`: a Reference Path into the input). */
  private path(value: unknown, at: Segment[], kind: 'path' | 'reference' | 'result', orElse = ''): void {
    const text = typeof value === 'string' ? value : undefined;
    if (kind === 'path') {
      if (text === undefined || !parsePath(text)) this.error(at, `must be a Path such as $.a.b${orElse}`);
    } else if (kind === 'reference') {
      if (text === undefined || !parseReferencePath(text)) this.error(at, `must be a Reference Path such as $.a.b (no filters or wildcards)${orElse}`);
    } else if (text === undefined || parseReferencePath(text)?.root !== 'input') this.error(at, `must be a Reference Path into the state's input such as $.result (no filters, wildcards, context or variables)${orElse}`);
  }

  /** A JSONPath payload template: each `.$` field a Path or an intrinsic function call. */
  private payloadTemplate(template: unknown, at: Segment[]): void {
    if (Array.isArray(template)) return template.forEach((item, i) => this.payloadTemplate(item, [...at, i]));
    if (!isObject(template)) return;
    for (const [key, value] of Object.entries(template)) {
      if (!key.endsWith('.$')) {
        this.payloadTemplate(value, [...at, key]);
        continue;
      }
      if (Object.hasOwn(template, key.slice(0, -2))) this.error([...at, key], `'${key.slice(0, -2)}' is also a field: the two would have the same name`);
      this.expression(value, [...at, key]);
    }
  }

  /** The value of a `.$` field: a Path or an intrinsic function call. */
  private expression(value: unknown, at: Segment[]): void {
    if (typeof value !== 'string') return this.error(at, `must be a string: a Path or an intrinsic function call, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`}`);
    if (isIntrinsic(value)) {
      try {
        const paths: string[] = [];
        const walk = (arg: IntrinsicArg) => (arg.kind === 'path' ? paths.push(arg.path) : arg.kind === 'call' ? arg.args.forEach(walk) : undefined);
        walk(parseIntrinsic(value));
        for (const path of paths) if (!parsePath(path)) this.error(at, `'${path}' in the intrinsic function call is not a Path`);
      } catch (err) {
        if (!(err instanceof IntrinsicSyntaxError)) throw err;
        this.error(at, `invalid intrinsic function call: ${err.message}`);
      }
    } else if (!parsePath(value)) this.error(at, `'${value}' is neither a Path (such as $.a.b, $$.Execution.Id or $variable) nor an intrinsic function call (such as States.Format(...))`);
  }

  private jsonataTemplate(template: unknown, at: Segment[]): void {
    for (const { expression, at: where } of jsonataExpressionsIn(template, at)) this.jsonata(expression, where);
  }

  private jsonata(expression: string, at: Segment[]): void {
    try {
      compileJsonata(expression);
    } catch (err) {
      this.error(at, `invalid JSONata expression: ${jsonataErrorMessage(err)}`);
    }
  }

  /** A field that takes a value or, in JSONata states, an expression (`{% %}`). */
  private valueOrJsonata(value: unknown, at: Segment[], language: QueryLanguage, valid: (v: unknown) => boolean, what: string): void {
    const expression = language === 'JSONata' ? jsonataExpression(value) : undefined;
    if (expression !== undefined) this.jsonata(expression, at);
    else if (!valid(value)) this.error(at, `must be ${what}${language === 'JSONata' ? ' or a JSONata expression {% ... %}' : ''}`);
  }

  private assign(assign: unknown, at: Segment[], language: QueryLanguage): void {
    if (!isObject(assign)) return this.error(at, 'must be an object of variable names and values');
    for (const [key, value] of Object.entries(assign)) {
      const isExpression = language === 'JSONPath' && key.endsWith('.$');
      const name = isExpression ? key.slice(0, -2) : key;
      if (!VARIABLE_NAME.test(name)) this.error([...at, key], `'${name}' is not a variable name (letters, digits and _, not starting with a digit)`);
      else if (name === 'states') this.error([...at, key], "'states' is reserved (it is $states in JSONata)");
      if (language === 'JSONata') this.jsonataTemplate(value, [...at, key]);
      else if (isExpression) this.expression(value, [...at, key]);
      else this.payloadTemplate(value, [...at, key]);
    }
  }

  private retry(retry: unknown, at: Segment[]): void {
    if (!Array.isArray(retry)) return this.error(at, 'must be an array of retriers');
    retry.forEach((r, i) => {
      const rAt = [...at, i];
      if (!isObject(r)) return this.error(rAt, 'must be an object');
      this.errorEquals(r.ErrorEquals, [...rAt, 'ErrorEquals'], i === retry.length - 1, 'retrier');
      if (r.IntervalSeconds !== undefined && !isPositiveInteger(r.IntervalSeconds)) this.error([...rAt, 'IntervalSeconds'], 'must be a positive integer');
      if (r.MaxAttempts !== undefined && !isNonNegativeInteger(r.MaxAttempts)) this.error([...rAt, 'MaxAttempts'], 'must be a non-negative integer');
      if (r.BackoffRate !== undefined && !(typeof r.BackoffRate === 'number' && r.BackoffRate >= 1)) this.error([...rAt, 'BackoffRate'], 'must be a number of at least 1.0');
      if (r.MaxDelaySeconds !== undefined && !isPositiveInteger(r.MaxDelaySeconds)) this.error([...rAt, 'MaxDelaySeconds'], 'must be a positive integer');
      if (r.JitterStrategy !== undefined && r.JitterStrategy !== 'FULL' && r.JitterStrategy !== 'NONE') this.error([...rAt, 'JitterStrategy'], 'must be FULL or NONE');
    });
  }

  private catch(catchers: unknown, at: Segment[], names: Set<string>, scope: string, language: QueryLanguage): void {
    if (!Array.isArray(catchers)) return this.error(at, 'must be an array of catchers');
    catchers.forEach((c, i) => {
      const cAt = [...at, i];
      if (!isObject(c)) return this.error(cAt, 'must be an object');
      this.errorEquals(c.ErrorEquals, [...cAt, 'ErrorEquals'], i === catchers.length - 1, 'catcher');
      if (typeof c.Next !== 'string') this.error([...cAt, 'Next'], c.Next === undefined ? 'missing' : 'must be the name of a state');
      else if (!names.has(c.Next)) this.error([...cAt, 'Next'], `no state named '${c.Next}'${scope}`);
      if (language === 'JSONPath') {
        if (c.Output !== undefined) this.error([...cAt, 'Output'], 'not allowed with QueryLanguage JSONPath (use ResultPath)');
        if (c.ResultPath !== undefined && c.ResultPath !== null) this.path(c.ResultPath, [...cAt, 'ResultPath'], 'result', ', or null');
      } else {
        if (c.ResultPath !== undefined) this.error([...cAt, 'ResultPath'], 'not allowed with QueryLanguage JSONata (use Output)');
        if (c.Output !== undefined) this.jsonataTemplate(c.Output, [...cAt, 'Output']);
      }
      if (c.Assign !== undefined) this.assign(c.Assign, [...cAt, 'Assign'], language);
    });
  }

  private errorEquals(value: unknown, at: Segment[], last: boolean, what: string): void {
    if (!Array.isArray(value) || value.length === 0 || !value.every((e) => typeof e === 'string')) return this.error(at, 'must be a non-empty array of error names');
    if (value.includes(States.ALL)) {
      if (value.length > 1) this.error(at, `${States.ALL} must be alone in its ErrorEquals`);
      else if (!last) this.error(at, `${States.ALL} must be in the last ${what}`);
    }
  }

  private task(s: Record<string, unknown>, at: Segment[], language: QueryLanguage): void {
    if (typeof s.Resource !== 'string' || !/^arn:[^:]+:[^:]+:/.test(s.Resource)) this.error([...at, 'Resource'], s.Resource === undefined ? 'missing' : 'must be an ARN such as arn:aws:states:::lambda:invoke');
    for (const field of ['TimeoutSeconds', 'HeartbeatSeconds'] as const) {
      if (s[field] !== undefined) this.valueOrJsonata(s[field], [...at, field], language, isPositiveInteger, 'a positive integer');
      if (s[`${field}Path`] !== undefined) {
        if (s[field] !== undefined) this.error(at, `${field} and ${field}Path cannot both be set`);
        else if (language === 'JSONPath') this.path(s[`${field}Path`], [...at, `${field}Path`], 'reference');
      }
    }
    if (typeof s.TimeoutSeconds === 'number' && typeof s.HeartbeatSeconds === 'number' && s.HeartbeatSeconds >= s.TimeoutSeconds) this.error([...at, 'HeartbeatSeconds'], 'must be smaller than TimeoutSeconds');
    if (s.Credentials !== undefined) {
      if (language === 'JSONPath') this.payloadTemplate(s.Credentials, [...at, 'Credentials']);
      else this.jsonataTemplate(s.Credentials, [...at, 'Credentials']);
      this.warn([...at, 'Credentials'], 'is not emulated: the task runs with esb\'s own access');
    }
  }

  private choice(s: Record<string, unknown>, at: Segment[], language: QueryLanguage, next: (fieldAt: Segment[], value: unknown) => void): void {
    if (!Array.isArray(s.Choices) || s.Choices.length === 0) return this.error([...at, 'Choices'], s.Choices === undefined ? 'missing' : 'must be a non-empty array of choice rules');
    s.Choices.forEach((rule, i) => {
      const rAt = [...at, 'Choices', i];
      if (!isObject(rule)) return this.error(rAt, 'must be a choice rule (an object)');
      if (rule.Next === undefined) this.error([...rAt, 'Next'], 'missing');
      else next([...rAt, 'Next'], rule.Next);
      if (language === 'JSONata') {
        if (rule.Condition === undefined) this.error([...rAt, 'Condition'], 'missing');
        else this.valueOrJsonata(rule.Condition, [...rAt, 'Condition'], language, (v) => typeof v === 'boolean', 'a boolean');
        for (const field of Object.keys(rule)) if (field === 'Variable' || field in COMPARISONS || (TYPE_TESTS as readonly string[]).includes(field) || ['And', 'Or', 'Not'].includes(field)) this.error([...rAt, field], 'not allowed with QueryLanguage JSONata (use Condition)');
        if (rule.Output !== undefined) this.jsonataTemplate(rule.Output, [...rAt, 'Output']);
      } else {
        if (rule.Condition !== undefined) this.error([...rAt, 'Condition'], 'not allowed with QueryLanguage JSONPath (use Variable and a comparison operator)');
        if (rule.Output !== undefined) this.error([...rAt, 'Output'], 'not allowed with QueryLanguage JSONPath');
        this.rule(rule, rAt);
      }
      if (rule.Assign !== undefined) this.assign(rule.Assign, [...rAt, 'Assign'], language);
    });
    if (s.Default !== undefined) next([...at, 'Default'], s.Default);
  }

  /** A JSONPath choice rule: one comparison with Variable, or And, Or, Not over nested rules. */
  private rule(rule: Record<string, unknown>, at: Segment[], nested = false): void {
    if (nested && rule.Next !== undefined) this.error([...at, 'Next'], 'only the top-level choice rules have Next');
    const operators = ruleOperators(rule);
    if (operators.length !== 1) return this.error(at, operators.length === 0 ? 'must have a comparison operator (StringEquals, NumericLessThan, IsPresent, ...) or And, Or, Not' : `has ${operators.join(' and ')}: a choice rule has exactly one operator`);
    const [operator] = operators;
    const operand = rule[operator];
    const opAt = [...at, operator];
    if (operator === 'And' || operator === 'Or') {
      if (!Array.isArray(operand) || operand.length === 0) return this.error(opAt, 'must be a non-empty array of choice rules');
      if (rule.Variable !== undefined) this.error([...at, 'Variable'], `a rule with ${operator} has no Variable`);
      return operand.forEach((r, i) => (isObject(r) ? this.rule(r, [...opAt, i], true) : this.error([...opAt, i], 'must be a choice rule (an object)')));
    }
    if (operator === 'Not') {
      if (rule.Variable !== undefined) this.error([...at, 'Variable'], 'a rule with Not has no Variable');
      return isObject(operand) ? this.rule(operand, opAt, true) : this.error(opAt, 'must be a choice rule (an object)');
    }
    if (rule.Variable === undefined) this.error([...at, 'Variable'], 'missing');
    else this.path(rule.Variable, [...at, 'Variable'], 'path');
    if ((TYPE_TESTS as readonly string[]).includes(operator)) {
      if (typeof operand !== 'boolean') this.error(opAt, 'must be true or false');
      return;
    }
    const comparison = COMPARISONS[operator];
    if (comparison.path) return this.path(operand, opAt, 'path');
    if (comparison.kind === 'string' || comparison.kind === 'matches') {
      if (typeof operand !== 'string') this.error(opAt, 'must be a string');
    } else if (comparison.kind === 'numeric') {
      if (typeof operand !== 'number') this.error(opAt, 'must be a number');
    } else if (comparison.kind === 'boolean') {
      if (typeof operand !== 'boolean') this.error(opAt, 'must be true or false');
    } else if (!parseTimestamp(operand)) this.error(opAt, 'must be a timestamp such as 2016-03-14T01:59:00Z');
  }

  private wait(s: Record<string, unknown>, at: Segment[], language: QueryLanguage): void {
    const given = ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath'].filter((f) => s[f] !== undefined);
    if (given.length !== 1) return this.error(at, `must have exactly one of Seconds, Timestamp, SecondsPath and TimestampPath${given.length ? `, not ${given.join(' and ')}` : ''}`);
    if (s.Seconds !== undefined) this.valueOrJsonata(s.Seconds, [...at, 'Seconds'], language, isNonNegativeInteger, 'a non-negative integer');
    if (s.Timestamp !== undefined) this.valueOrJsonata(s.Timestamp, [...at, 'Timestamp'], language, (v) => parseTimestamp(v) !== undefined, 'a timestamp such as 2016-03-14T01:59:00Z');
    if (language === 'JSONPath') for (const field of ['SecondsPath', 'TimestampPath']) if (s[field] !== undefined) this.path(s[field], [...at, field], 'reference');
  }

  private fail(s: Record<string, unknown>, at: Segment[], language: QueryLanguage): void {
    for (const field of ['Error', 'Cause'] as const) {
      if (s[field] !== undefined) {
        if (language === 'JSONata' && jsonataExpression(s[field]) !== undefined) this.jsonata(jsonataExpression(s[field])!, [...at, field]);
        else if (typeof s[field] !== 'string') this.error([...at, field], 'must be a string');
      }
      const pathField = `${field}Path`;
      if (s[pathField] === undefined || language === 'JSONata') continue;
      if (s[field] !== undefined) this.error(at, `${field} and ${pathField} cannot both be set`);
      // ErrorPath and CausePath take a Reference Path or an intrinsic function call.
      else if (typeof s[pathField] === 'string' && isIntrinsic(s[pathField] as string)) this.expression(s[pathField], [...at, pathField]);
      else this.path(s[pathField], [...at, pathField], 'reference', ' or an intrinsic function call');
    }
  }

  private parallel(s: Record<string, unknown>, at: Segment[]): void {
    if (!Array.isArray(s.Branches) || s.Branches.length === 0) return this.error([...at, 'Branches'], s.Branches === undefined ? 'missing' : 'must be a non-empty array of branches');
    s.Branches.forEach((b, i) => (isObject(b) ? this.machine(b, [...at, 'Branches', i], ' in this branch') : this.error([...at, 'Branches', i], 'must be an object with StartAt and States')));
  }

  private map(s: Record<string, unknown>, at: Segment[], language: QueryLanguage): void {
    if (s.ItemProcessor !== undefined && s.Iterator !== undefined) this.error(at, 'ItemProcessor and Iterator cannot both be set (Iterator is the older name of ItemProcessor)');
    const processorField = s.ItemProcessor !== undefined ? 'ItemProcessor' : 'Iterator';
    const processor = s[processorField];
    if (processor === undefined) this.error(at, 'must have ItemProcessor (or the older Iterator)');
    else if (!isObject(processor)) this.error([...at, processorField], 'must be an object with StartAt and States');
    else {
      const config = processor.ProcessorConfig;
      const mode = isObject(config) ? config.Mode : undefined;
      if (config !== undefined && !isObject(config)) this.error([...at, processorField, 'ProcessorConfig'], 'must be an object');
      else if (mode !== undefined && mode !== 'INLINE' && mode !== 'DISTRIBUTED') this.error([...at, processorField, 'ProcessorConfig', 'Mode'], 'must be INLINE or DISTRIBUTED');
      else if (mode === 'DISTRIBUTED' && s.ItemReader === undefined) this.warn([...at, processorField, 'ProcessorConfig', 'Mode'], 'DISTRIBUTED runs as an inline Map: the iterations are not child executions and there is no Map Run');
      this.machine(processor, [...at, processorField], ` in this ${processorField}`);
    }
    if (s.ItemReader !== undefined) this.error([...at, 'ItemReader'], 'reading items from S3 (ItemReader) is not emulated: give the items in the state input (ItemsPath or Items) instead');
    if (s.ResultWriter !== undefined) this.warn([...at, 'ResultWriter'], 'is not emulated: the results are not written to S3 but are the state\'s result, as in an inline Map');
    if (s.ItemSelector !== undefined && s.Parameters !== undefined) this.error(at, 'ItemSelector and Parameters cannot both be set (Parameters is the older name of ItemSelector)');
    if (s.ItemSelector !== undefined) {
      if (language === 'JSONPath') this.payloadTemplate(s.ItemSelector, [...at, 'ItemSelector']);
      else this.jsonataTemplate(s.ItemSelector, [...at, 'ItemSelector']);
    }
    if (language === 'JSONPath') {
      if (s.ItemsPath !== undefined) this.path(s.ItemsPath, [...at, 'ItemsPath'], 'path');
    } else if (s.Items !== undefined) this.valueOrJsonata(s.Items, [...at, 'Items'], language, Array.isArray, 'an array');
    const numbers: Array<[string, (v: unknown) => boolean, string]> = [
      ['MaxConcurrency', isNonNegativeInteger, 'a non-negative integer'],
      ['ToleratedFailureCount', isNonNegativeInteger, 'a non-negative integer'],
      ['ToleratedFailurePercentage', (v) => typeof v === 'number' && v >= 0 && v <= 100, 'a number from 0 to 100'],
    ];
    for (const [field, valid, what] of numbers) {
      if (s[field] !== undefined) this.valueOrJsonata(s[field], [...at, field], language, valid, what);
      if (s[`${field}Path`] === undefined || language === 'JSONata') continue;
      if (s[field] !== undefined) this.error(at, `${field} and ${field}Path cannot both be set`);
      else this.path(s[`${field}Path`], [...at, `${field}Path`], 'reference');
    }
    const batcher = s.ItemBatcher;
    if (batcher !== undefined) {
      if (!isObject(batcher)) this.error([...at, 'ItemBatcher'], 'must be an object');
      else {
        if (batcher.MaxItemsPerBatch !== undefined && !isPositiveInteger(batcher.MaxItemsPerBatch)) this.error([...at, 'ItemBatcher', 'MaxItemsPerBatch'], 'must be a positive integer');
        if (batcher.MaxInputBytesPerBatch !== undefined && !isPositiveInteger(batcher.MaxInputBytesPerBatch)) this.error([...at, 'ItemBatcher', 'MaxInputBytesPerBatch'], 'must be a positive integer');
        for (const field of ['MaxItemsPerBatchPath', 'MaxInputBytesPerBatchPath']) if (batcher[field] !== undefined) this.path(batcher[field], [...at, 'ItemBatcher', field], 'reference');
      }
    }
  }
}

interface AslValidatorError {
  'Error code': string;
  Message: string;
  schemaError?: { instancePath: string };
}
type AslValidator = (definition: unknown, options?: { checkPaths: boolean; checkArn: boolean }) => { isValid: boolean; errors: AslValidatorError[] };

let aslValidator: AslValidator | undefined;

/** asl-validator's errors, each as `<field path>: <why>`. Loaded on first use: it compiles its schemas. */
function aslValidatorErrors(definition: unknown, statePath: (name: string) => string | undefined): string[] {
  aslValidator ??= createRequire(import.meta.url)('asl-validator') as AslValidator;
  let result: ReturnType<AslValidator>;
  try {
    result = aslValidator(definition, { checkPaths: true, checkArn: true });
  } catch {
    // It trips on state names that are also field names ("Iterator"): our own checks stand alone then.
    return [];
  }
  const { isValid, errors } = result;
  if (isValid) return [];
  // Type and QueryLanguage are checked before: asl-validator's words about them come from trying each type's schema.
  // Targets (StartAt, Next, Default) are checked before too, and asl-validator mistakes a state named "Next" for a target.
  const messages = errors
    .filter((e) => !/^Missing '[A-Za-z|']+' target/.test(e.Message))
    .map((e) => translateAslError(e, definition, statePath))
    .filter((m) => !/\.(Type|QueryLanguage): must be equal to one of the allowed values$/.test(m));
  return [...new Set(messages)];
}

/**
 * asl-validator's message in our form: `/States/A/Choices/0/StringEquals is invalid. must be
 * string` as `States.A.Choices[0].StringEquals: must be string`, `State B is not reachable` as
 * `States.B: is not reachable`.
 */
export function translateAslError(e: AslValidatorError, definition: unknown, statePath: (name: string) => string | undefined = () => undefined): string {
  const m = /^(\/\S*|) is invalid\. ?(.*)$/s.exec(e.Message);
  if (!m) {
    const about = /^State "?(.+?)"? ((?:is|MUST) .*)$/s.exec(e.Message);
    const where = about && statePath(about[1]);
    return where ? `${where}: ${about[2][0].toLowerCase()}${about[2].slice(1)}` : e.Message;
  }
  const segments: Segment[] = [];
  let node: unknown = definition;
  for (const raw of m[1].split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const index = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : undefined;
    segments.push(index ?? key);
    node = index !== undefined ? (node as unknown[])[index] : isObject(node) ? node[key] : undefined;
  }
  return `${fieldPath(segments)}: ${m[2] || 'is invalid'}`;
}
