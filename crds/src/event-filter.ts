// Lambda event filtering (FilterCriteria of an event source mapping; docs/agent.md "DynamoDB
// streams" and "SQS queues"), checked when a template is read and applied by the agent: a
// record reaches the function when one of the patterns matches it. A pattern is a JSON object
// shaped like the record: each key's value is a list of accepted values or matchers, or a
// nested pattern; every key of a pattern must match, and `$or` takes any one of its patterns
// (EventBridge's event patterns are the same syntax, docs/eventbridge.md). Pure.
import { BlockList, isIP } from 'node:net';

export type Pattern = Record<string, unknown>;

export class FilterPatternError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'FilterPatternError';
  }
}

/** Parses and checks a pattern's JSON text; throws FilterPatternError naming what is wrong. */
export function parsePattern(text: string): Pattern {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FilterPatternError(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw new FilterPatternError('must be a JSON object');
  checkPattern(value, '');
  return value;
}

const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'wildcard', 'cidr']);

function checkPattern(p: Pattern, at: string): void {
  for (const [k, v] of Object.entries(p)) {
    const where = at ? `${at}.${k}` : k;
    if (k === '$or') {
      // Any one of two or more patterns, each shaped like the level it is at.
      if (!Array.isArray(v) || v.length < 2 || !v.every(isObject)) throw new FilterPatternError(`${where}: must be a list of two or more patterns`);
      v.forEach((alt, i) => checkPattern(alt, `${where}[${i}]`));
      continue;
    }
    if (Array.isArray(v)) {
      for (const m of v) {
        if (!isObject(m)) continue;
        const op = Object.keys(m)[0];
        if (Object.keys(m).length !== 1 || !OPERATORS.has(op)) throw new FilterPatternError(`${where}: unknown matcher ${JSON.stringify(m)} (prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard, cidr)`);
        if (op === 'numeric') numericTest(m.numeric, where);
        if (op === 'cidr') cidrTest(m.cidr, where);
      }
    } else if (isObject(v)) checkPattern(v, where);
    else throw new FilterPatternError(`${where}: must be a list of values or a nested pattern, not ${JSON.stringify(v)}`);
  }
}

/**
 * A mapping's FilterCriteria as one test: a value passes when one pattern matches it, or when
 * there are none. Patterns were checked when the template was read; a list with one that no
 * longer parses takes nothing.
 */
export function compileFilters(filters: readonly string[] | undefined): (value: unknown) => boolean {
  if (!filters?.length) return () => true;
  let patterns: Pattern[];
  try {
    patterns = filters.map(parsePattern);
  } catch {
    return () => false;
  }
  return (value) => patterns.some((p) => matchesPattern(p, value));
}

export function matchesPattern(pattern: Pattern, value: unknown): boolean {
  if (!isObject(value)) return false;
  for (const [k, want] of Object.entries(pattern)) {
    if (k === '$or') {
      if (!(want as Pattern[]).some((alt) => matchesPattern(alt, value))) return false;
      continue;
    }
    const have = value[k];
    if (Array.isArray(want)) {
      if (!want.some((m) => matchesOne(m, have))) return false;
    } else if (!matchesPattern(want as Pattern, have)) return false;
  }
  return true;
}

function matchesOne(matcher: unknown, have: unknown): boolean {
  if (isObject(matcher) && 'exists' in matcher) return (have !== undefined) === (matcher.exists === true);
  if (have === undefined) return false;
  const values = Array.isArray(have) ? have : [have];
  return values.some((v) => matchesValue(matcher, v));
}

function matchesValue(matcher: unknown, v: unknown): boolean {
  if (!isObject(matcher)) return matcher === v;
  const [op, arg] = Object.entries(matcher)[0];
  switch (op) {
    case 'prefix':
      return typeof v === 'string' && typeof arg === 'string' && v.startsWith(arg);
    case 'suffix':
      return typeof v === 'string' && typeof arg === 'string' && v.endsWith(arg);
    case 'equals-ignore-case':
      return typeof v === 'string' && typeof arg === 'string' && v.toLowerCase() === arg.toLowerCase();
    case 'wildcard':
      return typeof v === 'string' && typeof arg === 'string' && new RegExp(`^${arg.split('*').map(escapeRegExp).join('.*')}$`, 's').test(v);
    case 'anything-but': {
      if (isObject(arg)) return !matchesValue(arg, v);
      const refused = Array.isArray(arg) ? arg : [arg];
      return !refused.includes(v);
    }
    case 'cidr':
      return typeof v === 'string' && cidrTest(arg, '')(v);
    case 'numeric': {
      // DynamoDB numbers arrive as strings ({"N": "5"}): compared as numbers.
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return !Number.isNaN(n) && numericTest(arg, '')(n);
    }
    default:
      return false;
  }
}

function numericTest(arg: unknown, where: string): (n: number) => boolean {
  const ops: Record<string, (a: number, b: number) => boolean> = { '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b, '=': (a, b) => a === b };
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0) throw new FilterPatternError(`${where}: numeric wants [operator, number, ...]`);
  const tests: Array<(n: number) => boolean> = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = ops[String(arg[i])];
    const bound = arg[i + 1];
    if (!op || typeof bound !== 'number') throw new FilterPatternError(`${where}: numeric wants [operator, number, ...] with <, <=, >, >=, =`);
    tests.push((n) => op(n, bound));
  }
  return (n) => tests.every((t) => t(n));
}

/** `{"cidr": "10.0.0.0/24"}`: an IPv4 or IPv6 address inside the block. */
function cidrTest(arg: unknown, where: string): (address: string) => boolean {
  const m = typeof arg === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(arg) : null;
  const family = m ? isIP(m[1]) : 0;
  const bits = m ? Number(m[2]) : NaN;
  if (!m || family === 0 || bits > (family === 4 ? 32 : 128)) throw new FilterPatternError(`${where}: cidr wants an IPv4 or IPv6 block like "10.0.0.0/24", not ${JSON.stringify(arg)}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const block = new BlockList();
  block.addSubnet(m[1], bits, type);
  return (address) => isIP(address) === family && block.check(address, type);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
