import { describe, expect, it } from 'vitest';
import { parseRuntimeYaml } from './files/runtime-yaml.js';
import { parseRuntimeText } from './files/codec.js';
import { CONFIG_LIMITS, InputLimitError, checkSize, checkTree, loadYamlWithLimits, type InputLimits } from './limits.js';
import { ContractError, parseYaml } from './validate.js';

// The 818-byte alias bomb: 10 levels of 10 references, 10^10 values once expanded.
export const aliasBomb = (levels = 10) =>
  ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...Array.from({ length: levels - 1 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`)].join('\n');

const small: InputLimits = { maxBytes: 1000, maxDepth: 4, maxNodes: 50, maxAliasNodes: 10 };

describe('input limits', () => {
  it('counts values with shared references expanded, and names where the limit was crossed', () => {
    const shared = [1, 2, 3, 4, 5];
    expect(() => checkTree({ a: shared, b: shared, c: shared }, 'f.yml', small)).not.toThrow();
    const err = (() => {
      try {
        checkTree({ a: shared, b: shared, c: shared, d: shared }, 'f.yml', small);
      } catch (e) {
        return e as InputLimitError;
      }
    })();
    expect(err).toBeInstanceOf(InputLimitError);
    expect(err).toBeInstanceOf(ContractError);
    expect(err?.message).toBe('f.yml: d[4]: YAML aliases expand to more than 10 values (an alias bomb?); write the values out or use fewer aliases');
  });

  it('stops at the depth limit, cycles included', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(() => checkTree({ x: cycle }, 'c.yml', small)).toThrow(/c\.yml: x\[0\]\[0\]\[0\]: nested more than 4 levels deep/);
    expect(() => checkTree({ a: { b: { c: 1 } } }, 'c.yml', small)).not.toThrow();
  });

  it('refuses text over the size limit before parsing it', () => {
    expect(() => checkSize('x'.repeat(1001), 'big.yml', small)).toThrow('big.yml: the file is 1,001 bytes, more than the limit of 1,000');
    expect(() => checkSize(999, 'ok.yml', small)).not.toThrow();
  });

  it.each([
    ['parseYaml (the yaml package)', (t: string) => parseYaml(t, 'bomb.yml')],
    ['parseRuntimeYaml (CONFIG_DIR files)', (t: string) => parseRuntimeYaml(t, 'bomb.yml')],
    ['parseRuntimeText (the runtime file codecs: gateway, agent, apply)', (t: string) => parseRuntimeText(t, 'bomb.yml')],
    ['loadYamlWithLimits (js-yaml)', (t: string) => loadYamlWithLimits(t, 'bomb.yml', { limits: CONFIG_LIMITS })],
  ])('%s refuses the alias bomb naming the file', (_label, parse) => {
    expect(() => parse(`${aliasBomb()}\nroutes: *a9\n`)).toThrow(/^bomb\.yml: .*YAML aliases expand to more than 100,000 values/);
  });

  it('keeps ordinary anchors and merge keys working', () => {
    expect(parseYaml('base: &b {x: 1}\nuse: *b\n', 'ok.yml')).toEqual({ base: { x: 1 }, use: { x: 1 } });
  });
});
