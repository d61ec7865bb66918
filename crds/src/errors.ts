// The errors of bad input: each names the file, the field path and the reason.

export interface ContractIssue {
  path: string;
  message: string;
}

export class ContractError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ContractIssue[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, options);
    this.name = 'ContractError';
  }
}

export class YamlSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = 'YamlSyntaxError';
  }
}

/** Formats a zod path the way users write it: `functions.Hello.timeout`, `routes[2].method`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
