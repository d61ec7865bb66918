// CloudFormation and SSM check AllowedPattern with java.util.regex; esb reads those patterns with
// JavaScript's RegExp, after writing Java's own constructs as JavaScript's.

/** Java's POSIX classes (US-ASCII, as java.util.regex has them), as the inside of a JavaScript class. */
const JAVA_POSIX_CLASSES: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: ' \\t\\n\\x0B\\f\\r',
};

/**
 * An AllowedPattern as JavaScript reads it: CloudFormation matches with java.util.regex, whose
 * POSIX classes (`\p{Print}`, `\p{Alnum}`, ...), `\A` / `\z` / `\Z`, possessive quantifiers and
 * atomic groups JavaScript lacks; each becomes its JavaScript equivalent (possessive and atomic
 * ones their plain forms, which accept the same whole values for a pattern anchored at both ends).
 */
export function javaRegexAsJs(pattern: string): string {
  let out = '';
  let inClass = false;
  /** The last thing written outside a class was a quantifier: a `+` now makes it possessive. */
  let quantified = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      const next = pattern[i + 1];
      const posix = /^[pP]\{(\w+)\}/.exec(pattern.slice(i + 1));
      quantified = false;
      if (posix && JAVA_POSIX_CLASSES[posix[1]] !== undefined && !(next === 'P' && inClass)) {
        const body = JAVA_POSIX_CLASSES[posix[1]];
        out += inClass ? body : `[${next === 'P' ? '^' : ''}${body}]`;
        i += posix[0].length;
      } else if (!inClass && (next === 'A' || next === 'z' || next === 'Z')) {
        out += next === 'A' ? '^' : '$';
        i++;
      } else {
        out += c + next;
        i++;
      }
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    const bounds = c === '{' ? /^\{\d+(,\d*)?\}/.exec(pattern.slice(i)) : null;
    if (bounds || c === '*' || c === '+' || c === '?') {
      if (quantified && c === '+') {
        quantified = false; // possessive: X*+ is X*
        continue;
      }
      out += bounds ? bounds[0] : c;
      if (bounds) i += bounds[0].length - 1;
      quantified = !quantified || !!bounds; // `X*?` is lazy: the `?` ends the quantifier
      continue;
    }
    quantified = false;
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` or `^]` right after the opening bracket is a literal in both dialects.
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += '\\' + pattern[++i];
    } else if (c === '(' && pattern[i + 1] === '?') {
      // A group's `?` is no quantifier; `(?>` (atomic) is a plain group here.
      const atomic = pattern[i + 2] === '>';
      out += atomic ? '(?:' : '(?';
      i += atomic ? 2 : 1;
    } else out += c;
  }
  return out;
}
