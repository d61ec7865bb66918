import { describe, expect, it } from 'vitest';
import { compareTimestamps, parseTimestamp, ruleMatches, wildcardMatches, type ChoiceRule } from './choice.js';
import { StatesError } from './errors.js';

const input = {
  type: 'Private',
  other: 'Public',
  value: 20,
  limit: 30,
  flag: true,
  yes: true,
  when: '2026-03-14T01:59:00Z',
  later: '2026-03-14T02:59:00+01:00',
  precise: '2026-03-14T01:59:00.000000001Z',
  nothing: null,
  file: 'log-2026.txt',
  star: 'a*b',
};
const data = { input, context: {}, variable: (name: string) => (name === 'threshold' ? { found: true, value: 25 } : { found: false }) };
const matches = (rule: ChoiceRule) => ruleMatches(rule, data);

describe('choice rules', () => {
  it('compares strings, literally and against another path', () => {
    expect(matches({ Variable: '$.type', StringEquals: 'Private' })).toBe(true);
    expect(matches({ Variable: '$.type', StringEquals: 'private' })).toBe(false);
    expect(matches({ Variable: '$.type', StringLessThan: 'Public' })).toBe(true);
    expect(matches({ Variable: '$.type', StringGreaterThan: 'Public' })).toBe(false);
    expect(matches({ Variable: '$.type', StringLessThanEquals: 'Private' })).toBe(true);
    expect(matches({ Variable: '$.type', StringGreaterThanEquals: 'Privatf' })).toBe(false);
    expect(matches({ Variable: '$.type', StringEqualsPath: '$.other' })).toBe(false);
    expect(matches({ Variable: '$.type', StringLessThanPath: '$.other' })).toBe(true);
    expect(matches({ Variable: '$.other', StringGreaterThanPath: '$.type' })).toBe(true);
    expect(matches({ Variable: '$.type', StringLessThanEqualsPath: '$.type' })).toBe(true);
    expect(matches({ Variable: '$.type', StringGreaterThanEqualsPath: '$.other' })).toBe(false);
    // A value that is not a string makes a string comparison false, not an error.
    expect(matches({ Variable: '$.value', StringEquals: '20' })).toBe(false);
  });

  it('matches strings with * wildcards and \\* escapes', () => {
    expect(matches({ Variable: '$.file', StringMatches: 'log-*.txt' })).toBe(true);
    expect(matches({ Variable: '$.file', StringMatches: '*.csv' })).toBe(false);
    expect(matches({ Variable: '$.star', StringMatches: 'a\\*b' })).toBe(true);
    expect(wildcardMatches('a\\*b', 'axxb')).toBe(false);
    expect(wildcardMatches('*', '')).toBe(true);
    expect(wildcardMatches('a**c', 'abbbc')).toBe(true);
    expect(wildcardMatches('a.c', 'abc')).toBe(false);
    expect(wildcardMatches('back\\\\slash', 'back\\slash')).toBe(true);
    expect(wildcardMatches(`${'*a'.repeat(30)}b`, 'a'.repeat(40))).toBe(false);
  });

  it('compares numbers, literally and against another path or a variable', () => {
    expect(matches({ Variable: '$.value', NumericEquals: 20 })).toBe(true);
    expect(matches({ Variable: '$.value', NumericEquals: 20.0 })).toBe(true);
    expect(matches({ Variable: '$.value', NumericLessThan: 20 })).toBe(false);
    expect(matches({ Variable: '$.value', NumericGreaterThan: 19.5 })).toBe(true);
    expect(matches({ Variable: '$.value', NumericLessThanEquals: 20 })).toBe(true);
    expect(matches({ Variable: '$.value', NumericGreaterThanEquals: 21 })).toBe(false);
    expect(matches({ Variable: '$.value', NumericEqualsPath: '$.limit' })).toBe(false);
    expect(matches({ Variable: '$.value', NumericLessThanPath: '$.limit' })).toBe(true);
    expect(matches({ Variable: '$.value', NumericGreaterThanPath: '$threshold' })).toBe(false);
    expect(matches({ Variable: '$.value', NumericLessThanEqualsPath: '$threshold' })).toBe(true);
    expect(matches({ Variable: '$.limit', NumericGreaterThanEqualsPath: '$.value' })).toBe(true);
    expect(matches({ Variable: '$.type', NumericEquals: 20 })).toBe(false);
  });

  it('compares booleans', () => {
    expect(matches({ Variable: '$.flag', BooleanEquals: true })).toBe(true);
    expect(matches({ Variable: '$.flag', BooleanEquals: false })).toBe(false);
    expect(matches({ Variable: '$.flag', BooleanEqualsPath: '$.yes' })).toBe(true);
    expect(matches({ Variable: '$.type', BooleanEquals: true })).toBe(false);
  });

  it('compares timestamps as instants, offsets and fractions included', () => {
    expect(matches({ Variable: '$.when', TimestampEquals: '2026-03-14T01:59:00Z' })).toBe(true);
    expect(matches({ Variable: '$.later', TimestampEquals: '2026-03-14T01:59:00Z' })).toBe(true);
    expect(matches({ Variable: '$.when', TimestampLessThan: '2026-03-14T02:00:00Z' })).toBe(true);
    expect(matches({ Variable: '$.when', TimestampGreaterThan: '2026-03-14T02:00:00Z' })).toBe(false);
    expect(matches({ Variable: '$.when', TimestampLessThanEquals: '2026-03-14T01:59:00Z' })).toBe(true);
    expect(matches({ Variable: '$.when', TimestampGreaterThanEquals: '2026-03-14T01:59:01Z' })).toBe(false);
    expect(matches({ Variable: '$.when', TimestampEqualsPath: '$.later' })).toBe(true);
    expect(matches({ Variable: '$.when', TimestampLessThanPath: '$.precise' })).toBe(true);
    expect(matches({ Variable: '$.precise', TimestampGreaterThanPath: '$.when' })).toBe(true);
    expect(matches({ Variable: '$.when', TimestampLessThanEqualsPath: '$.later' })).toBe(true);
    expect(matches({ Variable: '$.when', TimestampGreaterThanEqualsPath: '$.precise' })).toBe(false);
    // Not a timestamp (lowercase t, a date alone): false.
    expect(matches({ Variable: '$.type', TimestampEquals: '2026-03-14T01:59:00Z' })).toBe(false);
  });

  it('parses RFC 3339 timestamps as Step Functions takes them', () => {
    expect(parseTimestamp('2016-03-14T01:59:00Z')).toEqual({ seconds: Date.UTC(2016, 2, 14, 1, 59) / 1000, nanos: 0 });
    expect(parseTimestamp('2016-03-14t01:59:00Z')).toBeUndefined();
    expect(parseTimestamp('2016-03-14T01:59:00z')).toBeUndefined();
    expect(parseTimestamp('2016-03-14')).toBeUndefined();
    expect(parseTimestamp('2016-02-30T00:00:00Z')).toBeUndefined();
    expect(parseTimestamp('2016-02-29T00:00:00Z')).toBeDefined();
    expect(parseTimestamp('0050-01-01T00:00:00Z')!.seconds).toBe(Date.parse('0050-01-01T00:00:00Z') / 1000);
    expect(compareTimestamps(parseTimestamp('2016-03-14T01:59:00.1Z')!, parseTimestamp('2016-03-14T01:59:00.09Z')!)).toBe(1);
  });

  it('tests types and presence', () => {
    expect(matches({ Variable: '$.nothing', IsNull: true })).toBe(true);
    expect(matches({ Variable: '$.type', IsNull: false })).toBe(true);
    expect(matches({ Variable: '$.missing', IsPresent: false })).toBe(true);
    expect(matches({ Variable: '$.nothing', IsPresent: true })).toBe(true);
    expect(matches({ Variable: '$.value', IsNumeric: true })).toBe(true);
    expect(matches({ Variable: '$.type', IsNumeric: true })).toBe(false);
    expect(matches({ Variable: '$.type', IsString: true })).toBe(true);
    expect(matches({ Variable: '$.flag', IsBoolean: true })).toBe(true);
    expect(matches({ Variable: '$.value', IsBoolean: false })).toBe(true);
    expect(matches({ Variable: '$.when', IsTimestamp: true })).toBe(true);
    expect(matches({ Variable: '$.type', IsTimestamp: true })).toBe(false);
  });

  it('combines rules with And, Or and Not', () => {
    expect(matches({ And: [{ Variable: '$.value', NumericGreaterThanEquals: 20 }, { Variable: '$.value', NumericLessThan: 30 }] })).toBe(true);
    expect(matches({ And: [{ Variable: '$.value', NumericGreaterThanEquals: 20 }, { Variable: '$.type', StringEquals: 'Public' }] })).toBe(false);
    expect(matches({ Or: [{ Variable: '$.type', StringEquals: 'Public' }, { Variable: '$.flag', BooleanEquals: true }] })).toBe(true);
    expect(matches({ Not: { Variable: '$.type', StringEquals: 'Private' } })).toBe(false);
    expect(matches({ Not: { Or: [{ Variable: '$.missing', IsPresent: true }, { Variable: '$.value', NumericEquals: 1 }] } })).toBe(true);
  });

  it('fails with States.Runtime when Variable, or a path operand, names nothing', () => {
    const error = (rule: ChoiceRule) => {
      try {
        matches(rule);
      } catch (err) {
        return err instanceof StatesError ? `${err.error}: ${err.cause}` : String(err);
      }
      return 'matched without error';
    };
    expect(error({ Variable: '$.missing', StringEquals: 'x' })).toBe("States.Runtime: Invalid path '$.missing': The choice state's condition path references an invalid value.");
    expect(error({ Variable: '$.missing', IsNull: true })).toMatch(/^States.Runtime/);
    expect(error({ Variable: '$.value', NumericEqualsPath: '$.missing' })).toMatch(/^States.Runtime: Invalid path '\$.missing'/);
  });
});
