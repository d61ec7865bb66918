// Identity sources as API Gateway names them (REST `method.request.header.X`, HTTP API
// `$request.header.X`, query strings, stage variables, context). Pure.

export interface IdentityInput {
  /** Header names lower-cased; repeated headers joined with ",". */
  headers: Record<string, string>;
  query: Record<string, string[]>;
  stageVariables: Record<string, string>;
  context: Record<string, unknown>;
}

const PATTERNS: Array<[RegExp, (input: IdentityInput, name: string) => string | undefined]> = [
  [/^(?:method\.request|\$request|route\.request)\.header\.(.+)$/i, (i, n) => i.headers[n.toLowerCase()]],
  [/^(?:method\.request|\$request|route\.request)\.querystring\.(.+)$/i, (i, n) => i.query[n]?.join(',')],
  [/^\$?stageVariables\.(.+)$/, (i, n) => i.stageVariables[n]],
  [/^\$?context\.(.+)$/, (i, n) => {
    let value: unknown = i.context;
    for (const part of n.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    return value === undefined || value === null ? undefined : String(value);
  }],
];

export class IdentitySourceError extends Error {
  constructor(readonly source: string) {
    super(`identity source "${source}" is not a header, query string, stage variable or context value`);
    this.name = 'IdentitySourceError';
  }
}

/** The value of one identity source, or undefined when the request lacks it (or it is empty). */
export function identityValue(source: string, input: IdentityInput): string | undefined {
  for (const [pattern, read] of PATTERNS) {
    const match = pattern.exec(source.trim());
    if (match) {
      const value = read(input, match[1]);
      return value === undefined || value === '' ? undefined : value;
    }
  }
  throw new IdentitySourceError(source);
}

/**
 * All identity values, or undefined when any is missing (API Gateway then answers 401 without
 * calling the authorizer).
 */
export function identityValues(sources: string[], input: IdentityInput): string[] | undefined {
  const values: string[] = [];
  for (const source of sources) {
    const value = identityValue(source, input);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return values;
}
