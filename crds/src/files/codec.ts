// One codec per runtime file (functions.yml, routing.yml, resources.yml, images.yml, outputs.yml): its
// name, schema and empty value, and the one way to decode, read and write it. Every reader
// (gateway, agent, provisioner, apply, the image builder) goes through here, so they share one
// parser, one missing-file rule (missing = empty, `present: false`) and one error type
// (ContractError / YamlSyntaxError naming the file, the field or line:column, the reason).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { EMPTY_FUNCTIONS, EMPTY_RESOURCES, EMPTY_ROUTING, EMPTY_STACKS, FunctionsFile, ImagesFile, OutputsFile, ResourcesFile, RoutingFile, StacksFile } from '../contracts.js';
import { CONFIG_LIMITS, InputLimitError, checkSize, checkTree, loadYamlWithLimits } from '../limits.js';
import { ContractError, parseYaml, validate } from '../validate.js';
import { writeFileAtomic } from './atomic.js';
import { parseRuntimeYamlFast, stringifyRuntimeYaml } from './runtime-yaml.js';

export interface RuntimeFileCodec<S extends z.ZodType> {
  /** The file's name inside CONFIG_DIR or an artifact's runtime config folder. */
  name: string;
  schema: S;
  /** What a missing file means. */
  empty: z.output<S>;
  /** How many outer levels are written as block YAML (the rest as flow mappings). */
  blockDepth: number;
}

const codec = <S extends z.ZodType>(name: string, schema: S, empty: z.output<S>, blockDepth: number): RuntimeFileCodec<S> => ({ name, schema, empty, blockDepth });

export const FUNCTIONS_CODEC = codec('functions.yml', FunctionsFile, EMPTY_FUNCTIONS, 2);
export const ROUTING_CODEC = codec('routing.yml', RoutingFile, EMPTY_ROUTING, 2);
export const RESOURCES_CODEC = codec('resources.yml', ResourcesFile, EMPTY_RESOURCES, 3);
export const IMAGES_CODEC = codec('images.yml', ImagesFile, { images: [] }, 2);
export const STACKS_CODEC = codec('stacks.yml', StacksFile, EMPTY_STACKS, 3);
export const OUTPUTS_CODEC = codec('outputs.yml', OutputsFile, { outputs: {} }, 2);

/**
 * Parses the text of a runtime file within CONFIG_LIMITS (docs/security.md "Input limits"):
 * apply's own format on a fast path, js-yaml for anything else (hand-edited files: several
 * times faster than `yaml` on a 5,000-route file), and on a syntax error the `yaml` package
 * again for its file:line:column message.
 */
export function parseRuntimeText(text: string, file: string): unknown {
  checkSize(text, file, CONFIG_LIMITS);
  let fast: unknown;
  try {
    fast = parseRuntimeYamlFast(text);
  } catch {
    try {
      return loadYamlWithLimits(text, file, { limits: CONFIG_LIMITS });
    } catch (err) {
      if (err instanceof InputLimitError) throw err;
      return parseYaml(text, file);
    }
  }
  checkTree(fast, file, CONFIG_LIMITS);
  return fast;
}

/** Decodes a runtime file's text (`file` names it in errors); empty text is the empty document's shape checked by the schema. */
export function decodeRuntimeFile<S extends z.ZodType>(c: RuntimeFileCodec<S>, text: string, file: string): z.output<S> {
  return validate(c.schema, parseRuntimeText(text, file) ?? {}, file);
}

export function encodeRuntimeFile<S extends z.ZodType>(c: RuntimeFileCodec<S>, value: z.output<S>, header?: string): string {
  return stringifyRuntimeYaml(value as Record<string, unknown>, { blockDepth: c.blockDepth, header });
}

export interface ReadRuntimeFile<T> {
  file: string;
  value: T;
  /** False when the file does not exist (then `value` is the codec's empty value). */
  present: boolean;
  /** The text read (absent when the file does not exist): a writer compares its new text with it. */
  text?: string;
}

/** Reads `dir/<name>`: missing is empty; unreadable, malformed or invalid is a ContractError / YamlSyntaxError naming the file. */
export async function readRuntimeFile<S extends z.ZodType>(c: RuntimeFileCodec<S>, dir: string): Promise<ReadRuntimeFile<z.output<S>>> {
  const file = join(dir, c.name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { file, value: c.empty, present: false };
    throw new ContractError(file, [{ path: '', message: `cannot read (${code})` }], { cause });
  }
  return { file, value: decodeRuntimeFile(c, text, file), present: true, text };
}

/** Writes `dir/<name>` atomically (tmp file, fsync, rename). */
export async function writeRuntimeFile<S extends z.ZodType>(c: RuntimeFileCodec<S>, dir: string, value: z.output<S>, header?: string): Promise<void> {
  await writeFileAtomic(join(dir, c.name), encodeRuntimeFile(c, value, header));
}
