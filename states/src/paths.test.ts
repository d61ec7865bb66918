import { describe, expect, it } from 'vitest';
import { StatesError } from './errors.js';
import { normalizedPath, parsePath, parseReferencePath, PathNotFound, pathExists, readPath, writeResultPath } from './paths.js';

const input = { foo: 123, bar: ['a', 'b', 'c'], car: { cdr: true }, 'a b': { c: 1 }, items: [{ n: 1 }, { n: 2 }, { n: 3 }], nothing: null };
const data = { input, context: { Execution: { Id: 'exec-1' } }, variable: (name: string) => (name === 'total' ? { found: true, value: { sum: 6 } } : { found: false }) };

describe('paths', () => {
  it('reads Reference Paths as the docs show them', () => {
    expect(readPath('$.foo', data)).toBe(123);
    expect(readPath('$.bar', data)).toEqual(['a', 'b', 'c']);
    expect(readPath('$.car.cdr', data)).toBe(true);
    expect(readPath('$.bar[1]', data)).toBe('b');
    expect(readPath("$['a b'].c", data)).toBe(1);
    expect(readPath('$["a b"]["c"]', data)).toBe(1);
    expect(readPath('$.nothing', data)).toBeNull();
    expect(readPath('$', data)).toBe(input);
  });

  it('reads `.[` as `[`, as Step Functions does: `$.[0].body` is one value, not a list of matches', () => {
    expect(readPath('$.[0].body', { input: [{ body: 'first' }, { body: 'second' }] })).toBe('first');
    expect(readPath('$.items.[1]', { input: { items: ['a', 'b'] } })).toBe('b');
  });

  it('reads the context object with $$ and variables with $name', () => {
    expect(readPath('$$.Execution.Id', data)).toBe('exec-1');
    expect(readPath('$total.sum', data)).toBe(6);
    expect(() => readPath('$missing', data)).toThrow(PathNotFound);
  });

  it('gives a path that names nothing as Step Functions words it', () => {
    expect(() => readPath('$.foo.bar', data)).toThrow("Invalid path '$.foo.bar' : No results for path: $['foo']['bar']");
    expect(() => readPath('$.bar[3]', data)).toThrow("Invalid path '$.bar[3]' : No results for path: $['bar'][3]");
    // An array has no fields, not even its own `length`; objects have no inherited ones.
    expect(() => readPath('$.bar.length', data)).toThrow(PathNotFound);
    expect(() => readPath('$.car.constructor', data)).toThrow(PathNotFound);
  });

  it('gives the list of matches for a Path with filters, wildcards or slices (empty when none matches)', () => {
    expect(readPath('$.items[?(@.n > 1)]', data)).toEqual([{ n: 2 }, { n: 3 }]);
    expect(readPath('$.items[*].n', data)).toEqual([1, 2, 3]);
    expect(readPath('$.bar[0:2]', data)).toEqual(['a', 'b']);
    expect(readPath('$.items[?(@.n > 5)]', data)).toEqual([]);
    expect(readPath('$total[*]', data)).toEqual([6]);
  });

  it('tells Reference Paths from other Paths', () => {
    expect(parseReferencePath('$.a.b[0]')?.steps).toEqual(['a', 'b', 0]);
    expect(parseReferencePath("$['a.b']")?.steps).toEqual(['a.b']);
    expect(parseReferencePath('$.items[?(@.n > 1)]')).toBeUndefined();
    expect(parseReferencePath('$..n')).toBeUndefined();
    expect(parsePath('$.items[?(@.n > 1)]')?.root).toBe('input');
    expect(parsePath('$$.Map.Item.Value')?.root).toBe('context');
    expect(parsePath('$myVar.x')).toMatchObject({ root: 'variable', variable: 'myVar', steps: ['x'] });
    expect(parsePath('foo')).toBeUndefined();
    expect(parsePath('$.a[0')).toBeUndefined();
    expect(normalizedPath(parsePath('$.a.b[2]')!)).toBe("$['a']['b'][2]");
  });

  it('tests presence without failing', () => {
    expect(pathExists('$.nothing', data)).toBe(true);
    expect(pathExists('$.missing', data)).toBe(false);
    expect(pathExists('$.items[?(@.n > 5)]', data)).toBe(false);
    expect(pathExists('$.items[?(@.n > 2)]', data)).toBe(true);
  });
});

describe('ResultPath', () => {
  it('places the result in a copy of the input, making the objects on the way', () => {
    const original = { comment: 'This is a test', who: 'AWS Step Functions' };
    expect(writeResultPath(original, '$.taskresult', 'Hello, AWS Step Functions!')).toEqual({ ...original, taskresult: 'Hello, AWS Step Functions!' });
    expect(writeResultPath({ a: { x: 1 } }, '$.a.b.c', 2)).toEqual({ a: { x: 1, b: { c: 2 } } });
    expect(writeResultPath({ list: [0, 0] }, '$.list[1]', 'x')).toEqual({ list: [0, 'x'] });
    expect(writeResultPath({ a: 1 }, '$', 'all')).toBe('all');
    expect(original).toEqual({ comment: 'This is a test', who: 'AWS Step Functions' });
  });

  it('fails with States.ResultPathMatchFailure where the path goes through something that is not an object', () => {
    const attempt = (value: unknown, path: string) => {
      try {
        writeResultPath(value, path, 1);
      } catch (err) {
        return (err as StatesError).error;
      }
      return 'no error';
    };
    expect(attempt('a string', '$.x')).toBe('States.ResultPathMatchFailure');
    expect(attempt({ a: 5 }, '$.a.b')).toBe('States.ResultPathMatchFailure');
    expect(attempt({ a: [1] }, '$.a[3]')).toBe('States.ResultPathMatchFailure');
    expect(attempt({ a: [1] }, '$.a.b')).toBe('States.ResultPathMatchFailure');
  });

  it('writes a key such as __proto__ as a field', () => {
    const out = writeResultPath({}, "$['__proto__']", { polluted: true }) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
