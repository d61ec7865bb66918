import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StatesError } from './errors.js';
import { evaluateIntrinsic, IntrinsicSyntaxError, isIntrinsic, parseIntrinsic } from './intrinsics.js';
import { readPath } from './paths.js';

const input = {
  name: 'Arnav',
  inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9],
  duplicates: [1, 2, 3, 3, 3, 3, 3, 3, 4, { a: 1, b: 2 }, { b: 2, a: 1 }],
  escapedJsonString: '{"foo": "bar"}',
  unescapedJson: { foo: 'bar' },
  json1: { a: { a1: 1, a2: 2 }, b: 2 },
  json2: { a: { a3: 1, a4: 2 }, c: 3 },
  lookingFor: 5,
  index: 5,
  inputString: 'This.is+a,test=string',
  splitter: '.+,=',
  items: [{ n: 1 }, { n: 2 }],
};

/** Evaluates an intrinsic call against `input`. */
const call = (text: string) => evaluateIntrinsic(parseIntrinsic(text), (path) => readPath(path, { input }));
/** The States error an intrinsic call fails with. */
const failure = (text: string) => {
  try {
    call(text);
  } catch (err) {
    if (err instanceof StatesError) return `${err.error}: ${err.cause}`;
    throw err;
  }
  throw new Error(`${text} did not fail`);
};

describe('intrinsic functions', () => {
  it('formats strings, with escaped braces and quotes', () => {
    expect(call("States.Format('Hello, my name is {}.', $.name)")).toBe('Hello, my name is Arnav.');
    expect(call("States.Format('{} has {} items: {}', $.name, States.ArrayLength($.inputArray), $.unescapedJson)")).toBe('Arnav has 9 items: {"foo":"bar"}');
    expect(call("States.Format('\\{literal\\} {} it\\'s \\\\ {}', $.name, null)")).toBe("{literal} Arnav it's \\ null");
    expect(call("States.Format('{}{}', true, 1.5)")).toBe('true1.5');
    expect(failure("States.Format('{} and {}', $.name)")).toBe('States.IntrinsicFailure: Invalid arguments in States.Format: the template has more {} than the 1 value given');
    expect(failure("States.Format('no placeholder', $.name)")).toBe('States.IntrinsicFailure: Invalid arguments in States.Format: the template has 0 {} for 1 values');
  });

  it('converts between JSON and its text', () => {
    expect(call('States.StringToJson($.escapedJsonString)')).toEqual({ foo: 'bar' });
    expect(call('States.JsonToString($.unescapedJson)')).toBe('{"foo":"bar"}');
    expect(failure("States.StringToJson('{not json')")).toBe("States.IntrinsicFailure: Invalid arguments in States.StringToJson: '{not json' is not JSON text");
  });

  it('builds and reads arrays', () => {
    expect(call("States.Array('Foo', 2020, $.unescapedJson, null, -3)")).toEqual(['Foo', 2020, { foo: 'bar' }, null, -3]);
    expect(call('States.ArrayPartition($.inputArray, 4)')).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9]]);
    expect(call('States.ArrayContains($.inputArray, $.lookingFor)')).toBe(true);
    expect(call("States.ArrayContains($.items, States.StringToJson('{\"n\":2}'))")).toBe(true);
    expect(call('States.ArrayContains($.inputArray, 10)')).toBe(false);
    expect(call('States.ArrayRange(1, 9, 2)')).toEqual([1, 3, 5, 7, 9]);
    expect(call('States.ArrayRange(10, 1, -3)')).toEqual([10, 7, 4, 1]);
    expect(call('States.ArrayGetItem($.inputArray, $.index)')).toBe(6);
    expect(call('States.ArrayLength($.inputArray)')).toBe(9);
    expect(call('States.ArrayUnique($.duplicates)')).toEqual([1, 2, 3, 4, { a: 1, b: 2 }]);
    expect(call('States.ArrayLength($.items[?(@.n > 1)])')).toBe(1);
  });

  it('fails on arrays as Step Functions does', () => {
    expect(failure('States.ArrayRange(1, 1001, 1)')).toBe('States.IntrinsicFailure: Invalid arguments in States.ArrayRange: the range would have 1001 items, more than 1000');
    expect(call('States.ArrayRange(1, 1000, 1)')).toHaveLength(1000);
    expect(failure('States.ArrayRange(1, 5, 0)')).toMatch(/the step must not be 0/);
    expect(failure('States.ArrayGetItem($.inputArray, 9)')).toMatch(/the index 9 is out of the array's bounds \(length 9\)/);
    expect(failure('States.ArrayPartition($.inputArray, 0)')).toMatch(/the chunk size must be positive/);
    expect(failure('States.ArrayLength($.name)')).toBe("States.IntrinsicFailure: Invalid arguments in States.ArrayLength: the argument must be an array, not the string 'Arnav'");
  });

  it('encodes, decodes and hashes', () => {
    expect(call("States.Base64Encode('Data to encode')")).toBe('RGF0YSB0byBlbmNvZGU=');
    expect(call("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')")).toBe('Data to encode');
    expect(call("States.Hash('input data', 'SHA-1')")).toBe('aaff4a450a104cd177d28d18d74485e8cae074b7');
    for (const [name, node] of [['MD5', 'md5'], ['SHA-256', 'sha256'], ['SHA-384', 'sha384'], ['SHA-512', 'sha512']]) {
      expect(call(`States.Hash($.name, '${name}')`)).toBe(createHash(node).update('Arnav').digest('hex'));
    }
    expect(failure("States.Hash('x', 'SHA-3')")).toMatch(/the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, not 'SHA-3'/);
    expect(failure("States.Hash('x', 'constructor')")).toMatch(/the algorithm must be one of/);
    expect(failure("States.Base64Decode('not base64!')")).toMatch(/is not Base64/);
    expect(failure(`States.Base64Encode('${'x'.repeat(10_001)}')`)).toMatch(/longer than 10000 characters/);
  });

  it('merges JSON shallowly only', () => {
    expect(call('States.JsonMerge($.json1, $.json2, false)')).toEqual({ a: { a3: 1, a4: 2 }, b: 2, c: 3 });
    expect(failure('States.JsonMerge($.json1, $.json2, true)')).toBe('States.IntrinsicFailure: Invalid arguments in States.JsonMerge: deep merging is not supported: the third argument must be false');
  });

  it('does arithmetic, random numbers, splitting and UUIDs', () => {
    expect(call('States.MathAdd(111, -1)')).toBe(110);
    expect(call('States.MathAdd(1.6, 1)')).toBe(3);
    for (let i = 0; i < 50; i++) {
      const n = call('States.MathRandom(1, 5)') as number;
      expect(Number.isInteger(n) && n >= 1 && n < 5).toBe(true);
    }
    expect(call('States.MathRandom(1, 1000, 7)')).toBe(call('States.MathRandom(1, 1000, 7)'));
    expect(failure('States.MathRandom(5, 5)')).toMatch(/the end \(5\) must be greater than the start \(5\)/);
    expect(call("States.StringSplit('1,2,3,4,5', ',')")).toEqual(['1', '2', '3', '4', '5']);
    expect(call('States.StringSplit($.inputString, $.splitter)')).toEqual(['This', 'is', 'a', 'test', 'string']);
    expect(call('States.UUID()')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('parses nested calls, paths with filters and literals into a tree', () => {
    expect(parseIntrinsic("States.Format('{}', States.ArrayGetItem($.a[?(@.x == 'a,b')], 0))")).toEqual({
      kind: 'call',
      name: 'States.Format',
      args: [
        { kind: 'string', value: '{}', raw: '{}' },
        { kind: 'call', name: 'States.ArrayGetItem', args: [{ kind: 'path', path: "$.a[?(@.x == 'a,b')]" }, { kind: 'number', value: 0 }] },
      ],
    });
    expect(isIntrinsic('States.Format(1)')).toBe(true);
    expect(isIntrinsic('$.States')).toBe(false);
  });

  it('rejects malformed calls with a reason', () => {
    const syntax = (text: string) => {
      try {
        parseIntrinsic(text);
      } catch (err) {
        if (err instanceof IntrinsicSyntaxError) return err.message;
        throw err;
      }
      return 'parsed';
    };
    expect(syntax('States.Nope(1)')).toBe("'States.Nope' is not an intrinsic function");
    expect(syntax('States.ArrayLength()')).toBe('States.ArrayLength takes 1 argument, not 0');
    expect(syntax('States.MathRandom(1)')).toBe('States.MathRandom takes 2 or 3 arguments, not 1');
    expect(syntax('States.Format()')).toBe('States.Format takes at least 1 argument, not 0');
    expect(syntax("States.Format('unterminated)")).toBe('unterminated string starting at position 14');
    expect(syntax("States.Format('x') trailing")).toBe("unexpected 'trailing' after the call");
    expect(syntax('States.Array(1 2)')).toBe("expected ')' but found 2");
    expect(syntax('States.Array(1,)')).toBe("expected an argument but found ')'");
  });
});
