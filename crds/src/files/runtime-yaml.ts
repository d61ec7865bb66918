// How apply writes CONFIG_DIR files: block YAML for the outer levels, one JSON-style flow
// mapping per function / route / resource. It is plain YAML 1.2 (any YAML parser reads it)
// and can be read back without a general YAML parser: parsing 1,000 functions and 5,000
// routes with the `yaml` package takes seconds, this takes milliseconds. parseRuntimeYaml
// falls back to the `yaml` package for anything it does not recognise (hand-edited files).
import { parseYaml } from '../index.js';

const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

function key(k: string): string {
  return BARE_KEY.test(k) && !YAML_WORDS.test(k) ? k : JSON.stringify(k);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function emit(value: unknown, indent: string, depth: number, out: string[]): void {
  // Called for a non-empty object/array at a block level.
  if (Array.isArray(value)) {
    for (const item of value) out.push(`${indent}- ${JSON.stringify(item) ?? 'null'}`);
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    const block = depth > 1 && ((Array.isArray(v) && v.length > 0) || (isPlainObject(v) && Object.keys(v).length > 0));
    if (block) {
      out.push(`${indent}${key(k)}:`);
      emit(v, `${indent}  `, depth - 1, out);
    } else {
      out.push(`${indent}${key(k)}: ${JSON.stringify(v)}`);
    }
  }
}

/**
 * Serialises a runtime config document. `blockDepth` levels are written as block YAML
 * (2 for functions.yml/routing.yml, 3 for resources.yml); deeper values as flow mappings.
 */
export function stringifyRuntimeYaml(doc: Record<string, unknown>, opts: { blockDepth?: number; header?: string } = {}): string {
  const out: string[] = [];
  if (opts.header) for (const line of opts.header.split('\n')) out.push(`# ${line}`);
  emit(doc, '', opts.blockDepth ?? 2, out);
  return `${out.join('\n')}\n`;
}

class NotFast extends Error {}

const KEY_RE = /^([A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*"):(?: (.*))?$/;

/** Parses the subset stringifyRuntimeYaml writes; throws NotFast for anything else. */
export function parseRuntimeYamlFast(text: string): unknown {
  const lines: { indent: number; body: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const body = line.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    const indent = line.length - body.length;
    if (line.slice(0, indent).includes('\t')) throw new NotFast();
    lines.push({ indent, body });
  }
  let i = 0;
  const block = (indent: number): unknown => {
    if (lines[i].body.startsWith('- ') || lines[i].body === '-') {
      const arr: unknown[] = [];
      while (i < lines.length && lines[i].indent === indent) {
        const { body } = lines[i];
        if (!body.startsWith('- ')) throw new NotFast();
        arr.push(JSON.parse(body.slice(2)));
        i++;
      }
      return arr;
    }
    const obj: Record<string, unknown> = {};
    while (i < lines.length && lines[i].indent === indent) {
      const m = KEY_RE.exec(lines[i].body);
      if (!m) throw new NotFast();
      const k = m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : m[1];
      if (Object.prototype.hasOwnProperty.call(obj, k)) throw new NotFast();
      i++;
      let v: unknown;
      if (m[2] !== undefined && m[2] !== '') v = JSON.parse(m[2]);
      else if (i < lines.length && lines[i].indent > indent) v = block(lines[i].indent);
      else v = null;
      Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return obj;
  };
  if (lines.length === 0) return null;
  if (lines[0].indent !== 0) throw new NotFast();
  const doc = block(0);
  if (i !== lines.length) throw new NotFast();
  return doc;
}

/** Parses a CONFIG_DIR / artifact file: fast path for apply's own format, YAML otherwise. */
export function parseRuntimeYaml(text: string, file: string): unknown {
  try {
    return parseRuntimeYamlFast(text);
  } catch {
    return parseYaml(text, file);
  }
}
