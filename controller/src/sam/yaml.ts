// Reading a CloudFormation / SAM template (YAML with short-form intrinsic tags, or JSON) into
// plain data where every intrinsic has its long form ({Ref: X}, {"Fn::Sub": ...}). Pure.
import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { YamlSyntaxError } from '../../../crds/src/index.js';
import { SamTemplateError } from './errors.js';

/** Short tag -> long key. `!GetAtt A.B` (scalar) is split into [A, B]. */
const SHORT_TAGS: Record<string, string> = {
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
const customTags = Object.keys(SHORT_TAGS).flatMap((tag) => [
  { tag, resolve: (s: string) => s },
  { tag, collection: 'seq' as const, resolve: (s: unknown) => s },
  { tag, collection: 'map' as const, resolve: (s: unknown) => s },
]);

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
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message;
      const m = /position (\d+)/.exec(msg);
      const pos = m ? lineCol(text, Number(m[1])) : { line: 1, col: 1 };
      throw new YamlSyntaxError(file, pos.line, pos.col, `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, '')}`);
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, customTags, lineCounter });
  const err = doc.errors[0];
  if (err) {
    const pos = lineCounter.linePos(err.pos[0]);
    throw new YamlSyntaxError(file, pos.line, pos.col, err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''));
  }
  const unknownTag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (unknownTag) {
    const pos = lineCounter.linePos(unknownTag.pos[0]);
    const tag = /!\S+/.exec(unknownTag.message)?.[0] ?? 'tag';
    throw new YamlSyntaxError(file, pos.line, pos.col, `unknown tag ${tag} (not a CloudFormation intrinsic function)`);
  }
  return toPlain(doc, doc.contents as Node | null, file, lineCounter, 0);
}

function toPlain(doc: Document, node: Node | null | undefined, file: string, lc: LineCounter, depth: number): unknown {
  if (node == null) return null;
  if (depth > 200) throw new SamTemplateError(file, undefined, undefined, 'template nests too deeply');
  if (isAlias(node)) return toPlain(doc, node.resolve(doc) as Node | undefined, file, lc, depth + 1);
  let value: unknown;
  if (isScalar(node)) value = node.value;
  else if (isMap(node)) {
    const obj: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = toPlain(doc, pair.key as Node, file, lc, depth + 1);
      if (key === '<<' && isAlias(pair.value)) {
        Object.assign(obj, toPlain(doc, pair.value as Node, file, lc, depth + 1));
        continue;
      }
      obj[String(key)] = toPlain(doc, pair.value as Node, file, lc, depth + 1);
    }
    value = obj;
  } else if (isSeq(node)) value = node.items.map((item) => toPlain(doc, item as Node, file, lc, depth + 1));
  else value = null;
  const tag = node.tag;
  if (tag && tag.startsWith('!') && !tag.startsWith('!!')) {
    const long = SHORT_TAGS[tag];
    if (!long) {
      const pos = lc.linePos(node.range?.[0] ?? 0);
      throw new YamlSyntaxError(file, pos.line, pos.col, `unknown tag ${tag}`);
    }
    if (long === 'Fn::GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      value = dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
    }
    return { [long]: value };
  }
  return value;
}
