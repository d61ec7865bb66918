// Turning untrusted documents into contract values, with errors that name the file, the
// field path and the reason (the quality bar for bad input).
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

export interface ContractIssue {
  path: string;
  message: string;
}

export class ContractError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ContractIssue[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, options);
    this.name = 'ContractError';
  }
}

export class YamlSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = 'YamlSyntaxError';
  }
}

/** Formats a zod path the way users write it: `functions.Hello.timeout`, `routes[2].method`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

export function validate<S extends z.ZodType>(schema: S, data: unknown, file: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw new ContractError(
    file,
    result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  );
}

/** Parses YAML text; a syntax error names file:line:column. */
export function parseYaml(text: string, file: string): unknown {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  const err = doc.errors[0];
  if (err) {
    // Without prettyErrors the error carries only offsets: the line counter turns them into line:column.
    const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
    throw new YamlSyntaxError(file, pos.line, pos.col, err.message.split('\n')[0]);
  }
  return doc.toJS({ maxAliasCount: 1000 });
}

export async function readContractFile<S extends z.ZodType>(schema: S, file: string): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ContractError(file, [{ path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read (${code})` }], { cause });
  }
  return validate(schema, parseYaml(text, file) ?? {}, file);
}
