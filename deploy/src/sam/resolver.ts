// CloudFormation intrinsic functions over plain template data. Pure: every value a
// reference can produce (parameters, pseudo parameters, resource names and attributes)
// comes from the Lookup the template model supplies.
import { SamTemplateError } from './errors.js';

/** AWS::NoValue: the property it stands in is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export interface Location {
  logicalId?: string;
  field: string;
}

export interface Lookup {
  file: string;
  /** Parameter or pseudo parameter value, undefined when unknown. */
  param(name: string): unknown;
  /** A resource's Ref value; undefined when there is no such resource. */
  resourceRef(logicalId: string, at: Location): string | undefined;
  /** A resource attribute; undefined when there is no such resource. Throws for an unknown attribute. */
  resourceAttr(logicalId: string, attr: string, at: Location): unknown;
  condition(name: string, at: Location): boolean;
  mapping(map: string, top: string, second: string): unknown;
  /** What `!ImportValue name` gives; throws (naming `at`) when nothing exports it. */
  importValue(name: string, at: Location): string;
}

const SUPPORTED = new Set([
  'Ref',
  'Fn::Sub',
  'Fn::GetAtt',
  'Fn::Join',
  'Fn::Select',
  'Fn::Split',
  'Fn::If',
  'Fn::Equals',
  'Fn::Not',
  'Fn::And',
  'Fn::Or',
  'Fn::FindInMap',
  'Fn::Base64',
  'Fn::ImportValue',
  'Fn::GetAZs',
]);

/** The intrinsic key of a value ({Ref: x} -> "Ref"), or undefined for plain data. */
export function intrinsicKey(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const k = keys[0];
  return k === 'Ref' || k.startsWith('Fn::') ? k : undefined;
}

/** A payload format version as written (YAML reads an unquoted 2.0 as the number 2). */
export function versionText(v: unknown): string | undefined {
  return v === undefined ? undefined : typeof v === 'number' ? v.toFixed(1) : String(v);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export class Resolver {
  constructor(private readonly lookup: Lookup) {}

  private fail(at: Location, reason: string): never {
    throw new SamTemplateError(this.lookup.file, at.logicalId, at.field, reason);
  }

  /** Resolves every intrinsic inside `value`; NO_VALUE entries are dropped from maps and lists. */
  resolve(value: unknown, at: Location): unknown {
    if (value === null || typeof value !== 'object') return value;
    return this.walk(value, at, []);
  }

  // The path below `at.field` is kept as a stack and only joined into a string for an error.
  private walk(value: unknown, at: Location, path: Array<string | number>): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        const v = this.walk(value[i], at, path);
        path.pop();
        if (v !== NO_VALUE) out.push(v);
      }
      return out;
    }
    const key = intrinsicKey(value);
    if (key !== undefined) {
      const here = path.length === 0 ? at : { logicalId: at.logicalId, field: joinPath(at.field, path) };
      return this.intrinsic(key, (value as Record<string, unknown>)[key], here);
    }
    const out: Record<string, unknown> = {};
    for (const k in value as Record<string, unknown>) {
      path.push(k);
      const r = this.walk((value as Record<string, unknown>)[k], at, path);
      path.pop();
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  private str(v: unknown, at: Location, what: string): string {
    const r = this.resolve(v, at);
    if (typeof r === 'string') return r;
    if (typeof r === 'number' || typeof r === 'boolean') return String(r);
    return this.fail(at, `${what} must be a string`);
  }

  private list(v: unknown, at: Location, what: string): unknown[] {
    const r = this.resolve(v, at);
    if (Array.isArray(r)) return r;
    return this.fail(at, `${what} must be a list`);
  }

  private ref(name: unknown, at: Location): unknown {
    if (typeof name !== 'string') return this.fail(at, '!Ref needs a name');
    if (name === 'AWS::NoValue') return NO_VALUE;
    const p = this.lookup.param(name);
    if (p !== undefined) return p;
    const r = this.lookup.resourceRef(name, at);
    if (r !== undefined) return r;
    return this.fail(at, `!Ref ${name}: no parameter, pseudo parameter or resource named "${name}"`);
  }

  private getAtt(args: unknown, at: Location): unknown {
    let parts = args;
    if (typeof parts === 'string') {
      const dot = parts.indexOf('.');
      parts = dot < 0 ? [parts] : [parts.slice(0, dot), parts.slice(dot + 1)];
    }
    if (!Array.isArray(parts) || parts.length !== 2) return this.fail(at, '!GetAtt needs "LogicalId.Attribute"');
    const id = this.str(parts[0], at, '!GetAtt logical id');
    const attr = this.str(parts[1], at, '!GetAtt attribute');
    const v = this.lookup.resourceAttr(id, attr, at);
    if (v === undefined) return this.fail(at, `!GetAtt ${id}.${attr}: no resource named "${id}"`);
    return v;
  }

  private sub(args: unknown, at: Location): string {
    let text: unknown = args;
    let vars: Record<string, unknown> = {};
    if (Array.isArray(args)) {
      if (args.length !== 2 || !isRecord(args[1])) return this.fail(at, '!Sub takes a string or [string, {variables}]');
      text = args[0];
      vars = {};
      for (const [k, v] of Object.entries(args[1])) vars[k] = this.resolve(v, at);
    }
    if (typeof text !== 'string') return this.fail(at, '!Sub needs a string');
    return text.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      if (Object.prototype.hasOwnProperty.call(vars, name)) return scalarString(vars[name], () => this.fail(at, `!Sub variable ${name} must be a string`));
      const p = this.lookup.param(name);
      if (p !== undefined) return scalarString(p, () => this.fail(at, `!Sub \${${name}} is a list`));
      const dot = name.indexOf('.');
      if (dot > 0) {
        const v = this.lookup.resourceAttr(name.slice(0, dot), name.slice(dot + 1), at);
        if (v !== undefined) return scalarString(v, () => this.fail(at, `!Sub \${${name}} is not a string`));
      } else {
        const r = this.lookup.resourceRef(name, at);
        if (r !== undefined) return r;
      }
      return this.fail(at, `!Sub ${whole}: no parameter, pseudo parameter or resource named "${dot > 0 ? name.slice(0, dot) : name}"`);
    });
  }

  /** Evaluates a condition expression (Fn::Equals/And/Or/Not, {Condition: name}). */
  evalCondition(expr: unknown, at: Location): boolean {
    if (isRecord(expr) && Object.keys(expr).length === 1 && 'Condition' in expr) {
      const name = expr.Condition;
      if (typeof name !== 'string') return this.fail(at, 'Condition must name a condition');
      return this.lookup.condition(name, at);
    }
    const r = this.resolve(expr, at);
    if (typeof r === 'boolean') return r;
    if (r === 'true' || r === 'false') return r === 'true';
    return this.fail(at, 'a condition must be !Equals, !And, !Or, !Not or !Condition');
  }

  private intrinsic(key: string, args: unknown, at: Location): unknown {
    if (!SUPPORTED.has(key)) return this.fail(at, `unsupported intrinsic function ${key}`);
    switch (key) {
      case 'Ref':
        return this.ref(args, at);
      case 'Fn::GetAtt':
        return this.getAtt(args, at);
      case 'Fn::Sub':
        return this.sub(args, at);
      case 'Fn::Join': {
        if (!Array.isArray(args) || args.length !== 2) return this.fail(at, '!Join takes [delimiter, [values]]');
        const delim = this.str(args[0], at, '!Join delimiter');
        const items = this.list(args[1], at, '!Join values');
        return items.map((v) => scalarString(v, () => this.fail(at, '!Join values must be strings'))).join(delim);
      }
      case 'Fn::Select': {
        if (!Array.isArray(args) || args.length !== 2) return this.fail(at, '!Select takes [index, [values]]');
        const index = Number(this.str(args[0], at, '!Select index'));
        const items = this.list(args[1], at, '!Select values');
        if (!Number.isInteger(index) || index < 0 || index >= items.length) return this.fail(at, `!Select index ${index} is out of range (${items.length} values)`);
        return items[index];
      }
      case 'Fn::Split': {
        if (!Array.isArray(args) || args.length !== 2) return this.fail(at, '!Split takes [delimiter, string]');
        return this.str(args[1], at, '!Split source').split(this.str(args[0], at, '!Split delimiter'));
      }
      case 'Fn::If': {
        if (!Array.isArray(args) || args.length !== 3 || typeof args[0] !== 'string') return this.fail(at, '!If takes [condition, value-if-true, value-if-false]');
        return this.resolve(this.lookup.condition(args[0], at) ? args[1] : args[2], at);
      }
      case 'Fn::Equals': {
        if (!Array.isArray(args) || args.length !== 2) return this.fail(at, '!Equals takes [a, b]');
        return canonical(this.resolve(args[0], at)) === canonical(this.resolve(args[1], at));
      }
      case 'Fn::Not': {
        if (!Array.isArray(args) || args.length !== 1) return this.fail(at, '!Not takes [condition]');
        return !this.evalCondition(args[0], at);
      }
      case 'Fn::And':
      case 'Fn::Or': {
        if (!Array.isArray(args) || args.length < 1) return this.fail(at, `${key} takes a list of conditions`);
        const values = args.map((a) => this.evalCondition(a, at));
        return key === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
      }
      case 'Fn::FindInMap': {
        if (!Array.isArray(args) || args.length < 3 || args.length > 4) return this.fail(at, '!FindInMap takes [map, top-level key, second-level key]');
        const [m, a, b] = args.slice(0, 3).map((v) => this.str(v, at, '!FindInMap key'));
        const v = this.lookup.mapping(m, a, b);
        if (v !== undefined) return v;
        if (args.length === 4 && isRecord(args[3]) && 'DefaultValue' in args[3]) return this.resolve(args[3].DefaultValue, at);
        return this.fail(at, `!FindInMap ${m}.${a}.${b}: no such mapping entry`);
      }
      case 'Fn::Base64':
        return Buffer.from(this.str(args, at, '!Base64 value'), 'utf8').toString('base64');
      case 'Fn::ImportValue':
        return this.lookup.importValue(this.str(args, at, '!ImportValue name'), at);
      case 'Fn::GetAZs': {
        const region = String(this.lookup.param('AWS::Region'));
        return ['a', 'b', 'c'].map((z) => `${region}${z}`);
      }
    }
    return this.fail(at, `unsupported intrinsic function ${key}`);
  }
}

function joinPath(base: string, path: Array<string | number>): string {
  let out = base;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function canonical(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function scalarString(v: unknown, orElse: () => never): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return orElse();
}
