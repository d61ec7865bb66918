// A template's Parameters: what each one takes (Type, AllowedValues, AllowedPattern, lengths,
// bounds) and the check of a value against it, shared by the template reader and by
// `esb deploy --guided`, which asks for values (docs/generate.md "Parameters"). Pure.
import { javaRegexAsJs } from '@esb/contracts';
import { isRecord } from './resolver.js';

export interface ParameterDefinition {
  name: string;
  type: string;
  /** Default as the template writes it (a list is joined with commas). */
  default?: string;
  description?: string;
  allowedValues?: string[];
  allowedPattern?: string;
  constraintDescription?: string;
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
  noEcho: boolean;
}

/** A value that passed its parameter's checks (a list for list types), or the field it fails and why. */
export type ParameterCheck = { value: string | string[] } | { field: string; reason: string };

/** The parameters of a parsed template, in the template's order. A definition that is not a map fails with its name. */
export function parameterDefinitions(doc: unknown, fail: (name: string, field: string | undefined, reason: string) => never): ParameterDefinition[] {
  const section = isRecord(doc) ? doc.Parameters : undefined;
  if (section === undefined || section === null) return [];
  if (!isRecord(section)) return fail('Parameters', undefined, 'must be a map of name -> parameter');
  return Object.entries(section).map(([name, def]) => {
    if (!isRecord(def)) return fail(name, undefined, 'a parameter must be a map with a Type');
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const count = (field: string) => {
      const v = def[field];
      if (v === undefined) return undefined;
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return Number.isFinite(n) ? n : fail(name, field, `must be a number, not ${JSON.stringify(v)}`);
    };
    const out: ParameterDefinition = { name, type: text(def.Type) ?? 'String', noEcho: def.NoEcho === true || def.NoEcho === 'true' };
    if (def.Default !== undefined && def.Default !== null) {
      const d = Array.isArray(def.Default) ? def.Default.join(',') : def.Default;
      if (typeof d !== 'string' && typeof d !== 'number' && typeof d !== 'boolean') return fail(name, 'Default', 'must be a string');
      out.default = String(d);
    }
    if (text(def.Description)) out.description = text(def.Description);
    if (Array.isArray(def.AllowedValues)) out.allowedValues = def.AllowedValues.map(String);
    if (text(def.AllowedPattern) !== undefined) out.allowedPattern = text(def.AllowedPattern);
    if (text(def.ConstraintDescription)) out.constraintDescription = text(def.ConstraintDescription);
    for (const [field, key] of [['MinLength', 'minLength'], ['MaxLength', 'maxLength'], ['MinValue', 'minValue'], ['MaxValue', 'maxValue']] as const) {
      const n = count(field);
      if (n !== undefined) out[key] = n;
    }
    return out;
  });
}

/** `AWS::SSM::Parameter::Value<T>` -> T: the parameter names a Parameter Store parameter whose value is its value. */
export function ssmValueType(type: string): string | undefined {
  const m = /^AWS::SSM::Parameter::Value<(.+)>$/.exec(type);
  return m ? m[1] : undefined;
}

/** The Parameter Store names a template's `AWS::SSM::Parameter::Value<...>` parameters are given (override, else Default). */
export function ssmParameterNames(doc: unknown, overrides: Record<string, string> = {}): string[] {
  const names: string[] = [];
  let defs: ParameterDefinition[];
  try {
    defs = parameterDefinitions(doc, () => {
      throw new Error('bad parameters');
    });
  } catch {
    return names; // the template reader names what is wrong
  }
  for (const def of defs) {
    if (ssmValueType(def.type) === undefined) continue;
    const name = Object.prototype.hasOwnProperty.call(overrides, def.name) ? overrides[def.name] : def.default;
    if (name) names.push(name);
  }
  return names;
}

/** Whether a type takes a comma-separated list. */
export function isListParameter(type: string): boolean {
  return type === 'CommaDelimitedList' || type.startsWith('List<');
}

/**
 * Checks a value against its parameter as CloudFormation does: AllowedValues (each item of a
 * list), AllowedPattern (the whole value), MinLength/MaxLength (a string's length), Number
 * types and MinValue/MaxValue. A failure carries the ConstraintDescription when there is one.
 */
export function checkParameterValue(def: ParameterDefinition, raw: unknown): ParameterCheck {
  if (Array.isArray(raw)) raw = raw.join(',');
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') return { field: 'Default', reason: 'must be a string' };
  const value = String(raw);
  const list = isListParameter(def.type);
  const values = list ? value.split(',').map((s) => s.trim()) : [value];
  const failed = (field: string, reason: string): ParameterCheck => ({ field, reason: def.constraintDescription ? `${reason} (${def.constraintDescription})` : reason });
  if (def.allowedValues) {
    for (const v of values) if (!def.allowedValues.includes(v)) return failed('AllowedValues', `value "${v}" is not one of ${def.allowedValues.join(', ')}`);
  }
  if (def.allowedPattern !== undefined && !list) {
    const source = javaRegexAsJs(def.allowedPattern);
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${source})$`, 'u');
    } catch {
      pattern = new RegExp(`^(?:${source})$`);
    }
    if (!pattern.test(value)) return failed('AllowedPattern', `value "${value}" does not match ${def.allowedPattern}`);
  }
  if (!list && def.type === 'String') {
    if (def.minLength !== undefined && value.length < def.minLength) return failed('MinLength', `value "${value}" is shorter than ${def.minLength} characters`);
    if (def.maxLength !== undefined && value.length > def.maxLength) return failed('MaxLength', `value "${value.slice(0, 80)}" is longer than ${def.maxLength} characters`);
  }
  if (def.type === 'Number' || def.type === 'List<Number>') {
    for (const v of values) {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) return failed('Type', `value "${v}" is not a number`);
      if (def.minValue !== undefined && n < def.minValue) return failed('MinValue', `value ${v} is below ${def.minValue}`);
      if (def.maxValue !== undefined && n > def.maxValue) return failed('MaxValue', `value ${v} is above ${def.maxValue}`);
    }
  }
  return { value: list ? values : value };
}

/** `a, b and c` */
export function listed(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
