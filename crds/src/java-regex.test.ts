import { describe, expect, it } from 'vitest';
import { javaRegexAsJs } from './java-regex.js';

describe('javaRegexAsJs', () => {
  it("writes java.util.regex's own constructs as JavaScript's, inside classes and out, and leaves the rest as written", () => {
    expect(javaRegexAsJs('^(?=(.*\\p{Print}){4,})(?!.*[ ,:=])[\\p{Print}]{12,}$')).toBe('^(?=(.*[ -~]){4,})(?!.*[ ,:=])[ -~]{12,}$');
    expect(javaRegexAsJs('\\A\\P{Digit}++x{2}+(?>a|b)*+\\z')).toBe('^[^0-9]+x{2}(?:a|b)*$');
    expect(javaRegexAsJs('a*?b+?c??')).toBe('a*?b+?c??');
    expect(javaRegexAsJs('[\\p{Punct}&&x]\\++a\\]')).toBe('[!-\\/:-@\\[-`{-~&&x]\\++a\\]');
    expect(javaRegexAsJs('[]a]')).toBe('[\\]a]');
    // JavaScript patterns pass unchanged.
    for (const js of ['^[a-zA-Z][-a-zA-Z0-9]*$', '(\\d{1,3})\\.(\\d{1,3})', 'arn:aws:iam::\\d{12}:role/.+', '\\p{L}+']) expect(javaRegexAsJs(js)).toBe(js);
  });
});
