// A small, fast, deterministic YAML emitter for the config files (plain data only: maps,
// lists, strings, numbers, booleans, null). Strings that could read back as anything other
// than the same string are written JSON-quoted (JSON strings are valid YAML).

const RESERVED = /^(true|false|null|~|yes|no|on|off|y|n)$/i;
const PLAIN = /^[A-Za-z_/$(][A-Za-z0-9_/$.(){}+*?=,;:@~^<>%[\] -]*$/;

function str(s: string): string {
  if (s !== '' && PLAIN.test(s) && !RESERVED.test(s) && !s.endsWith(' ') && !s.endsWith(':') && !s.includes(': ') && !s.includes(' #')) return s;
  return JSON.stringify(s);
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return str(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw new TypeError(`cannot write ${typeof v} as YAML`);
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function block(value: Record<string, unknown> | unknown[], indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if ((isMap(item) && Object.keys(item).length > 0) || (Array.isArray(item) && item.length > 0)) {
        const start = out.length;
        block(item as Record<string, unknown>, `${indent}  `, out);
        out[start] = `${indent}- ${out[start].slice(indent.length + 2)}`;
      } else out.push(`${indent}- ${isMap(item) ? '{}' : Array.isArray(item) ? '[]' : scalar(item)}`);
    }
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const key = str(k);
    if (isMap(v) && Object.keys(v).length > 0) {
      out.push(`${indent}${key}:`);
      block(v, `${indent}  `, out);
    } else if (Array.isArray(v) && v.length > 0) {
      out.push(`${indent}${key}:`);
      block(v, `${indent}  `, out);
    } else out.push(`${indent}${key}: ${isMap(v) ? '{}' : Array.isArray(v) ? '[]' : scalar(v)}`);
  }
}

export function toYaml(value: Record<string, unknown>): string {
  const out: string[] = [];
  block(value, '', out);
  return `${out.join('\n')}\n`;
}
