// SAM CLI's --env-vars file, read for `esb deploy --env-vars env.json`: a JSON object whose keys
// are `Parameters` (every function) or a function's logical id, each a map of variable -> value
// (strings, numbers and booleans, as SAM takes them). Errors name the file and the field.
import { readFile } from 'node:fs/promises';

const MAX_BYTES = 1024 * 1024;

export async function readEnvVarsFile(file: string): Promise<Record<string, Record<string, string>>> {
  const fail = (field: string | undefined, reason: string): never => {
    throw new Error(`${file}${field ? `: ${field}` : ''}: ${reason}`);
  };
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => fail(undefined, `cannot read it (${err.code ?? err.message})`));
  if (bytes.length > MAX_BYTES) fail(undefined, `larger than ${MAX_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return fail(undefined, `not JSON (${(err as Error).message})`);
  }
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(doc)) return fail(undefined, 'must be an object: {"Parameters": {"VAR": "value"}, "<FunctionLogicalId>": {"VAR": "value"}}');
  const out: Record<string, Record<string, string>> = {};
  for (const [target, values] of Object.entries(doc)) {
    if (!isMap(values)) return fail(target, 'must be an object of variable -> value');
    out[target] = {};
    for (const [name, value] of Object.entries(values)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(`${target}.${name}`, 'is not an environment variable name (letters, digits, _; not starting with a digit)');
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') fail(`${target}.${name}`, 'must be a string, number or boolean');
      out[target][name] = String(value);
    }
  }
  return out;
}
