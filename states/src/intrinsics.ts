// The intrinsic functions of the Amazon States Language (docs/step-functions.md "The states"):
// `States.Format('{} and {}', $.a, States.ArrayLength($.b))` in a `.$` field of a payload
// template. A tokenizer and a recursive-descent parser make the call tree (checked when a
// definition is, so a typo fails at creation rather than mid-execution); evaluating it reads the
// paths it names and fails with States.IntrinsicFailure as Step Functions does.
import { createHash, randomUUID } from 'node:crypto';
import { StatesError, States } from './errors.js';
import { boundedJson, JsonTooLarge, MAX_INTERMEDIATE_TEXT } from './json.js';

export type IntrinsicArg =
  | { kind: 'call'; name: string; args: IntrinsicArg[] }
  | { kind: 'string'; value: string; raw: string }
  | { kind: 'number'; value: number }
  | { kind: 'literal'; value: null | boolean }
  | { kind: 'path'; path: string };

export type IntrinsicCall = Extract<IntrinsicArg, { kind: 'call' }>;

/** A malformed call: a syntax error, an unknown function or a wrong number of arguments. */
export class IntrinsicSyntaxError extends Error {}

/** Argument counts: [least, most]. */
const ARITY: Record<string, [number, number]> = {
  'States.Format': [1, Infinity],
  'States.StringToJson': [1, 1],
  'States.JsonToString': [1, 1],
  'States.Array': [0, Infinity],
  'States.ArrayPartition': [2, 2],
  'States.ArrayContains': [2, 2],
  'States.ArrayRange': [3, 3],
  'States.ArrayGetItem': [2, 2],
  'States.ArrayLength': [1, 1],
  'States.ArrayUnique': [1, 1],
  'States.Base64Encode': [1, 1],
  'States.Base64Decode': [1, 1],
  'States.Hash': [2, 2],
  'States.JsonMerge': [3, 3],
  'States.MathRandom': [2, 3],
  'States.MathAdd': [2, 2],
  'States.StringSplit': [2, 2],
  'States.UUID': [0, 0],
};

/** Step Functions' limits: ArrayRange makes at most 1000 items, the Base64 and Hash functions take at most 10,000 characters. */
export const ARRAY_RANGE_MAX = 1000;
const TEXT_MAX = 10_000;

/** Whether a `.$` value is an intrinsic function call rather than a Path. */
export function isIntrinsic(text: string): boolean {
  return /^\s*States\.[A-Za-z0-9]+\s*\(/.test(text);
}

type Token = { type: 'name'; text: string } | { type: 'string'; value: string; raw: string } | { type: 'number'; value: number } | { type: 'path'; text: string } | { type: '(' | ')' | ',' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c });
      i++;
    } else if (c === "'") {
      // `\'`, `\{`, `\}` and `\\` are escapes; `raw` keeps them for States.Format, which tells `\{` from `{`.
      let value = '';
      let raw = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== "'"; j++) {
        if (text[j] === '\\') {
          if (j + 1 >= text.length) break;
          value += text[j + 1];
          raw += text[j] + text[j + 1];
          j++;
        } else {
          value += text[j];
          raw += text[j];
        }
      }
      if (text[j] !== "'") throw new IntrinsicSyntaxError(`unterminated string starting at position ${i}`);
      tokens.push({ type: 'string', value, raw });
      i = j + 1;
    } else if (c === '$') {
      // A path runs to the next `,` or `)` outside brackets (a filter may hold both) or to a space.
      let j = i;
      let depth = 0;
      for (; j < text.length; j++) {
        const d = text[j];
        if (d === "'" || d === '"') {
          const end = text.indexOf(d, j + 1);
          if (end < 0) throw new IntrinsicSyntaxError(`unterminated quote in the path at position ${i}`);
          j = end;
        } else if (d === '[') depth++;
        else if (d === ']') depth--;
        else if (depth === 0 && (d === ',' || d === ')' || /\s/.test(d))) break;
      }
      tokens.push({ type: 'path', text: text.slice(i, j) });
      i = j;
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i));
      if (!m) throw new IntrinsicSyntaxError(`unexpected '${c}' at position ${i}`);
      tokens.push({ type: 'number', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(text.slice(i))!;
      tokens.push({ type: 'name', text: m[0] });
      i += m[0].length;
    } else throw new IntrinsicSyntaxError(`unexpected '${c}' at position ${i}`);
  }
  return tokens;
}

const parsedCalls = new Map<string, IntrinsicCall>();

/** The call tree of an intrinsic function call; throws IntrinsicSyntaxError. */
export function parseIntrinsic(text: string): IntrinsicCall {
  const hit = parsedCalls.get(text);
  if (hit) return hit;
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const expect = (type: Token['type']) => {
    const t = tokens[at];
    if (t?.type !== type) throw new IntrinsicSyntaxError(`expected '${type}' ${t ? `but found ${describe(t)}` : 'at the end'}`);
    at++;
    return t;
  };
  const argument = (): IntrinsicArg => {
    const t = peek();
    if (!t) throw new IntrinsicSyntaxError('expected an argument at the end');
    if (t.type === 'string') return at++, { kind: 'string', value: t.value, raw: t.raw };
    if (t.type === 'number') return at++, { kind: 'number', value: t.value };
    if (t.type === 'path') return at++, { kind: 'path', path: t.text };
    if (t.type === 'name') {
      if (t.text === 'null' || t.text === 'true' || t.text === 'false') return at++, { kind: 'literal', value: t.text === 'null' ? null : t.text === 'true' };
      return call();
    }
    throw new IntrinsicSyntaxError(`expected an argument but found ${describe(t)}`);
  };
  const call = (): IntrinsicCall => {
    const name = (expect('name') as { text: string }).text;
    const arity = ARITY[name];
    if (!arity) throw new IntrinsicSyntaxError(`'${name}' is not an intrinsic function`);
    expect('(');
    const args: IntrinsicArg[] = [];
    if (peek()?.type !== ')') {
      args.push(argument());
      while (peek()?.type === ',') {
        at++;
        args.push(argument());
      }
    }
    expect(')');
    if (args.length < arity[0] || args.length > arity[1]) {
      const wanted = arity[0] === arity[1] ? `${arity[0]}` : arity[1] === Infinity ? `at least ${arity[0]}` : `${arity[0]} or ${arity[1]}`;
      throw new IntrinsicSyntaxError(`${name} takes ${wanted} argument${arity[1] === 1 || (arity[0] === 1 && arity[1] === Infinity) ? '' : 's'}, not ${args.length}`);
    }
    return { kind: 'call', name, args };
  };
  const tree = call();
  if (at < tokens.length) throw new IntrinsicSyntaxError(`unexpected ${describe(tokens[at])} after the call`);
  if (parsedCalls.size > 10_000) parsedCalls.clear();
  parsedCalls.set(text, tree);
  return tree;
}

function describe(t: Token): string {
  if (t.type === 'name' || t.type === 'path') return `'${t.text}'`;
  if (t.type === 'string') return `'${t.raw}'`;
  if (t.type === 'number') return String(t.value);
  return `'${t.type}'`;
}

/**
 * Evaluates a call tree; `read` gives the value at a path (and throws when there is none). Its
 * arguments and its result are each at most MAX_INTERMEDIATE_TEXT as JSON text: paths give
 * references, and `States.Array($, $, ...)` would otherwise grow without end.
 */
export function evaluateIntrinsic(call: IntrinsicCall, read: (path: string) => unknown): unknown {
  const fail = (why: string) => new StatesError(States.IntrinsicFailure, `Invalid arguments in ${call.name}: ${why}`);
  const args = call.args.map((a) => argumentValue(a, read));
  bounded(args, () => fail(`the arguments are larger than ${MAX_INTERMEDIATE_TEXT} characters as JSON`));
  const result = apply(call, args, fail);
  bounded(result, () => new StatesError(States.IntrinsicFailure, `The result of ${call.name} is larger than ${MAX_INTERMEDIATE_TEXT} characters as JSON`));
  return result;
}

function bounded(value: unknown, tooLarge: () => StatesError): void {
  try {
    boundedJson(value, MAX_INTERMEDIATE_TEXT);
  } catch (err) {
    if (err instanceof JsonTooLarge) throw tooLarge();
    throw err;
  }
}

function apply(call: IntrinsicCall, args: unknown[], fail: (why: string) => StatesError): unknown {
  const num = (i: number, what: string) => {
    const v = args[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`the ${what} must be a number, not ${kindOf(v)}`);
    return v;
  };
  const int = (i: number, what: string) => {
    const v = num(i, what);
    if (!Number.isInteger(v)) throw fail(`the ${what} must be an integer, not ${v}`);
    return v;
  };
  const str = (i: number, what: string) => {
    const v = args[i];
    if (typeof v !== 'string') throw fail(`the ${what} must be a string, not ${kindOf(v)}`);
    return v;
  };
  const arr = (i: number, what: string) => {
    const v = args[i];
    if (!Array.isArray(v)) throw fail(`the ${what} must be an array, not ${kindOf(v)}`);
    return v as unknown[];
  };
  switch (call.name) {
    case 'States.Format':
      return format(call.args[0], args, fail);
    case 'States.StringToJson': {
      const text = str(0, 'argument');
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw fail(`'${text}' is not JSON text`);
      }
    }
    case 'States.JsonToString':
      return JSON.stringify(args[0]);
    case 'States.Array':
      return args;
    case 'States.ArrayPartition': {
      const items = arr(0, 'first argument');
      const size = int(1, 'chunk size');
      if (size <= 0) throw fail(`the chunk size must be positive, not ${size}`);
      const chunks: unknown[][] = [];
      for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
      return chunks;
    }
    case 'States.ArrayContains': {
      const items = arr(0, 'first argument');
      if (items.length === 0) return false;
      const wanted = canonicalJson(args[1]);
      return items.some((item) => canonicalJson(item) === wanted);
    }
    case 'States.ArrayRange': {
      const [first, last, step] = [int(0, 'first argument'), int(1, 'second argument'), int(2, 'step')];
      if (step === 0) throw fail('the step must not be 0');
      const count = (last - first) / step < 0 ? 0 : Math.floor((last - first) / step) + 1;
      if (count > ARRAY_RANGE_MAX) throw fail(`the range would have ${count} items, more than ${ARRAY_RANGE_MAX}`);
      return Array.from({ length: count }, (_, i) => first + i * step);
    }
    case 'States.ArrayGetItem': {
      const items = arr(0, 'first argument');
      const index = int(1, 'index');
      if (index < 0 || index >= items.length) throw fail(`the index ${index} is out of the array's bounds (length ${items.length})`);
      return items[index];
    }
    case 'States.ArrayLength':
      return arr(0, 'argument').length;
    case 'States.ArrayUnique': {
      const seen = new Set<string>();
      return arr(0, 'argument').filter((item) => {
        const key = canonicalJson(item);
        return seen.has(key) ? false : (seen.add(key), true);
      });
    }
    case 'States.Base64Encode': {
      const text = str(0, 'argument');
      if (text.length > TEXT_MAX) throw fail(`the input is longer than ${TEXT_MAX} characters`);
      return Buffer.from(text, 'utf8').toString('base64');
    }
    case 'States.Base64Decode': {
      const text = str(0, 'argument');
      if (text.length > TEXT_MAX) throw fail(`the input is longer than ${TEXT_MAX} characters`);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw fail(`'${text}' is not Base64`);
      return Buffer.from(text, 'base64').toString('utf8');
    }
    case 'States.Hash': {
      // Data that is not a string is hashed as its JSON text.
      const data = typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
      if (data === undefined) throw fail('the data must be a JSON value');
      if (data.length > TEXT_MAX) throw fail(`the data is longer than ${TEXT_MAX} characters`);
      const name = str(1, 'algorithm');
      const algorithm = Object.hasOwn(HASHES, name) ? HASHES[name] : undefined;
      if (!algorithm) throw fail(`the algorithm must be one of ${Object.keys(HASHES).join(', ')}, not '${args[1]}'`);
      return createHash(algorithm).update(data, 'utf8').digest('hex');
    }
    case 'States.JsonMerge': {
      const [a, b, deep] = args;
      if (!isObject(a) || !isObject(b)) throw fail('the first two arguments must be JSON objects');
      if (typeof deep !== 'boolean') throw fail('the third argument must be a boolean');
      if (deep) throw fail('deep merging is not supported: the third argument must be false');
      return { ...a, ...b };
    }
    case 'States.MathRandom': {
      // Step Functions rounds non-integer bounds; the end is exclusive.
      const start = Math.round(num(0, 'start'));
      const end = Math.round(num(1, 'end'));
      if (end <= start) throw fail(`the end (${end}) must be greater than the start (${start})`);
      const unit = args.length === 3 ? seededRandom(Math.round(num(2, 'seed'))) : Math.random();
      return start + Math.floor(unit * (end - start));
    }
    case 'States.MathAdd': {
      const sum = Math.round(num(0, 'first argument')) + Math.round(num(1, 'second argument'));
      if (!Number.isSafeInteger(sum)) throw fail('the sum is out of range');
      return sum;
    }
    case 'States.StringSplit': {
      // Every character of the second argument splits; empty pieces are left out.
      const text = str(0, 'first argument');
      const splitters = new Set(str(1, 'second argument'));
      const pieces: string[] = [];
      let piece = '';
      for (const ch of text) {
        if (splitters.has(ch)) {
          if (piece) pieces.push(piece);
          piece = '';
        } else piece += ch;
      }
      if (piece) pieces.push(piece);
      return pieces;
    }
    case 'States.UUID':
      return randomUUID();
  }
  throw fail('unknown function');
}

function argumentValue(arg: IntrinsicArg, read: (path: string) => unknown): unknown {
  switch (arg.kind) {
    case 'call':
      return evaluateIntrinsic(arg, read);
    case 'path':
      return read(arg.path);
    default:
      return arg.value;
  }
}

/** The algorithms States.Hash (and JSONata's $hash) take, by the names Node's crypto knows them. */
export const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** `{}` placeholders filled in order; `\{` and `\}` are braces. */
function format(template: IntrinsicArg, args: unknown[], fail: (why: string) => StatesError): string {
  const text = template.kind === 'string' ? template.raw : args[0];
  if (typeof text !== 'string') throw fail(`the first argument must be a string, not ${kindOf(args[0])}`);
  const values = args.slice(1);
  let out = '';
  let used = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      out += text[++i];
    } else if (c === '{' && text[i + 1] === '}') {
      if (used >= values.length) throw fail(`the template has more {} than the ${values.length} value${values.length === 1 ? '' : 's'} given`);
      out += formatValue(values[used++]);
      if (out.length > MAX_INTERMEDIATE_TEXT) throw fail(`the text would be longer than ${MAX_INTERMEDIATE_TEXT} characters`);
      i++;
    } else out += c;
  }
  if (used < values.length) throw fail(`the template has ${used} {} for ${values.length} values`);
  return out;
}

/** Strings as they are, anything else as its JSON text. */
function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string '${v}'`;
  return `${typeof v} ${String(v)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON text with keys sorted: equal for equal JSON values. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** A number in [0, 1) that a seed always gives (mulberry32). */
export function seededRandom(seed: number): number {
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
