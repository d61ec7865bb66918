// --secret-env: KEY=VALUE lines whose values fill `${KEY}` placeholders in function
// environments at apply time. Values never reach a log line or a report: only key names do.
import { readFile } from 'node:fs/promises';
import { APPSYNC_CONFIG_ENV, type FunctionsFile } from '@esb/contracts';
import { SecretEnvError } from './errors.js';

const LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Parses a dotenv-style file: `KEY=VALUE`, `export KEY=VALUE`, quotes, `#` comments. */
export function parseSecretEnv(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m) throw new SecretEnvError(file, i + 1, 'expected KEY=VALUE');
    let value = m[2];
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    out[m[1]] = value;
  });
  return out;
}

export async function readSecretEnv(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new SecretEnvError(file, 0, code === 'ENOENT' ? 'file not found' : `cannot read (${code})`, { cause });
  }
  return parseSecretEnv(text, file);
}

export interface MissingSecret {
  /** `functions.<name>.environment.<VAR>` or `defaults.environment.<VAR>`. */
  field: string;
  key: string;
}

/**
 * The configuration of esb's built-in functions (deploy/runtime/): mapping templates and paths,
 * whose `${...}` is Velocity's or JSONPath's, never a secret to fill.
 */
const BUILT_IN_CONFIG = new Set(['ESB_AWS_INTEGRATION', 'ESB_SERVICE_INTEGRATION', 'ESB_PIPE', APPSYNC_CONFIG_ENV]);

function fill(env: Record<string, string>, secrets: Record<string, string>, prefix: string, missing: MissingSecret[]): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(env)) {
    if (!value.includes('${') || BUILT_IN_CONFIG.has(name)) continue;
    const next = value.replace(PLACEHOLDER, (whole, key: string) => {
      if (Object.prototype.hasOwnProperty.call(secrets, key)) return secrets[key];
      missing.push({ field: `${prefix}.${name}`, key });
      return whole;
    });
    if (next !== value) (out ??= { ...env })[name] = next;
  }
  return out ?? env;
}

/** Fills placeholders in every function's (and the defaults') environment. Pure. */
export function fillSecrets(file: FunctionsFile, secrets: Record<string, string>): { functions: FunctionsFile; missing: MissingSecret[] } {
  const missing: MissingSecret[] = [];
  const functions: FunctionsFile['functions'] = {};
  for (const [name, fn] of Object.entries(file.functions)) {
    const environment = fill(fn.environment ?? {}, secrets, `functions.${name}.environment`, missing);
    Object.defineProperty(functions, name, {
      value: environment === fn.environment ? fn : { ...fn, environment },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const defaults = { ...file.defaults, environment: fill(file.defaults?.environment ?? {}, secrets, 'defaults.environment', missing) };
  return { functions: { ...file, defaults, functions }, missing };
}
