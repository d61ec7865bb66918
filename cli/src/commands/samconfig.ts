// SAM CLI's project settings (samconfig.toml / samconfig.yaml beside the template), read by
// `esb deploy` the way `sam deploy` reads them: the config env's `global` parameters, then its
// `deploy` ones over them; flags on the command line win (docs/generate.md, "What is read").
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The template SAM CLI takes when none is named: template.yaml (or template.yml) in the current folder. */
export function templateHere(): string | undefined {
  return ['template.yaml', 'template.yml'].find((f) => existsSync(f));
}

/** SAM CLI's file names, in the order it looks for them. */
export const SAMCONFIG_NAMES = ['samconfig.toml', 'samconfig.yaml', 'samconfig.yml'] as const;
const MAX_BYTES = 1024 * 1024;

export interface SamConfig {
  file: string;
  /** `<config env>.<command>` sections that gave values, for the line `esb deploy` prints. */
  sections: string[];
  stackName?: string;
  parameterOverrides: Record<string, string>;
}

export class SamConfigError extends Error {
  constructor(file: string, field: string | undefined, reason: string, options?: { cause?: unknown }) {
    super(`${file}${field ? `: ${field}` : ''}: ${reason}`, options);
    this.name = 'SamConfigError';
  }
}

/**
 * Reads the samconfig of a template's folder (or `configFile`, relative to that folder as SAM
 * resolves it). No file: undefined, unless one was named.
 */
export async function readSamConfig(templateDir: string, options: { configFile?: string; configEnv?: string; command: string }): Promise<SamConfig | undefined> {
  const found = await findSamConfig(templateDir, options.configFile, true);
  return found && samConfigFrom(await parseDocument(found.file, found.text), found.file, options.configEnv ?? 'default', options.command);
}

/** The samconfig of a folder (or `configFile`) and its text; none found: undefined, unless one was named and `mustExist`. */
async function findSamConfig(templateDir: string, configFile: string | undefined, mustExist: boolean): Promise<{ file: string; text: string } | undefined> {
  const candidates = configFile ? [path.resolve(templateDir, configFile)] : SAMCONFIG_NAMES.map((n) => path.join(templateDir, n));
  for (const file of candidates) {
    try {
      const bytes = await readFile(file);
      if (bytes.length > MAX_BYTES) throw new SamConfigError(file, undefined, `larger than ${MAX_BYTES} bytes`);
      return { file, text: bytes.toString('utf8') };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !(configFile && mustExist)) continue;
      if (err instanceof SamConfigError) throw err;
      throw new SamConfigError(file, undefined, `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
    }
  }
  return undefined;
}

async function parseDocument(file: string, text: string): Promise<unknown> {
  try {
    if (file.endsWith('.toml')) {
      const { parse } = await import('smol-toml');
      return parse(text);
    }
    const { parse } = await import('yaml');
    return parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new SamConfigError(file, undefined, (err as Error).message.split('\n')[0], { cause: err });
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The values of one config env for one command (pure). */
export function samConfigFrom(doc: unknown, file: string, configEnv: string, command: string): SamConfig {
  if (!isRecord(doc)) throw new SamConfigError(file, undefined, 'must be a table of config envs ([default.deploy.parameters] ...)');
  const env = doc[configEnv];
  const config: SamConfig = { file, sections: [], parameterOverrides: {} };
  if (env === undefined) {
    if (configEnv !== 'default') throw new SamConfigError(file, undefined, `no config env "${configEnv}" (it has ${Object.keys(doc).filter((k) => k !== 'version').join(', ') || 'none'})`);
    return config;
  }
  if (!isRecord(env)) throw new SamConfigError(file, configEnv, 'must be a table of commands');
  for (const section of ['global', command]) {
    const parameters = isRecord(env[section]) ? env[section].parameters : undefined;
    if (parameters === undefined) continue;
    const where = `${configEnv}.${section}.parameters`;
    if (!isRecord(parameters)) throw new SamConfigError(file, where, 'must be a table');
    let used = false;
    if (parameters.stack_name !== undefined) {
      if (typeof parameters.stack_name !== 'string') throw new SamConfigError(file, `${where}.stack_name`, 'must be a string');
      config.stackName = parameters.stack_name;
      used = true;
    }
    const overrides = parameters.parameter_overrides;
    if (overrides !== undefined) {
      const items = typeof overrides === 'string' ? [overrides] : Array.isArray(overrides) && overrides.every((o) => typeof o === 'string') ? (overrides as string[]) : undefined;
      if (!items) throw new SamConfigError(file, `${where}.parameter_overrides`, 'must be a string ("K=V K2=V2") or a list of strings');
      try {
        Object.assign(config.parameterOverrides, parseParameterOverrides(items));
      } catch (err) {
        throw new SamConfigError(file, `${where}.parameter_overrides`, (err as Error).message, { cause: err });
      }
      used = true;
    }
    if (used) config.sections.push(`${configEnv}.${section}`);
  }
  return config;
}

/**
 * SAM CLI's parameter overrides: `K=V` or `ParameterKey=K,ParameterValue=V`, separated by
 * whitespace; a value (or key) in double quotes may hold spaces, `\"` and `\\` inside them.
 */
export function parseParameterOverrides(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items.flatMap(splitOutsideQuotes)) {
    const long = /^ParameterKey=(.+?),ParameterValue=(.*)$/s.exec(item);
    const eq = item.indexOf('=');
    const [key, value] = long ? [long[1], long[2]] : eq > 0 ? [item.slice(0, eq), item.slice(eq + 1)] : [];
    if (key === undefined || value === undefined) throw new Error(`"${item}" is not KEY=VALUE (or ParameterKey=K,ParameterValue=V)`);
    out[unquote(key)] = unquote(value);
  }
  return out;
}

function splitOutsideQuotes(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\' && i + 1 < text.length) {
      current += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (!quoted && /\s/.test(c)) {
      if (current) out.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (quoted) throw new Error(`"${text}" has an unclosed double quote`);
  if (current) out.push(current);
  return out;
}

function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1).replace(/\\(["\\])/g, '$1');
  return text;
}

/** Overrides in SAM's own form: `K="v" K2="v2"`, every value in double quotes. */
export function formatParameterOverrides(overrides: Record<string, string>): string {
  return Object.entries(overrides)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    .join(' ');
}

export interface SavedSamConfig {
  file: string;
  /** `<config env>.deploy.parameters` */
  section: string;
}

/**
 * Saves the stack name and parameter overrides where `sam deploy --guided` saves them:
 * `[<config env>.deploy.parameters]` of the samconfig beside the template (the one found, else
 * a new samconfig.toml). Only those two keys change; the rest of the file, comments included,
 * stays as it was. The file is replaced atomically, and read back before it is.
 */
export async function saveSamConfig(templateDir: string, options: { configFile?: string; configEnv?: string }, values: { stackName: string; parameterOverrides: Record<string, string> }): Promise<SavedSamConfig> {
  const configEnv = options.configEnv ?? 'default';
  const section = `${configEnv}.deploy.parameters`;
  const found = await findSamConfig(templateDir, options.configFile, false);
  const file = found?.file ?? (options.configFile ? path.resolve(templateDir, options.configFile) : path.join(templateDir, 'samconfig.toml'));
  const text = found?.text;
  const entries: Array<[string, string]> = [
    ['stack_name', values.stackName],
    ['parameter_overrides', formatParameterOverrides(values.parameterOverrides)],
  ];
  const next = file.endsWith('.toml') ? withTomlEntries(text ?? 'version = 0.1\n', file, configEnv, entries) : await withYamlEntries(text ?? 'version: 0.1\n', file, configEnv, entries);
  // What was written must read back as what was asked.
  const back = samConfigFrom(await parseDocument(file, next), file, configEnv, 'deploy');
  if (back.stackName !== values.stackName || JSON.stringify(back.parameterOverrides) !== JSON.stringify({ ...back.parameterOverrides, ...values.parameterOverrides })) {
    throw new SamConfigError(file, section, 'the values would not read back as given; nothing was written');
  }
  const { writeFileAtomic } = await import('@esb/contracts');
  await writeFileAtomic(file, next);
  return { file, section };
}

/** The TOML text with `key = "value"` lines set in the `[<env>.deploy.parameters]` table (added when missing). */
export function withTomlEntries(text: string, file: string, configEnv: string, entries: ReadonlyArray<[string, string]>): string {
  const lines = text.split('\n');
  const name = (part: string) => `\\s*(?:${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|"${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}")\\s*`;
  const header = new RegExp(`^\\s*\\[${name(configEnv)}\\.${name('deploy')}\\.${name('parameters')}\\]\\s*(?:#.*)?$`);
  const line = ([key, value]: [string, string]) => `${key} = ${JSON.stringify(value)}`;
  let start = lines.findIndex((l) => header.test(l));
  if (start < 0) {
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    return [...lines, '', `[${configEnv}.deploy.parameters]`, ...entries.map(line), ''].join('\n');
  }
  let end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
  if (end < 0) end = lines.length;
  for (const entry of entries) {
    const key = new RegExp(`^\\s*${entry[0]}\\s*=`);
    const at = lines.findIndex((l, i) => i > start && i < end && key.test(l));
    if (at < 0) {
      lines.splice(start + 1, 0, line(entry));
      end++;
      continue;
    }
    // A value on one line ("...", '...'): replaced; an array or a multi-line string is left to the user.
    if (!/^\s*\w+\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*')\s*(?:#.*)?$/.test(lines[at])) {
      throw new SamConfigError(file, `${configEnv}.deploy.parameters.${entry[0]}`, `is not a one-line string, so esb does not rewrite it; nothing was written. Set it yourself: ${line(entry)}`);
    }
    lines[at] = line(entry);
  }
  return lines.join('\n');
}

async function withYamlEntries(text: string, file: string, configEnv: string, entries: ReadonlyArray<[string, string]>): Promise<string> {
  const { parseDocument: parseYamlDocument } = await import('yaml');
  const doc = parseYamlDocument(text);
  if (doc.errors.length) throw new SamConfigError(file, undefined, doc.errors[0].message.split('\n')[0]);
  for (const [key, value] of entries) doc.setIn([configEnv, 'deploy', 'parameters', key], value);
  return String(doc);
}
