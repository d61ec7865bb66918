// SAM CLI's --env-vars file applied to a template's functions (docs/generate.md "Environment
// overrides"): `Parameters` holds values for every function, a function's logical id (or its
// name) values for that one, which win. As `sam local` does, only variables a function's
// Environment declares change; the others are named in a warning. Pure.
import type { FunctionModel } from './model.js';

/** The key of the values meant for every function. */
export const ALL_FUNCTIONS = 'Parameters';

/** Replaces the declared environment variables of `functions` (in place) with the file's values. */
export function applyEnvVars(functions: FunctionModel[], envVars: Record<string, Record<string, string>>, warn: (message: string) => void): void {
  const used = new Set<string>([ALL_FUNCTIONS]);
  const undeclared: string[] = [];
  for (const fn of functions) {
    const own = [fn.logicalId, fn.key].find((k) => Object.hasOwn(envVars, k));
    if (own !== undefined) used.add(own);
    const values = { ...envVars[ALL_FUNCTIONS], ...(own !== undefined ? envVars[own] : {}) };
    for (const [name, value] of Object.entries(values)) {
      if (Object.hasOwn(fn.environment, name)) fn.environment[name] = value;
      // A variable for every function is for those that declare it.
      else if (own !== undefined && Object.hasOwn(envVars[own], name)) undeclared.push(`${fn.logicalId}.${name}`);
    }
  }
  if (undeclared.length) warn(`env vars: ${undeclared.join(', ')} not declared in the function's Environment.Variables; not set (sam local sets only declared variables)`);
  const unknown = Object.keys(envVars).filter((k) => !used.has(k));
  if (unknown.length) warn(`env vars: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a function of this template (its logical id or name); not used`);
}
