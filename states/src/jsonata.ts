// JSONata in states whose QueryLanguage is JSONata (docs/step-functions.md "The states"): a string
// that is all `{% expression %}` is the expression's value, anywhere in Arguments, Output, Assign,
// Items, ItemSelector, a Choice rule's Condition and the fields that take one. Expressions see
// `$states` (input, result, errorOutput, context) and the variables in scope, plus the functions
// Step Functions adds ($partition, $range, $hash, $random, $uuid, $parse). Each evaluation is
// time- and depth-boxed: an expression cannot hold the process.
import { createHash, randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { StatesError, States } from './errors.js';
import { ARRAY_RANGE_MAX, HASHES, seededRandom } from './intrinsics.js';
import { boundedJson, JsonTooLarge, MAX_INTERMEDIATE_TEXT, NotJson } from './json.js';

export interface JsonataData {
  states: { input: unknown; context: unknown; result?: unknown; errorOutput?: unknown };
  variables: Record<string, unknown>;
}

const EXPRESSION = /^\{%([\s\S]*)%\}$/;

/** Limits of one evaluation: run time (ms), evaluation depth and sequence length. */
const GUARDRAILS = { timeout: 1000, stack: 500, sequence: 1_000_000 };

/** The expression of a `{% ... %}` string; undefined for any other value. */
export function jsonataExpression(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = EXPRESSION.exec(value.trim());
  return m ? m[1] : undefined;
}

const compiled = new Map<string, jsonata.Expression>();

/** The compiled expression; throws the library's error (with its message) for a syntax error. */
export function compileJsonata(expression: string): jsonata.Expression {
  const hit = compiled.get(expression);
  if (hit) return hit;
  const expr = jsonata(expression, GUARDRAILS);
  registerStepFunctionsFunctions(expr);
  if (compiled.size > 5_000) compiled.clear();
  compiled.set(expression, expr);
  return expr;
}

/** The message of a JSONata error (they are plain objects with a message). */
export function jsonataErrorMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}

/** Evaluates one expression to a JSON value: an error, nothing (undefined) or a function is States.QueryEvaluationError. */
async function evaluateJsonata(expression: string, data: JsonataData, field: string): Promise<unknown> {
  let expr: jsonata.Expression;
  try {
    expr = compileJsonata(expression);
  } catch (err) {
    throw new StatesError(States.QueryEvaluationError, `The JSONata expression '${expression}' specified for the field '${field}' is invalid: ${jsonataErrorMessage(err)}`);
  }
  let result: unknown;
  try {
    result = await expr.evaluate(data.states.input, { ...data.variables, states: data.states });
  } catch (err) {
    if (err instanceof StatesError) throw err;
    throw new StatesError(States.QueryEvaluationError, `An error occurred while evaluating the JSONata expression '${expression}' specified for the field '${field}': ${jsonataErrorMessage(err)}`);
  }
  if (result === undefined) throw new StatesError(States.QueryEvaluationError, `The JSONata expression '${expression}' specified for the field '${field}' returned nothing (undefined).`);
  if (typeof result === 'function') throw new StatesError(States.QueryEvaluationError, `The JSONata expression '${expression}' specified for the field '${field}' returned an unsupported result type.`);
  return toJson(result, expression, field);
}

/**
 * A JSONata result as plain JSON (sequences become arrays), through its text: a function is an
 * error, and a result that names one large value many times stops at MAX_INTERMEDIATE_TEXT.
 */
function toJson(value: unknown, expression: string, field: string): unknown {
  try {
    return JSON.parse(boundedJson(value, MAX_INTERMEDIATE_TEXT)) as unknown;
  } catch (err) {
    if (err instanceof NotJson) throw new StatesError(States.QueryEvaluationError, `The JSONata expression '${expression}' specified for the field '${field}' returned an unsupported result type.`);
    if (err instanceof JsonTooLarge) throw new StatesError(States.QueryEvaluationError, `The JSONata expression '${expression}' specified for the field '${field}' returned a result larger than ${MAX_INTERMEDIATE_TEXT} characters.`);
    throw err;
  }
}

/** A JSONata template: every `{% %}` string in it evaluated, every other value as it is. */
export async function evaluateJsonataTemplate(template: unknown, data: JsonataData, field: string): Promise<unknown> {
  const expression = jsonataExpression(template);
  if (expression !== undefined) return evaluateJsonata(expression, data, field);
  if (Array.isArray(template)) {
    const out: unknown[] = [];
    for (let i = 0; i < template.length; i++) out.push(await evaluateJsonataTemplate(template[i], data, `${field}[${i}]`));
    return out;
  }
  if (typeof template === 'object' && template !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) Object.defineProperty(out, k, { value: await evaluateJsonataTemplate(v, data, `${field}.${k}`), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return template;
}

/** Every `{% %}` expression in a template, with where it sits (for checking a definition). */
export function jsonataExpressionsIn(template: unknown, at: Array<string | number>): Array<{ expression: string; at: Array<string | number> }> {
  const expression = jsonataExpression(template);
  if (expression !== undefined) return [{ expression, at }];
  if (Array.isArray(template)) return template.flatMap((v, i) => jsonataExpressionsIn(v, [...at, i]));
  if (typeof template === 'object' && template !== null) return Object.entries(template).flatMap(([k, v]) => jsonataExpressionsIn(v, [...at, k]));
  return [];
}

function registerStepFunctionsFunctions(expr: jsonata.Expression): void {
  const fail = (message: string) => {
    throw new StatesError(States.QueryEvaluationError, message);
  };
  expr.registerFunction(
    'partition',
    (items: unknown[], size: number) => {
      if (!Number.isInteger(size) || size <= 0) fail(`$partition: the chunk size must be a positive integer, not ${size}`);
      const list = Array.isArray(items) ? items : [items];
      const chunks: unknown[][] = [];
      for (let i = 0; i < list.length; i += size) chunks.push(list.slice(i, i + size));
      return chunks;
    },
    '<an:a>',
  );
  expr.registerFunction(
    'range',
    (first: number, last: number, step: number) => {
      if (![first, last, step].every(Number.isInteger) || step === 0) fail('$range: the start, end and step must be integers, the step not 0');
      const count = (last - first) / step < 0 ? 0 : Math.floor((last - first) / step) + 1;
      if (count > ARRAY_RANGE_MAX) fail(`$range: the range would have ${count} items, more than ${ARRAY_RANGE_MAX}`);
      return Array.from({ length: count }, (_, i) => first + i * step);
    },
    '<nnn:a>',
  );
  expr.registerFunction(
    'hash',
    (data: unknown, algorithm: string) => {
      const name = Object.hasOwn(HASHES, algorithm) ? HASHES[algorithm] : undefined;
      if (!name) fail(`$hash: the algorithm must be one of ${Object.keys(HASHES).join(', ')}, not '${algorithm}'`);
      return createHash(name!).update(typeof data === 'string' ? data : JSON.stringify(data), 'utf8').digest('hex');
    },
    '<js:s>',
  );
  expr.registerFunction('random', (seed?: number) => (seed === undefined ? Math.random() : seededRandom(Math.round(seed))), '<n?:n>');
  expr.registerFunction('uuid', () => randomUUID(), '<:s>');
  expr.registerFunction(
    'parse',
    (text: string) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return fail(`$parse: '${text}' is not JSON text`);
      }
    },
    '<s:j>',
  );
}
