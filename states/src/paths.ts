// Paths of the Amazon States Language (docs/step-functions.md "The states"): `$` is the state's input,
// `$$` the context object, `$name` a variable. A Reference Path (`$.a.b[0]`, `$['a b']`) names one
// node and is read here directly, and is the only kind ResultPath writes to; any other Path
// (filters, wildcards, slices) goes to jsonpath-plus and, as with Step Functions' JsonPath, gives
// the list of what it matches.
import { JSONPath } from 'jsonpath-plus';
import { StatesError, States } from './errors.js';

export type PathStep = string | number;

export interface ParsedPath {
  root: 'input' | 'context' | 'variable';
  /** The variable's name when root is 'variable'. */
  variable?: string;
  /** The steps of a Reference Path; undefined for a path only jsonpath-plus reads. */
  steps?: PathStep[];
  /** What jsonpath-plus is given: the path with its root written `$`. */
  query: string;
}

/** What a path reads: the input, the context object and the variables in scope. */
export interface PathData {
  input: unknown;
  context?: unknown;
  variable?(name: string): { found: boolean; value?: unknown };
}

/** A path that matches nothing; `normalized` is the path as Step Functions' messages spell it (`$['a']['b']`). */
export class PathNotFound extends Error {
  constructor(
    readonly path: string,
    readonly normalized: string,
  ) {
    super(`Invalid path '${path}' : No results for path: ${normalized}`);
  }
}

export const VARIABLE_NAME = /^[\p{L}_][\p{L}\p{N}_]*$/u;
const VARIABLE_HEAD = /^\$([\p{L}_][\p{L}\p{N}_]*)/u;
const DOT_NAME = /^[^.[\]\s'"()*?@,:$]+/;

/** Parsed paths by their text; bounded so that definitions cannot grow it without end. */
const parsed = new Map<string, ParsedPath | null>();

/** The path parsed, or undefined when the text is not a Path. */
export function parsePath(text: string): ParsedPath | undefined {
  const hit = parsed.get(text);
  if (hit !== undefined) return hit ?? undefined;
  const value = parse(text);
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(text, value ?? null);
  return value;
}

function parse(text: string): ParsedPath | undefined {
  if (!text.startsWith('$')) return undefined;
  let root: ParsedPath['root'] = 'input';
  let variable: string | undefined;
  let rest: string;
  const named = VARIABLE_HEAD.exec(text);
  if (text.startsWith('$$')) {
    root = 'context';
    rest = text.slice(2);
  } else if (named) {
    root = 'variable';
    variable = named[1];
    rest = text.slice(named[0].length);
  } else rest = text.slice(1);
  // Step Functions (Jayway JsonPath) reads `.[` as `[`: `$.[0].body` is `$[0].body`, one value.
  if (!/['"]/.test(rest)) rest = rest.replace(/\.\[/g, '[');
  if (!balanced(rest)) return undefined;
  const steps = referenceSteps(rest);
  if (!steps && !/^[.[]/.test(rest)) return undefined;
  return { root, variable, steps, query: `$${rest}` };
}

/** The steps of `.a['b c'][0]...`, or undefined when the text is more than a Reference Path. */
function referenceSteps(rest: string): PathStep[] | undefined {
  const steps: PathStep[] = [];
  let i = 0;
  while (i < rest.length) {
    if (rest[i] === '.') {
      const m = DOT_NAME.exec(rest.slice(i + 1));
      if (!m) return undefined;
      steps.push(m[0]);
      i += 1 + m[0].length;
    } else if (rest[i] === '[') {
      const quote = rest[i + 1];
      if (quote === "'" || quote === '"') {
        let name = '';
        let j = i + 2;
        for (; j < rest.length && rest[j] !== quote; j++) {
          if (rest[j] === '\\' && j + 1 < rest.length) j++;
          name += rest[j];
        }
        if (rest[j] !== quote || rest[j + 1] !== ']') return undefined;
        steps.push(name);
        i = j + 2;
      } else {
        const m = /^\[(\d+)\]/.exec(rest.slice(i));
        if (!m) return undefined;
        steps.push(Number(m[1]));
        i += m[0].length;
      }
    } else return undefined;
  }
  return steps;
}

/** Brackets, parentheses and quotes that close: the least a Path must be. */
function balanced(text: string): boolean {
  const open: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return false;
      i = end;
    } else if (c === '[' || c === '(') open.push(c === '[' ? ']' : ')');
    else if (c === ']' || c === ')') {
      if (open.pop() !== c) return false;
    }
  }
  return open.length === 0;
}

/** A Reference Path (one node, no filters): what ResultPath and the `...Path` fields take. */
export function parseReferencePath(text: string): ParsedPath | undefined {
  const path = parsePath(text);
  return path?.steps ? path : undefined;
}

/** `$['a']['b'][0]`: how Step Functions spells a path in its messages. */
export function normalizedPath(path: ParsedPath): string {
  const head = path.root === 'context' ? '$$' : path.root === 'variable' ? `$${path.variable}` : '$';
  if (!path.steps) return head + path.query.slice(1);
  return head + path.steps.map((s) => (typeof s === 'number' ? `[${s}]` : `['${s}']`)).join('');
}

/**
 * The value at a path. A Reference Path gives its node and throws PathNotFound when there is none;
 * any other Path gives the list of the nodes it matches (perhaps empty), as Step Functions does.
 */
export function readPath(text: string, data: PathData): unknown {
  const path = parsePath(text);
  if (!path) throw new StatesError(States.Runtime, `Invalid path '${text}': not a JSONPath`);
  let root: unknown;
  if (path.root === 'input') root = data.input;
  else if (path.root === 'context') root = data.context ?? {};
  else {
    const found = data.variable?.(path.variable!);
    if (!found?.found) throw new PathNotFound(text, normalizedPath(path));
    root = found.value;
  }
  if (path.steps) {
    let value = root;
    for (const step of path.steps) {
      const next = stepInto(value, step);
      if (!next.found) throw new PathNotFound(text, normalizedPath(path));
      value = next.value;
    }
    return value;
  }
  if (root === null || root === undefined) return [];
  return (JSONPath({ path: path.query, json: root as object, wrap: true }) as unknown[] | undefined) ?? [];
}

function stepInto(value: unknown, step: PathStep): { found: boolean; value?: unknown } {
  if (typeof step === 'number') return Array.isArray(value) && step < value.length ? { found: true, value: value[step] } : { found: false };
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, step)) return { found: false };
  return { found: true, value: (value as Record<string, unknown>)[step] };
}

/** Whether a path's node exists (IsPresent); a path that is not a Reference Path exists when it matches something. */
export function pathExists(text: string, data: PathData): boolean {
  try {
    const value = readPath(text, data);
    return parsePath(text)?.steps ? true : (value as unknown[]).length > 0;
  } catch (err) {
    if (err instanceof PathNotFound) return false;
    throw err;
  }
}

/**
 * The input with the result placed at a ResultPath (a Reference Path into the input): `$` is the
 * result itself, missing objects on the way are created; a step into something that is not an
 * object (or an index past an array's end) is States.ResultPathMatchFailure. The input is not
 * changed: the objects on the way are copied.
 */
export function writeResultPath(input: unknown, text: string, result: unknown): unknown {
  const path = parseReferencePath(text);
  if (!path || path.root !== 'input') throw new StatesError(States.Runtime, `Invalid ResultPath '${text}': a ResultPath is a Reference Path into the state's input`);
  const fail = () => new StatesError(States.ResultPathMatchFailure, `Unable to apply ResultPath "${text}" to input ${JSON.stringify(input)}`);
  const put = (value: unknown, steps: PathStep[]): unknown => {
    if (steps.length === 0) return result;
    const [step, ...rest] = steps;
    if (typeof step === 'number') {
      if (!Array.isArray(value) || step >= value.length) throw fail();
      const copy = value.slice();
      copy[step] = put(copy[step], rest);
      return copy;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail();
    const record = value as Record<string, unknown>;
    const inner = Object.hasOwn(record, step) ? record[step] : rest.length ? {} : undefined;
    return { ...record, [step]: put(inner, rest) };
  };
  // A missing object on the way is created, but only below an object that exists.
  return put(input, path.steps!);
}
