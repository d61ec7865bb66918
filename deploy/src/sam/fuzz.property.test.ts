// Property tests with resource caps: random and mutated templates (corpus templates with
// YAML-significant edits, random documents, alias bombs of random shape) give either a model
// or a typed error naming the file; never a crash, a hang or unbounded memory. The run count
// is fixed (and the seed printed by fast-check on failure), so CI time stays bounded.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ContractError, TEMPLATE_LIMITS, YamlSyntaxError } from '@esb/contracts';
import { TEMPLATES, templateOf } from '../generate/corpus.js';
import { SamTemplateError } from './errors.js';
import { parseSamTemplate } from './template.js';

const FILE = 'fuzz/template.yml';
const corpus = readdirSync(TEMPLATES).map((name) => readFileSync(templateOf(join(TEMPLATES, name)), 'utf8'));

/** The outcome of parsing: 'ok', or the error class after checking it is typed and names the file. */
function outcome(input: string | unknown): string {
  try {
    parseSamTemplate(input, { file: FILE, templateDir: '/fuzz' });
    return 'ok';
  } catch (err) {
    const typed = err instanceof SamTemplateError || err instanceof YamlSyntaxError || err instanceof ContractError;
    if (!typed) throw new Error(`untyped error: ${(err as Error)?.stack ?? String(err)}`);
    expect((err as Error).message).toContain(FILE);
    return (err as Error).name;
  }
}

const TOKENS = ['&a ', '*a', '<<: *a\n', '[', ']', '{', '}', ': ', '- ', '\n', '\n  ', '\n    ', '!Ref ', '!Sub ', '!GetAtt ', '!If [', '!Join [', '---\n', '"', "'", '#', '|', '>', '~', 'null', '0x1F', '1e400', '\t', '\u0000', '\uFEFF', 'Resources', 'Type', 'Properties', 'CodeUri: ../', 'Fn::Sub: ${', '${AWS::Region}', '..', '/'];

const mutation: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
);

type Edit = { kind: 'insert'; at: number; text: string } | { kind: 'delete' | 'duplicate'; at: number; length: number };

function mutate(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length ? e.at % out.length : 0;
    if (e.kind === 'insert') out = out.slice(0, at) + e.text + out.slice(at);
    else if (e.kind === 'delete') out = out.slice(0, at) + out.slice(at + e.length);
    else out = out.slice(0, at) + out.slice(at, at + e.length) + out.slice(at);
  }
  return out;
}

describe('template fuzzing (bounded runs)', () => {
  it('mutated corpus templates: a model or a typed error naming the file', () => {
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 6 }), (text, edits) => {
        outcome(mutate(text, edits));
      }),
      { numRuns: 300 },
    );
  });

  it('random documents under Resources: a model or a typed error naming the file', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 2 }), fc.dictionary(fc.constantFrom('Type', 'Properties', 'CodeUri', 'Ref', 'Fn::Sub', 'Fn::If', 'Fn::GetAtt', 'Condition', 'Events', 'Path', 'Method', 'Handler', 'Runtime', 'X'), tie('node'), { maxKeys: 5 }), fc.array(tie('node'), { maxLength: 4 })),
    }));
    const resource = fc.record({ Type: fc.constantFrom('AWS::Serverless::Function', 'AWS::Serverless::Api', 'AWS::Serverless::HttpApi', 'AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Serverless::LayerVersion', 'Custom::X'), Properties: value.node });
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/), resource, { maxKeys: 4 }), fc.option(value.node), (resources, globals) => {
        const doc = { Resources: resources, ...(globals === null ? {} : { Globals: { Function: globals } }) };
        outcome(doc);
        outcome(stringify(doc));
      }),
      { numRuns: 300 },
    );
  });

  it('alias bombs of any shape: refused as InputLimitError when they expand past the limit, never when small', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom('Environment: { Variables: { X: *top } }', 'Tags: *top', 'Description: *top'), (width, levels, use) => {
        const anchors = [`  l0: &l0 [${Array(width).fill('lol').join(', ')}]`];
        for (let i = 1; i < levels; i++) anchors.push(`  l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
        anchors.push(`  top: &top [*l${levels - 1}]`);
        const text = `x-anchors:\n${anchors.join('\n')}\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: { Runtime: python3.12, Handler: a.h, CodeUri: src, ${use} }\n`;
        // Values of the document with every alias expanded: each anchored list holds `width` copies of the one before.
        let size = 1 + width;
        let total = size;
        for (let i = 1; i < levels; i++) total += size = 1 + width * size;
        total += 2 * (1 + size);
        const result = outcome(text);
        if (size > 2 * TEMPLATE_LIMITS.maxAliasNodes) expect(result).toBe('InputLimitError');
        if (total < TEMPLATE_LIMITS.maxAliasNodes) expect(result).not.toBe('InputLimitError');
      }),
      { numRuns: 200 },
    );
  });

  it('deep nesting is refused with the file named, never a stack overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 90, max: 5000 }), fc.constantFrom('[', '{a: ', '- '), (depth, open) => {
        const body = open === '- ' ? Array.from({ length: depth }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n') + 'x' : open.repeat(depth);
        const r = outcome(`Resources:\n  X:\n    Type: Custom::X\n    Properties:\n      P: ${body}\n`);
        expect(['ok', 'SamTemplateError', 'YamlSyntaxError', 'InputLimitError']).toContain(r);
      }),
      { numRuns: 50 },
    );
  });
});
