// CloudWatch Logs filter patterns (docs/agent.md "Log subscriptions"): terms, phrases, any-of and
// none-of terms, JSON conditions, and the errors that name what is wrong.
import { describe, expect, it } from 'vitest';
import { compileLogFilter, LogFilterError } from './log-filter.js';

const lines = ['INFO order 7 placed', 'ERROR order 8 failed: timeout', 'WARN slow order 9', '{"level":"ERROR","ms":1200,"user":{"id":"u-1"},"ok":false}', '2026-12-06T10:00:00Z {"level":"INFO","ms":20,"ok":true,"tag":null}'];
const matching = (pattern: string) => lines.filter(compileLogFilter(pattern));

describe('log filter patterns', () => {
  it('"" takes every line; terms must all appear, case-sensitive; a phrase is quoted; -term excludes; ?terms take any of', () => {
    expect(matching('')).toEqual(lines);
    expect(matching('ERROR')).toEqual([lines[1], lines[3]]);
    expect(matching('error')).toEqual([]);
    expect(matching('order ERROR')).toEqual([lines[1]]);
    expect(matching('"order 9"')).toEqual([lines[2]]);
    expect(matching('order -INFO')).toEqual([lines[1], lines[2]]);
    expect(matching('?WARN ?timeout')).toEqual([lines[1], lines[2]]);
  });

  it('JSON conditions on the line (or the JSON after its prefix): text with wildcards, numbers, booleans, null, absence, && || and parentheses', () => {
    expect(matching('{ $.level = "ERROR" }')).toEqual([lines[3]]);
    expect(matching('{ $.level = "ERR*" }')).toEqual([lines[3]]);
    expect(matching('{ $.level != "ERROR" }')).toEqual([lines[4]]);
    expect(matching('{ $.ms > 1000 }')).toEqual([lines[3]]);
    expect(matching('{ $.ms <= 20 }')).toEqual([lines[4]]);
    expect(matching('{ $.user.id = "u-1" && $.ok IS FALSE }')).toEqual([lines[3]]);
    expect(matching('{ ($.ms < 10 || $.ok IS TRUE) && $.tag IS NULL }')).toEqual([lines[4]]);
    expect(matching('{ $.user NOT EXISTS }')).toEqual([lines[4]]);
  });

  it('refuses what it cannot read, saying why', () => {
    const error = (p: string) => {
      try {
        compileLogFilter(p);
      } catch (err) {
        expect(err).toBeInstanceOf(LogFilterError);
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(error('[ip, user, status=500]')).toMatch(/space-delimited patterns/);
    expect(error('?ERROR WARN')).toBe('"?" terms (any of) cannot be mixed with other terms');
    expect(error('{ $.level == "x" }')).toMatch(/^unexpected "\\"x\\"" in/);
    expect(error('{ $.ms > "x" }')).toBe('> compares numbers, not text');
    expect(error('{ level = 1 }')).toMatch(/expected a selector/);
  });
});
