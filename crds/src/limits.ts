// Resource limits for every document esb reads from untrusted input: templates, Deployment
// manifests, CONFIG_DIR and artifact files (docs/security.md "Input limits"). YAML aliases
// parse into shared references, which is cheap; the cost comes later, when the value is walked,
// cloned or serialised once per reference. So the check walks the value as those later steps
// will, counts every node they would visit, and stops at the first limit: a few hundred
// thousand steps at most, whatever the document claims to hold.
import jsyaml from 'js-yaml';
import { ContractError, formatPath } from './errors.js';

export interface InputLimits {
  /** Size of the text, in bytes. */
  maxBytes: number;
  /** Nesting of maps and lists. */
  maxDepth: number;
  /** Nodes (maps, lists, scalars) counted with every alias expanded. */
  maxNodes: number;
  /** Of those, nodes reached through an alias (a second reference to the same map or list). */
  maxAliasNodes: number;
}

const MiB = 1024 * 1024;

/** SAM / CloudFormation templates. A 5,000-function template is ~3 MiB and ~400,000 nodes. */
export const TEMPLATE_LIMITS: InputLimits = { maxBytes: 32 * MiB, maxDepth: 100, maxNodes: 5_000_000, maxAliasNodes: 100_000 };
/** Deployment manifests: a few fields each. */
export const MANIFEST_LIMITS: InputLimits = { maxBytes: 1 * MiB, maxDepth: 32, maxNodes: 100_000, maxAliasNodes: 1_000 };
/** CONFIG_DIR / artifact / settings files, written by esb but editable by hand. */
export const CONFIG_LIMITS: InputLimits = { maxBytes: 64 * MiB, maxDepth: 64, maxNodes: 10_000_000, maxAliasNodes: 100_000 };

/** A document over a limit. A ContractError, so every caller that reports bad input reports it. */
export class InputLimitError extends ContractError {
  constructor(
    file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(file, [{ path: field, message: reason }]);
    this.name = 'InputLimitError';
  }
}

const plural = (n: number) => n.toLocaleString('en-US');

/** `input`: the text, its bytes, or its size in bytes (to refuse a file before reading it). */
export function checkSize(input: string | Uint8Array | number, file: string, limits: InputLimits): void {
  const bytes = typeof input === 'number' ? input : typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (bytes > limits.maxBytes) throw new InputLimitError(file, '', `the file is ${plural(bytes)} bytes, more than the limit of ${plural(limits.maxBytes)}`);
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number | undefined;
  viaAlias: boolean;
}

function pathOf(frame: Frame): string {
  const keys: Array<string | number> = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) keys.push(f.key);
  keys.reverse();
  // A path 100 levels deep says no more than its ends do.
  return keys.length > 12 ? `${formatPath(keys.slice(0, 6))}...${formatPath(keys.slice(-4))}` : formatPath(keys);
}

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null && !(v instanceof Date) && !ArrayBuffer.isView(v);

/**
 * Walks a parsed document the way a resolver, zod or JSON.stringify would (each alias
 * expanded) and throws InputLimitError naming the field where a limit is first exceeded.
 */
export function checkTree(value: unknown, file: string, limits: InputLimits): void {
  const seen = new Set<object>();
  let nodes = 0;
  let aliasNodes = 0;
  // Counts one value; throws at the first limit crossed. Scalars are counted without a frame.
  const count = (viaAlias: boolean, at: () => Frame) => {
    nodes++;
    if (viaAlias) aliasNodes++;
    if (nodes > limits.maxNodes) {
      throw new InputLimitError(file, pathOf(at()), `more than ${plural(limits.maxNodes)} values in the document${aliasNodes ? ' with its aliases expanded' : ''}`);
    }
    if (aliasNodes > limits.maxAliasNodes) {
      throw new InputLimitError(file, pathOf(at()), `YAML aliases expand to more than ${plural(limits.maxAliasNodes)} values (an alias bomb?); write the values out or use fewer aliases`);
    }
  };
  const root: Frame = { value, depth: 0, parent: undefined, key: undefined, viaAlias: false };
  count(false, () => root);
  const stack: Frame[] = isContainer(value) ? [root] : [];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value as object;
    if (frame.depth >= limits.maxDepth) throw new InputLimitError(file, pathOf(frame), `nested more than ${limits.maxDepth} levels deep`);
    const viaAlias = frame.viaAlias || seen.has(v);
    seen.add(v);
    const depth = frame.depth + 1;
    const visit = (child: unknown, key: string | number) => {
      const make = (): Frame => ({ value: child, depth, parent: frame, key, viaAlias });
      if (!isContainer(child)) return count(viaAlias, make);
      const f = make();
      count(viaAlias, () => f);
      stack.push(f);
    };
    // Last child first onto the stack, so containers are walked in document order.
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) visit(v[i], i);
    } else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) visit((v as Record<string, unknown>)[keys[i]], keys[i]);
    }
  }
}

/**
 * YAML 1.2 core as the `yaml` package's parse reads it (no timestamps, no merge keys), through
 * js-yaml within `limits`: about five times faster on records esb wrote itself with `yaml`'s
 * stringify (the status records every `esb get` reads). js-yaml's errors are the caller's.
 */
export function loadCoreYaml(text: string, file: string, limits: InputLimits): unknown {
  return loadYamlWithLimits(text, file, { limits, schema: jsyaml.CORE_SCHEMA });
}

/** A parser's own stack overflow on deep nesting, reported as a limit. */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

export interface LoadYamlOptions {
  limits: InputLimits;
  schema?: jsyaml.Schema;
  /** A key written twice in one mapping keeps its later value instead of failing. */
  duplicateKeysLastWins?: boolean;
}

/**
 * js-yaml load with the limits checked (size before, tree after). js-yaml errors are left to
 * the caller, which knows how to word them; over-deep nesting becomes an InputLimitError.
 */
export function loadYamlWithLimits(text: string, file: string, options: LoadYamlOptions): unknown {
  checkSize(text, file, options.limits);
  let value: unknown;
  try {
    // js-yaml stops at its own maxDepth with a positioned error (kept as the caller's syntax error).
    value = jsyaml.load(text, {
      filename: file,
      maxDepth: options.limits.maxDepth,
      ...(options.schema ? { schema: options.schema } : {}),
      ...(options.duplicateKeysLastWins ? { json: true } : {}),
    } as jsyaml.LoadOptions);
  } catch (err) {
    if (isStackOverflow(err)) throw new InputLimitError(file, '', `nested more than ${options.limits.maxDepth} levels deep`);
    throw err;
  }
  checkTree(value, file, options.limits);
  return value;
}
