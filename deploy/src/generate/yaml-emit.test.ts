import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import jsyaml from 'js-yaml';
import { toYaml } from './yaml-emit.js';

// Plain data as the config files hold it: maps of strings, numbers, booleans, lists, maps.
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(fc.string(), fc.constantFrom('yes', 'no', 'null', '1.0', '0x1f', '*/*', '- x', 'a: b', 'a #b', '', ' lead', 'trail ', '~', '$default', '/{proxy+}', 'cron(0 3 * * ? *)', '@x', '%y', '"q"', "'s'"), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 3 })),
}));

describe('toYaml', () => {
  it('round-trips through both YAML parsers', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value.node, { maxKeys: 4 }), (doc) => {
        const text = toYaml(doc);
        const normal = JSON.parse(JSON.stringify(doc));
        expect(parse(text) ?? {}).toEqual(normal);
        expect(jsyaml.load(text) ?? {}).toEqual(normal);
      }),
      { numRuns: 300 },
    );
  });

  it('writes the block style the config files use', () => {
    expect(toYaml({ routes: [{ path: '/items/{id}', method: 'GET' }], apis: {}, l: [], count: 1, s: '1' })).toBe(
      'routes:\n  - path: /items/{id}\n    method: GET\napis: {}\nl: []\ncount: 1\ns: "1"\n',
    );
  });
});
