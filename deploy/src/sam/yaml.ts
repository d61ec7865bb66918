// Reading a CloudFormation / SAM template (YAML with short-form intrinsic tags, or JSON) into
// plain data where every intrinsic has its long form ({Ref: X}, {"Fn::Sub": ...}). Pure.
//
// js-yaml (YAML 1.2 core schema + merge keys) rather than the `yaml` package: it is ~10x
// faster on large templates, which the 200-function benchmark needs (see docs/generate.md).
import jsyaml from 'js-yaml';
import { YamlSyntaxError } from '@esb/contracts';

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

/** Parses template text (YAML or JSON). Syntax errors name file:line:column. */
export function parseTemplateText(text: string, file: string): unknown {
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message;
      const m = /position (\d+)/.exec(msg);
      const pos = m ? lineCol(text, Number(m[1])) : { line: 1, col: 1 };
      throw new YamlSyntaxError(file, pos.line, pos.col, `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, '')}`);
    }
  }
  try {
    return jsyaml.load(text, { schema: templateSchema(), filename: file });
  } catch (err) {
    if (!(err instanceof jsyaml.YAMLException)) throw err;
    const mark = err.mark as { line: number; column: number } | undefined;
    let reason = err.reason || 'invalid YAML';
    const unknown = /^unknown tag !<(.*)>$/.exec(reason);
    if (unknown) reason = `unknown tag ${unknown[1]} (not a CloudFormation intrinsic function)`;
    throw new YamlSyntaxError(file, (mark?.line ?? 0) + 1, (mark?.column ?? 0) + 1, reason);
  }
}
