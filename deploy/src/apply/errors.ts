// Named errors of `esb artifact apply`. Each names the file and, where there is one, the
// field. Schema violations are ContractError (crds/src/validate.ts); YAML syntax errors
// YamlSyntaxError; the lock timeout ApplyLockTimeoutError (lock.ts).
export class ArtifactError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${reason}`, options);
    this.name = 'ArtifactError';
  }
}

export class DigestMismatchError extends ArtifactError {
  constructor(
    file: string,
    field: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(file, field, `digest mismatch: artifact.yml says ${expected}, the files hash to ${actual} (the artifact changed after it was generated)`);
    this.name = 'DigestMismatchError';
  }
}

/** A `${KEY}` placeholder with no value under --strict. Names keys, never values. */
export class SecretMissingError extends Error {
  constructor(
    readonly file: string,
    readonly missing: { field: string; key: string }[],
  ) {
    super(`${file}: no value for ${missing.map((m) => `\${${m.key}} (${m.field})`).join(', ')}; pass it in --secret-env`);
    this.name = 'SecretMissingError';
  }
}

export class SecretEnvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${reason}`, options);
    this.name = 'SecretEnvError';
  }
}

/** CONFIG_DIR holds a file apply cannot merge into (it is left as it is). */
export class ConfigDirError extends Error {
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
    this.name = 'ConfigDirError';
  }
}
