// Reading a CloudFormation / SAM template (YAML with short-form intrinsic tags, or JSON) into
// plain data where every intrinsic has its long form ({Ref: X}, {"Fn::Sub": ...}). Pure.
//
// js-yaml (YAML 1.2 core schema + merge keys) rather than the `yaml` package: it is ~10x
// faster on large templates, which the 200-function benchmark needs (see docs/generate.md).
import jsyaml from 'js-yaml';
import { checkSize, checkTree, loadYamlWithLimits, TEMPLATE_LIMITS, YamlSyntaxError, type InputLimits } from '@esb/contracts';

/** Short tag -> long key. `!GetAtt A.B` (scalar) is split into [A, B]. */
export const SHORT_TAGS: Record<string, string> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
  '!Sub': 'Fn::Sub',
  '!GetAtt': 'Fn::GetAtt',
  '!Join': 'Fn::Join',
  '!Select': 'Fn::Select',
  '!Split': 'Fn::Split',
  '!If': 'Fn::If',
  '!Equals': 'Fn::Equals',
  '!Not': 'Fn::Not',
  '!And': 'Fn::And',
  '!Or': 'Fn::Or',
  '!FindInMap': 'Fn::FindInMap',
  '!Base64': 'Fn::Base64',
  '!ImportValue': 'Fn::ImportValue',
  '!GetAZs': 'Fn::GetAZs',
  '!Cidr': 'Fn::Cidr',
  '!Transform': 'Fn::Transform',
};

// Every tag is accepted on scalars, sequences and maps; what a tag may hold is checked when
// the intrinsic is resolved (with the resource and field in the message).
const tagTypes = Object.entries(SHORT_TAGS).flatMap(([tag, long]) =>
  (['scalar', 'sequence', 'mapping'] as const).map(
    (kind) =>
      new jsyaml.Type(tag, {
        kind,
        construct: (data: unknown) => {
          if (long === 'Fn::GetAtt' && typeof data === 'string') {
            const dot = data.indexOf('.');
            return { [long]: dot < 0 ? [data] : [data.slice(0, dot), data.slice(dot + 1)] };
          }
          return { [long]: kind === 'scalar' && data === null ? '' : data };
        },
      }),
  ),
);

let schema: jsyaml.Schema | undefined;
function templateSchema(): jsyaml.Schema {
  const merge = (jsyaml as unknown as { types: { merge: jsyaml.Type } }).types.merge;
  schema ??= jsyaml.CORE_SCHEMA.extend({ implicit: [merge], explicit: tagTypes });
  return schema;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: offset - last };
}

/**
 * Parses template text (YAML or JSON) within `limits` (size, depth, values with aliases
 * expanded: docs/generate.md "Limits"). Syntax errors name file:line:column.
 */
export function parseTemplateText(text: string, file: string, limits: InputLimits = TEMPLATE_LIMITS, warnings?: string[]): unknown {
  if (text.trimStart().startsWith('{')) {
    checkSize(text, file, limits);
    try {
      const value: unknown = JSON.parse(text);
      checkTree(value, file, limits);
      return value;
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      const msg = (err as Error).message;
      const m = /position (\d+)/.exec(msg);
      const pos = m ? lineCol(text, Number(m[1])) : { line: 1, col: 1 };
      throw new YamlSyntaxError(file, pos.line, pos.col, `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, '')}`);
    }
  }
  try {
    return loadYamlWithLimits(text, file, { limits, schema: templateSchema() });
  } catch (err) {
    if (!(err instanceof jsyaml.YAMLException)) throw err;
    // SAM CLI's YAML reader keeps a key's later value when a mapping names it twice, and
    // `sam deploy` re-writes the template before CloudFormation sees it: such templates deploy
    // on AWS, so they deploy here, with a warning (docs/generate.md, "What is read").
    if (warnings && err.reason === 'duplicated mapping key') {
      let value: unknown;
      try {
        value = loadYamlWithLimits(text, file, { limits, schema: templateSchema(), duplicateKeysLastWins: true });
      } catch (again) {
        if (!(again instanceof jsyaml.YAMLException)) throw again;
        throw syntaxError(again, file);
      }
      const at = syntaxError(err, file);
      const key = /^\s*(?:-\s+)?("[^"]*"|'[^']*'|[^\s:#][^:#]*?)\s*:/.exec(text.split('\n')[at.line - 1] ?? '')?.[1];
      warnings.push(`${file}:${at.line}:${at.column}: key ${key ? `${key.replace(/^["']|["']$/g, '')} ` : ''}written twice in one mapping; the later value is used, as SAM CLI does`);
      return value;
    }
    throw syntaxError(err, file);
  }
}

function syntaxError(err: jsyaml.YAMLException, file: string): YamlSyntaxError {
  const mark = err.mark as { line: number; column: number } | undefined;
  let reason = err.reason || 'invalid YAML';
  const unknown = /^unknown tag !<(.*)>$/.exec(reason);
  if (unknown) reason = `unknown tag ${unknown[1]} (not a CloudFormation intrinsic function)`;
  return new YamlSyntaxError(file, (mark?.line ?? 0) + 1, (mark?.column ?? 0) + 1, reason);
}
