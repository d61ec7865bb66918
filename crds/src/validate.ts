// Turning untrusted documents into contract values, with errors that name the file, the
// field path and the reason (the quality bar for bad input).
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ContractError, YamlSyntaxError, formatPath } from './errors.js';
import { CONFIG_LIMITS, InputLimitError, checkSize, checkTree, isStackOverflow, type InputLimits } from './limits.js';

export { ContractError, YamlSyntaxError, formatPath, type ContractIssue } from './errors.js';

export function validate<S extends z.ZodType>(schema: S, data: unknown, file: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw new ContractError(
    file,
    result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  );
}

/** Parses YAML text within `limits`; a syntax error names file:line:column. */
export function parseYaml(text: string, file: string, limits: InputLimits = CONFIG_LIMITS): unknown {
  checkSize(text, file, limits);
  const lines = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  } catch (err) {
    if (isStackOverflow(err)) throw new InputLimitError(file, '', `nested more than ${limits.maxDepth} levels deep`);
    throw err;
  }
  const err = doc.errors[0];
  if (err) {
    // Without prettyErrors the error carries only offsets: the line counter turns them into line:column.
    const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
    throw new YamlSyntaxError(file, pos.line, pos.col, err.message.split('\n')[0]);
  }
  return yamlDocumentToJS(doc, file, limits);
}

/**
 * A parsed `yaml` Document as plain data within `limits`. Its own alias guard (maxAliasCount)
 * stops the worst bombs while converting; the tree check bounds what is left.
 */
export function yamlDocumentToJS(doc: Document.Parsed | Document, file: string, limits: InputLimits): unknown {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliasNodes });
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new InputLimitError(file, '', `YAML aliases expand to more than ${limits.maxAliasNodes.toLocaleString('en-US')} values (an alias bomb?); write the values out or use fewer aliases`);
    }
    if (isStackOverflow(err)) throw new InputLimitError(file, '', `nested more than ${limits.maxDepth} levels deep`);
    throw err;
  }
  checkTree(value, file, limits);
  return value;
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
