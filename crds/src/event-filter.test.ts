import { describe, expect, it } from 'vitest';
import { FilterPatternError, matchesPattern, parsePattern } from './event-filter.js';

const record = {
  eventName: 'INSERT',
  dynamodb: { Keys: { id: { S: 'order-7' } }, NewImage: { id: { S: 'order-7' }, kind: { S: 'Event' }, qty: { N: '12' }, tags: { L: [{ S: 'a' }] } } },
};
const matches = (pattern: string) => matchesPattern(parsePattern(pattern), record);

describe('Lambda event filter patterns', () => {
  it('matches values, nested keys and lists of accepted values', () => {
    expect(matches('{"eventName": ["INSERT", "MODIFY"]}')).toBe(true);
    expect(matches('{"eventName": ["REMOVE"]}')).toBe(false);
    expect(matches('{"dynamodb": {"NewImage": {"kind": {"S": ["Event"]}}}}')).toBe(true);
    expect(matches('{"dynamodb": {"NewImage": {"kind": {"S": ["Other"]}}}}')).toBe(false);
    // Every key of a pattern must match.
    expect(matches('{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["Other"]}}}}')).toBe(false);
  });

  it('applies prefix, suffix, anything-but, numeric (on DynamoDB number strings), exists, equals-ignore-case and wildcard', () => {
    expect(matches('{"dynamodb": {"Keys": {"id": {"S": [{"prefix": "order-"}]}}}}')).toBe(true);
    expect(matches('{"dynamodb": {"Keys": {"id": {"S": [{"suffix": "-8"}]}}}}')).toBe(false);
    expect(matches('{"eventName": [{"anything-but": ["REMOVE"]}]}')).toBe(true);
    expect(matches('{"eventName": [{"anything-but": {"prefix": "INS"}}]}')).toBe(false);
    expect(matches('{"dynamodb": {"NewImage": {"qty": {"N": [{"numeric": [">", 10, "<=", 12]}]}}}}')).toBe(true);
    expect(matches('{"dynamodb": {"NewImage": {"qty": {"N": [{"numeric": [">", 12]}]}}}}')).toBe(false);
    expect(matches('{"dynamodb": {"OldImage": [{"exists": false}]}}')).toBe(true);
    expect(matches('{"dynamodb": {"NewImage": [{"exists": true}]}}')).toBe(true);
    expect(matches('{"eventName": [{"equals-ignore-case": "insert"}]}')).toBe(true);
    expect(matches('{"dynamodb": {"Keys": {"id": {"S": [{"wildcard": "order-*"}]}}}}')).toBe(true);
  });

  it('takes any one of the patterns of an $or, at the top or nested, next to the other keys', () => {
    expect(matches('{"$or": [{"eventName": ["REMOVE"]}, {"dynamodb": {"Keys": {"id": {"S": ["order-7"]}}}}]}')).toBe(true);
    expect(matches('{"$or": [{"eventName": ["REMOVE"]}, {"eventName": ["MODIFY"]}]}')).toBe(false);
    expect(matches('{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"$or": [{"kind": {"S": ["Other"]}}, {"qty": {"N": [{"numeric": [">", 10]}]}}]}}}')).toBe(true);
    expect(matches('{"eventName": ["REMOVE"], "$or": [{"eventName": ["INSERT"]}, {"eventName": ["MODIFY"]}]}')).toBe(false);
    expect(() => parsePattern('{"$or": [{"a": ["x"]}]}')).toThrow('$or: must be a list of two or more patterns');
    expect(() => parsePattern('{"$or": [{"a": ["x"]}, {"b": "y"}]}')).toThrow('$or[1].b: must be a list of values');
  });

  it('refuses patterns that are not JSON objects or use unknown matchers, naming where', () => {
    expect(() => parsePattern('{"eventName": ')).toThrow(FilterPatternError);
    expect(() => parsePattern('["INSERT"]')).toThrow('must be a JSON object');
    expect(() => parsePattern('{"eventName": "INSERT"}')).toThrow('eventName: must be a list of values or a nested pattern');
    expect(() => parsePattern('{"dynamodb": {"x": [{"regex": "a"}]}}')).toThrow('dynamodb.x: unknown matcher');
    expect(() => parsePattern('{"n": [{"numeric": [">"]}]}')).toThrow('n: numeric wants');
    expect(() => parsePattern('{"ip": [{"cidr": "10.0.0.0"}]}')).toThrow('ip: cidr wants an IPv4 or IPv6 block');
    expect(() => parsePattern('{"ip": [{"cidr": "10.0.0.0/33"}]}')).toThrow('ip: cidr wants');
  });

  it('matches IPv4 and IPv6 addresses inside a cidr block (an SQS body\'s sourceIPAddress)', () => {
    const pattern = parsePattern('{"body": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}, {"cidr": "2001:db8::/32"}]}}');
    const seen = (ip: unknown) => matchesPattern(pattern, { body: { sourceIPAddress: ip } });
    expect(seen('10.0.0.7')).toBe(true);
    expect(seen('10.0.1.7')).toBe(false);
    expect(seen('2001:db8::1')).toBe(true);
    expect(seen('2001:db9::1')).toBe(false);
    expect(seen('not an address')).toBe(false);
    expect(seen(10)).toBe(false);
  });
});
