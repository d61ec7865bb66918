// JSON text with a ceiling. Paths give references, so a small definition can make a value that
// names one large object many times (`States.Array($, $, $, ...)`): cheap in memory, gigabytes as
// text. JSON.stringify would build all of it before anything could say no; this stops as soon as
// the text passes the ceiling, so checking a value costs no more than the ceiling.

/** The ceiling for values made on the way (intrinsic functions, JSONata results); payloads have their own, lower, limit. */
export const MAX_INTERMEDIATE_TEXT = 16 * 1024 * 1024;

/** The text would be longer than the ceiling. */
export class JsonTooLarge extends Error {
  constructor(readonly maxLength: number) {
    super(`the value's JSON text is longer than ${maxLength} characters`);
  }
}

/** A value that is not JSON: a function, a symbol, a bigint. */
export class NotJson extends Error {}

/** JSON.stringify's text of a JSON value ('null' for undefined), or JsonTooLarge past maxLength characters. */
export function boundedJson(value: unknown, maxLength: number): string {
  const parts: string[] = [];
  let length = 0;
  const push = (text: string) => {
    length += text.length;
    if (length > maxLength) throw new JsonTooLarge(maxLength);
    parts.push(text);
  };
  const write = (v: unknown): boolean => {
    if (v === null) return push('null'), true;
    switch (typeof v) {
      case 'undefined':
        return false;
      case 'boolean':
        return push(v ? 'true' : 'false'), true;
      case 'number':
        return push(Number.isFinite(v) ? String(v) : 'null'), true;
      case 'string':
        // Checked before quoting: a long string (perhaps a rope of concatenations) is not flattened.
        if (length + v.length > maxLength) throw new JsonTooLarge(maxLength);
        return push(JSON.stringify(v)), true;
      case 'object':
        break;
      default:
        throw new NotJson(`a ${typeof v} is not a JSON value`);
    }
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return write(toJSON.call(v));
    if (Array.isArray(v)) {
      push('[');
      for (let i = 0; i < v.length; i++) {
        if (i) push(',');
        if (!write(v[i])) push('null');
      }
      push(']');
      return true;
    }
    push('{');
    let first = true;
    for (const key of Object.keys(v)) {
      const field = (v as Record<string, unknown>)[key];
      if (field === undefined) continue;
      push(first ? '' : ',');
      push(JSON.stringify(key));
      push(':');
      write(field);
      first = false;
    }
    push('}');
    return true;
  };
  return write(value) ? parts.join('') : 'null';
}

/** A value's JSON text for a message: in full when short, else what it is. */
export function jsonPreview(value: unknown, max = 200): string {
  try {
    return boundedJson(value, max);
  } catch {
    if (typeof value === 'string') return `${JSON.stringify(value.slice(0, max))}...`;
    if (Array.isArray(value)) return `an array of ${value.length} items`;
    if (typeof value === 'object' && value !== null) return `an object of ${Object.keys(value).length} fields`;
    return String(value);
  }
}
