// Status records are written with `yaml`'s stringify and read back through js-yaml's core schema
// (readStatusRecord): what it reads must be what `yaml`'s parse reads, for any record.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readStatusRecord } from './store.js';

// Strings other YAML schemas would take for something else.
const TRICKY = ['2026-12-03T10:00:00.000Z', '2026-12-03', 'yes', 'no', 'on', 'off', 'null', '~', '0x1F', '0o17', '1e3', '.inf', '-.NaN', '<<', '=', '!tag', '&a', '*a', 'a: b', '- x', '#c', "'q'", '"q"', '', ' lead', 'trail ', 'multi\nline\n', 'tab\there', 'é ü 中'];

const value = fc.letrec((tie) => ({
  leaf: fc.oneof(fc.constantFrom(...TRICKY), fc.string(), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null)),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.oneof(fc.string(), fc.constantFrom(...TRICKY)), tie('node'), { maxKeys: 4 })),
}));

describe('status records (readStatusRecord)', () => {
  it('reads what yaml wrote exactly as yaml reads it', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value.node, { maxKeys: 6 }), (record) => {
        const text = stringify(record);
        expect(readStatusRecord(text, 'default/x.yaml')).toEqual(parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a record nested past the limit, naming the file', () => {
    const deep = `${Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i)}k:`).join('\n')} 1\n`;
    expect(() => readStatusRecord(deep, 'default/deep.yaml')).toThrow(/maxDepth \(64\) in "default\/deep\.yaml"/);
  });
});
