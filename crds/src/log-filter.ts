// CloudWatch Logs filter patterns (a subscription filter's FilterPattern; docs/agent.md "Log
// subscriptions"), checked when a template is read and applied by the agent to each log line.
// Pure. Two forms: terms (`ERROR`, `"exact phrase"`, `?A ?B` any of, `-term` none of), and JSON
// conditions (`{ $.level = "ERROR" && $.ms > 100 }`, `=`/`!=` on text with `*` wildcards, the
// comparisons on numbers, `IS TRUE/FALSE/NULL`, `NOT EXISTS`, `&&`, `||`, parentheses).
// Space-delimited patterns (`[ip, user, ...]`) are refused: say so rather than match wrongly.

export class LogFilterError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'LogFilterError';
  }
}

export type LogFilter = (message: string) => boolean;

/** The pattern as a test of one log line; throws LogFilterError naming what is wrong. */
export function compileLogFilter(pattern: string): LogFilter {
  const text = pattern.trim();
  if (text === '') return () => true;
  if (text.startsWith('[')) throw new LogFilterError('space-delimited patterns ([field, ...]) are not supported; use terms or a JSON pattern ({ $.field = value })');
  if (text.startsWith('{')) return jsonFilter(text);
  return termFilter(text);
}

// ------------------------------------------------------------------ terms

function termFilter(text: string): LogFilter {
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  const re = /([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const term = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    if (term === '') continue;
    (m[1] === '?' ? any : m[1] === '-' ? none : all).push(term);
  }
  if (any.length && (all.length || none.length)) throw new LogFilterError('"?" terms (any of) cannot be mixed with other terms');
  if (any.length) return (line) => any.some((t) => line.includes(t));
  return (line) => all.every((t) => line.includes(t)) && !none.some((t) => line.includes(t));
}

// ------------------------------------------------------------------ JSON conditions

type Node = { op: '&&' | '||'; left: Node; right: Node } | { selector: string[]; test: (value: unknown, present: boolean) => boolean };

function jsonFilter(text: string): LogFilter {
  if (!text.endsWith('}')) throw new LogFilterError('a JSON pattern is { conditions }');
  const tokens = tokenize(text.slice(1, -1));
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++];
  const expect = (t: string) => {
    if (next() !== t) throw new LogFilterError(`expected "${t}" in ${text}`);
  };
  /** `operand (op operand)*`, grouped from the left. */
  const chain = (op: '||' | '&&', operand: () => Node) => (): Node => {
    let left = operand();
    while (peek() === op) {
      next();
      left = { op, left, right: operand() };
    }
    return left;
  };
  const term = chain('&&', () => factor());
  const expression = chain('||', term);
  const factor = (): Node => {
    if (peek() === '(') {
      next();
      const inner = expression();
      expect(')');
      return inner;
    }
    return condition();
  };
  const condition = (): Node => {
    const sel = next();
    if (!sel?.startsWith('$')) throw new LogFilterError(`expected a selector ($.field) in ${text}, found ${JSON.stringify(sel ?? '')}`);
    const selector = parseSelector(sel);
    const op = next();
    if (op === 'IS') {
      const what = next();
      if (what === 'TRUE') return { selector, test: (v) => v === true };
      if (what === 'FALSE') return { selector, test: (v) => v === false };
      if (what === 'NULL') return { selector, test: (v, present) => present && v === null };
      throw new LogFilterError(`IS takes TRUE, FALSE or NULL, not ${JSON.stringify(what ?? '')}`);
    }
    if (op === 'NOT') {
      expect('EXISTS');
      return { selector, test: (_v, present) => !present };
    }
    const raw = next();
    if (op === undefined || raw === undefined || !['=', '!=', '<', '>', '<=', '>='].includes(op)) throw new LogFilterError(`expected a comparison (=, !=, <, >, <=, >=) after ${sel} in ${text}`);
    // Text (quoted, or a bare word that is no number) is matched with wildcards, = or != only.
    const quoted = raw.startsWith('"');
    const n = quoted ? NaN : Number(raw);
    if (Number.isNaN(n)) {
      if (op !== '=' && op !== '!=') throw new LogFilterError(`${op} compares numbers, not ${quoted ? 'text' : raw}`);
      const wanted = wildcardRegExp(quoted ? (JSON.parse(raw) as string) : raw);
      return { selector, test: (v) => (v !== undefined && v !== null && typeof v !== 'object' ? wanted.test(String(v)) === (op === '=') : op === '!=') };
    }
    const compare: Record<string, (a: number) => boolean> = { '=': (a) => a === n, '!=': (a) => a !== n, '<': (a) => a < n, '>': (a) => a > n, '<=': (a) => a <= n, '>=': (a) => a >= n };
    return { selector, test: (v) => typeof v === 'number' && compare[op]!(v) };
  };
  const tree = expression();
  if (at !== tokens.length) throw new LogFilterError(`unexpected ${JSON.stringify(tokens[at])} in ${text}`);
  return (line) => {
    // A JSON pattern reads the JSON object a line holds (after a timestamp or level, as runtimes log it).
    const start = line.indexOf('{');
    if (start < 0) return false;
    let doc: unknown;
    try {
      doc = JSON.parse(line.slice(start));
    } catch {
      return false;
    }
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) && evaluate(tree, doc);
  };
}

function evaluate(node: Node, doc: unknown): boolean {
  if ('op' in node) return node.op === '&&' ? evaluate(node.left, doc) && evaluate(node.right, doc) : evaluate(node.left, doc) || evaluate(node.right, doc);
  let value: unknown = doc;
  for (const key of node.selector) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return node.test(undefined, false);
    value = (value as Record<string, unknown>)[key];
  }
  return node.test(value, true);
}

function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|&&|\|\||!=|<=|>=|[=<>()]|[^\s=<>!()&|"]+)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null) {
    out.push(m[1]!);
    end = re.lastIndex;
  }
  if (text.slice(end).trim() !== '') throw new LogFilterError(`cannot read ${JSON.stringify(text.slice(end).trim())} in a JSON pattern`);
  return out;
}

/** `$.a.b[0]` -> ['a', 'b', '0']. */
function parseSelector(sel: string): string[] {
  if (sel === '$') return [];
  if (!sel.startsWith('$.')) throw new LogFilterError(`a selector starts with "$.", not ${JSON.stringify(sel)}`);
  return sel
    .slice(2)
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean);
}

function wildcardRegExp(value: string): RegExp {
  return new RegExp(`^${value.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's');
}
