import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseRuntimeYaml, parseRuntimeYamlFast, stringifyRuntimeYaml } from './runtime-yaml.js';

const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const doc = fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(jsonValue, fc.dictionary(fc.string({ minLength: 1 }), jsonValue), fc.array(jsonValue)));

describe('runtime YAML', () => {
  it('writes plain YAML: any YAML parser reads back the same data, and so does the fast parser', () => {
    fc.assert(
      fc.property(doc, fc.integer({ min: 1, max: 3 }), (d, depth) => {
        const text = stringifyRuntimeYaml(d, { blockDepth: depth, header: 'a header' });
        // -0 is written as 0 by JSON
        const expected = JSON.parse(JSON.stringify(d));
        expect(parse(text) ?? {}).toEqual(expected);
        expect(parseRuntimeYamlFast(text) ?? {}).toEqual(expected);
      }),
      { numRuns: 120 },
    );
  });

  it('writes one line per function / route and block YAML above', () => {
    const text = stringifyRuntimeYaml({ routes: [{ path: '/a', method: 'GET' }], apis: {} }, { blockDepth: 2 });
    expect(text).toBe('routes:\n  - {"path":"/a","method":"GET"}\napis: {}\n');
  });

  it('falls back to a full YAML parser for hand-written files', () => {
    const text = 'routes:\n- path: /a   # comment\n  method: GET\napis: {}\n';
    expect(() => parseRuntimeYamlFast(text)).toThrow();
    expect(parseRuntimeYaml(text, 'routing.yml')).toEqual({ routes: [{ path: '/a', method: 'GET' }], apis: {} });
  });

  it('quotes keys YAML would read as something else', () => {
    const text = stringifyRuntimeYaml({ functions: { true: 1, 'a b': 2, null: 3, '1': 4 } });
    expect(parse(text)).toEqual({ functions: { true: 1, 'a b': 2, null: 3, '1': 4 } });
  });
});
