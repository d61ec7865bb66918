import { describe, expect, it } from 'vitest';
import { checkParameterValue, parameterDefinitions, type ParameterDefinition } from './parameters.js';
import { parseSamTemplate } from './template.js';
import { SamTemplateError } from './errors.js';

const fail = (name: string, field: string | undefined, reason: string): never => {
  throw new Error(`${name}.${field}: ${reason}`);
};
const def = (d: Partial<ParameterDefinition>): ParameterDefinition => ({ name: 'P', type: 'String', noEcho: false, ...d });

describe('template parameters', () => {
  it('reads each definition in order: type, default (a list joined), description, constraints, NoEcho', () => {
    const defs = parameterDefinitions(
      { Parameters: { Bucket: { Type: 'String', Description: 'where', AllowedPattern: '[a-z]+', ConstraintDescription: 'lower case', MinLength: 3, MaxLength: '10' }, Zones: { Type: 'CommaDelimitedList', Default: ['a', 'b'] }, Secret: { Type: 'String', NoEcho: true, Default: 7 } } },
      fail,
    );
    expect(defs).toEqual([
      { name: 'Bucket', type: 'String', noEcho: false, description: 'where', allowedPattern: '[a-z]+', constraintDescription: 'lower case', minLength: 3, maxLength: 10 },
      { name: 'Zones', type: 'CommaDelimitedList', noEcho: false, default: 'a,b' },
      { name: 'Secret', type: 'String', noEcho: true, default: '7' },
    ]);
    expect(parameterDefinitions({}, fail)).toEqual([]);
    expect(() => parameterDefinitions({ Parameters: { N: { Type: 'Number', MinValue: 'low' } } }, fail)).toThrow('N.MinValue: must be a number, not "low"');
    expect(() => parameterDefinitions({ Parameters: { N: 'String' } }, fail)).toThrow('N.undefined: a parameter must be a map with a Type');
  });

  it("reads AllowedPattern as java.util.regex does (CloudFormation's dialect): POSIX classes, \\A and \\z, possessive quantifiers, atomic groups", () => {
    // The password pattern of public templates (Amazon MQ, RDS): 12+ printable characters, none of " ,:=".
    const mqPassword = def({ allowedPattern: '^(?=(.*\\p{Print}){4,})(?!.*[ ,:=])[\\p{Print}]{12,}$' });
    expect(checkParameterValue(mqPassword, 'DummySecret123!')).toEqual({ value: 'DummySecret123!' });
    expect(checkParameterValue(mqPassword, 'short:1')).toMatchObject({ field: 'AllowedPattern' });
    expect(checkParameterValue(mqPassword, 'has a space in it')).toMatchObject({ field: 'AllowedPattern' });
    expect(checkParameterValue(mqPassword, 'twelve chars\u00e9x')).toMatchObject({ field: 'AllowedPattern' }); // not US-ASCII printable
    expect(checkParameterValue(def({ allowedPattern: '\\p{Alpha}\\p{Alnum}*' }), 'db1')).toEqual({ value: 'db1' });
    expect(checkParameterValue(def({ allowedPattern: '\\p{Alpha}\\p{Alnum}*' }), '1db')).toMatchObject({ field: 'AllowedPattern' });
    expect(checkParameterValue(def({ allowedPattern: '\\P{Digit}+' }), 'abc')).toEqual({ value: 'abc' });
    expect(checkParameterValue(def({ allowedPattern: '\\A[a-z]++-\\d*+\\z' }), 'abc-12')).toEqual({ value: 'abc-12' });
    expect(checkParameterValue(def({ allowedPattern: '(?>ab|a)c' }), 'abc')).toEqual({ value: 'abc' });
  });

  it('checks a value as CloudFormation does, with the ConstraintDescription in the reason', () => {
    expect(checkParameterValue(def({ allowedPattern: '[a-z]+', constraintDescription: 'lower case' }), 'Abc')).toEqual({ field: 'AllowedPattern', reason: 'value "Abc" does not match [a-z]+ (lower case)' });
    expect(checkParameterValue(def({ allowedPattern: '[a-z]+' }), 'abc')).toEqual({ value: 'abc' });
    expect(checkParameterValue(def({ minLength: 3 }), 'ab')).toEqual({ field: 'MinLength', reason: 'value "ab" is shorter than 3 characters' });
    expect(checkParameterValue(def({ maxLength: 3 }), 'abcd')).toEqual({ field: 'MaxLength', reason: 'value "abcd" is longer than 3 characters' });
    expect(checkParameterValue(def({ type: 'Number', minValue: 1, maxValue: 90 }), '0')).toEqual({ field: 'MinValue', reason: 'value 0 is below 1' });
    expect(checkParameterValue(def({ type: 'Number', minValue: 1, maxValue: 90 }), 91)).toEqual({ field: 'MaxValue', reason: 'value 91 is above 90' });
    expect(checkParameterValue(def({ type: 'Number' }), 'x')).toEqual({ field: 'Type', reason: 'value "x" is not a number' });
    expect(checkParameterValue(def({ type: 'List<Number>', maxValue: 5 }), '1, 2,9')).toEqual({ field: 'MaxValue', reason: 'value 9 is above 5' });
    expect(checkParameterValue(def({ type: 'CommaDelimitedList', allowedValues: ['a', 'b'] }), 'a, b')).toEqual({ value: ['a', 'b'] });
    expect(checkParameterValue(def({ allowedValues: ['dev', 'prod'] }), 'qa')).toEqual({ field: 'AllowedValues', reason: 'value "qa" is not one of dev, prod' });
    expect(checkParameterValue(def({}), { a: 1 })).toEqual({ field: 'Default', reason: 'must be a string' });
  });

  it('names every parameter that has no value in one error, and says how to give them', () => {
    const text = `Parameters:
  A: {Type: String}
  B: {Type: String, Default: b}
  C: {Type: String}
  D: {Type: Number}
Resources:
  Q: {Type: AWS::SQS::Queue}
`;
    let err: unknown;
    try {
      parseSamTemplate(text, { file: 't.yml' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SamTemplateError);
    expect((err as SamTemplateError).message).toMatch(/^t\.yml: A\.Default: no value: the parameter has no Default and no override was given \(nor have C and D\); give values with esb deploy --guided/);
    expect(() => parseSamTemplate(text, { file: 't.yml', parameterOverrides: { A: 'a', C: 'c', D: '0x' } })).toThrow('D.Type: value "0x" is not a number');
    expect(parseSamTemplate(text, { file: 't.yml', parameterOverrides: { A: 'a', C: 'c', D: '4' } }).warnings).toEqual([]);
  });
});
