// Payload templates of JSONPath states (Parameters, ResultSelector, ItemSelector, Assign;
// docs/step-functions.md "The states"): a field whose name ends in `.$` takes the value of a
// Path or of an intrinsic function call and loses the suffix; every other value is copied as it is,
// objects and arrays walked for more such fields.
import { StatesError, States } from './errors.js';
import { evaluateIntrinsic, isIntrinsic, parseIntrinsic } from './intrinsics.js';
import { PathNotFound, readPath, type PathData } from './paths.js';

/** The value of one `.$` field: a Path or an intrinsic function call. */
export function evaluateExpression(expression: string, data: PathData, field: string): unknown {
  const read = (path: string) => {
    try {
      return readPath(path, data);
    } catch (err) {
      if (!(err instanceof PathNotFound)) throw err;
      const where = path.startsWith('$$') ? data.context : data.input;
      throw new StatesError(States.Runtime, `The JSONPath '${path}' specified for the field '${field}' could not be found in the input '${JSON.stringify(where) ?? 'null'}'`);
    }
  };
  if (isIntrinsic(expression)) {
    let call;
    try {
      call = parseIntrinsic(expression);
    } catch (err) {
      throw new StatesError(States.IntrinsicFailure, `The value for the field '${field}' is not a valid intrinsic function: ${(err as Error).message}`);
    }
    return evaluateIntrinsic(call, read);
  }
  return read(expression);
}

/** A payload template filled from the data its paths read. */
export function evaluatePayloadTemplate(template: unknown, data: PathData): unknown {
  if (Array.isArray(template)) return template.map((item) => evaluatePayloadTemplate(item, data));
  if (typeof template !== 'object' || template === null) return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string') throw new StatesError(States.Runtime, `The value for the field '${key}' must be a STRING that contains a JSONPath but was ${Array.isArray(value) ? 'an ARRAY' : typeof value === 'object' && value !== null ? 'an OBJECT' : `a ${String(value === null ? 'NULL' : typeof value).toUpperCase()}`}`);
      setOwn(out, key.slice(0, -2), evaluateExpression(value, data, key));
    } else setOwn(out, key, evaluatePayloadTemplate(value, data));
  }
  return out;
}

/** Sets a field as JSON.parse would: a key such as `__proto__` is a field like any other. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
