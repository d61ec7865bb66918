// Choice rules of JSONPath states (docs/step-functions.md "The states"): a comparison of the value at
// Variable with a literal or with the value at another path, and And, Or and Not over rules. A value
// of the wrong type makes a comparison false; a Variable (or a `...Path` operand) that names
// nothing is States.Runtime, except for IsPresent, whose purpose that is.
import { StatesError, States } from './errors.js';
import { pathExists, PathNotFound, readPath, type PathData } from './paths.js';

export type ChoiceRule = Record<string, unknown>;

type Kind = 'string' | 'numeric' | 'boolean' | 'timestamp';
type Compare = 'Equals' | 'LessThan' | 'GreaterThan' | 'LessThanEquals' | 'GreaterThanEquals';

/** Every comparison operator: its operand's kind, how it compares, and whether its operand is a path. */
export const COMPARISONS: Record<string, { kind: Kind | 'matches'; compare?: Compare; path: boolean }> = {};
for (const [prefix, kind] of [['String', 'string'], ['Numeric', 'numeric'], ['Timestamp', 'timestamp']] as const) {
  for (const compare of ['Equals', 'LessThan', 'GreaterThan', 'LessThanEquals', 'GreaterThanEquals'] as const) {
    COMPARISONS[`${prefix}${compare}`] = { kind, compare, path: false };
    COMPARISONS[`${prefix}${compare}Path`] = { kind, compare, path: true };
  }
}
COMPARISONS.BooleanEquals = { kind: 'boolean', compare: 'Equals', path: false };
COMPARISONS.BooleanEqualsPath = { kind: 'boolean', compare: 'Equals', path: true };
COMPARISONS.StringMatches = { kind: 'matches', path: false };

/** The type tests: their operand is true (the value is of the type) or false (it is not). */
export const TYPE_TESTS = ['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'] as const;

/** The operator of a rule: the one field that is a comparison, a type test or And/Or/Not. */
export function ruleOperators(rule: ChoiceRule): string[] {
  return Object.keys(rule).filter((k) => k in COMPARISONS || (TYPE_TESTS as readonly string[]).includes(k) || k === 'And' || k === 'Or' || k === 'Not');
}

/** Whether a rule matches the data (the state's effective input, its context and variables). */
export function ruleMatches(rule: ChoiceRule, data: PathData): boolean {
  if (Array.isArray(rule.And)) return (rule.And as ChoiceRule[]).every((r) => ruleMatches(r, data));
  if (Array.isArray(rule.Or)) return (rule.Or as ChoiceRule[]).some((r) => ruleMatches(r, data));
  if (rule.Not !== undefined) return !ruleMatches(rule.Not as ChoiceRule, data);
  const variable = String(rule.Variable);
  const [operator] = ruleOperators(rule);
  if (operator === 'IsPresent') return pathExists(variable, data) === rule.IsPresent;
  const value = read(variable, data);
  const operand = rule[operator];
  switch (operator) {
    case 'IsNull':
      return (value === null) === operand;
    case 'IsNumeric':
      return (typeof value === 'number') === operand;
    case 'IsString':
      return (typeof value === 'string') === operand;
    case 'IsBoolean':
      return (typeof value === 'boolean') === operand;
    case 'IsTimestamp':
      return (parseTimestamp(value) !== undefined) === operand;
  }
  const comparison = COMPARISONS[operator];
  if (!comparison) throw new StatesError(States.Runtime, `A choice rule has no comparison operator: ${JSON.stringify(rule)}`);
  const expected = comparison.path ? read(String(operand), data) : operand;
  if (comparison.kind === 'matches') return typeof value === 'string' && typeof expected === 'string' && wildcardMatches(expected, value);
  return compareValues(comparison.kind, comparison.compare!, value, expected);
}

function read(path: string, data: PathData): unknown {
  try {
    return readPath(path, data);
  } catch (err) {
    if (err instanceof PathNotFound) throw new StatesError(States.Runtime, `Invalid path '${path}': The choice state's condition path references an invalid value.`);
    throw err;
  }
}

function compareValues(kind: Kind, compare: Compare, value: unknown, expected: unknown): boolean {
  let order: number;
  if (kind === 'string') {
    if (typeof value !== 'string' || typeof expected !== 'string') return false;
    order = value < expected ? -1 : value > expected ? 1 : 0;
  } else if (kind === 'numeric') {
    if (typeof value !== 'number' || typeof expected !== 'number') return false;
    order = value < expected ? -1 : value > expected ? 1 : 0;
  } else if (kind === 'boolean') {
    return typeof value === 'boolean' && value === expected;
  } else {
    const a = parseTimestamp(value);
    const b = parseTimestamp(expected);
    if (!a || !b) return false;
    order = compareTimestamps(a, b);
  }
  switch (compare) {
    case 'Equals':
      return order === 0;
    case 'LessThan':
      return order < 0;
    case 'GreaterThan':
      return order > 0;
    case 'LessThanEquals':
      return order <= 0;
    case 'GreaterThanEquals':
      return order >= 0;
  }
}

/**
 * StringMatches: `*` stands for any run of characters; `\*` is a star and `\\` a backslash.
 * Matched by walking back to the last star (at most pattern x value steps), not with a regular
 * expression, which backtracks exponentially on patterns such as `*a*a*a*b`.
 */
export function wildcardMatches(pattern: string, value: string): boolean {
  // The pattern as characters, null for a star (a run of stars is one).
  const tokens: Array<string | null> = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) tokens.push(pattern[++i]);
    else if (c !== '*') tokens.push(c);
    else if (tokens[tokens.length - 1] !== null) tokens.push(null);
  }
  let p = 0;
  let v = 0;
  let star = -1;
  let starValue = 0;
  while (v < value.length) {
    if (p < tokens.length && tokens[p] !== null && tokens[p] === value[v]) {
      p++;
      v++;
    } else if (p < tokens.length && tokens[p] === null) {
      star = p++;
      starValue = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++starValue;
    } else return false;
  }
  while (p < tokens.length && tokens[p] === null) p++;
  return p === tokens.length;
}

/** An instant as seconds since the epoch and the fraction's digits (nanoseconds), exact at any precision. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * A timestamp as Step Functions takes it: RFC 3339 with an uppercase T between date and time and
 * an uppercase Z when there is no numeric offset; undefined for anything else.
 */
export function parseTimestamp(value: unknown): Timestamp | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (m[8] !== 'Z') {
    const [h, mm] = [Number(m[10]), Number(m[11])];
    if (h > 23 || mm > 59) return undefined;
    offset = (m[9] === '-' ? -1 : 1) * (h * 3600 + mm * 60);
  }
  // Date.UTC would read years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const seconds = date.getTime() / 1000 - offset;
  return { seconds, nanos: Number((m[7] ?? '').padEnd(9, '0')) };
}

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.seconds !== b.seconds ? Math.sign(a.seconds - b.seconds) : Math.sign(a.nanos - b.nanos);
}

/** A timestamp as ms since the epoch (Wait). */
export function timestampMillis(t: Timestamp): number {
  return t.seconds * 1000 + Math.floor(t.nanos / 1e6);
}
