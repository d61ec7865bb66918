// Named errors of `esb artifact apply`. Each names the file and, where there is one, the
// field. Schema violations are ContractError (crds/src/validate.ts); YAML syntax errors
// YamlSyntaxError; the lock timeout ApplyLockTimeoutError (lock.ts). `conditionReason` is the
// Deployment reason each one fails with (docs/kube.md "Reasons").
import type { Reason } from '@esb/contracts';
import type { StackExport } from '../sam/model.js';

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

  readonly conditionReason: Reason = 'InvalidArtifact';
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

  readonly conditionReason: Reason = 'InvalidArtifact';
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

  readonly conditionReason: Reason = 'InvalidConfigDir';
}

/**
 * A stack exports a name another stack of the CONFIG_DIR already exports: refused, as
 * CloudFormation refuses a second export of one name in an account and region (docs/generate.md
 * "Outputs and exports"). The stack that has it keeps it.
 */
export class ExportConflictError extends Error {
  constructor(
    readonly stackName: string,
    readonly output: string,
    readonly exportName: string,
    readonly other: StackExport & { deployment?: string },
  ) {
    super(
      `stack ${stackName} exports "${exportName}" (output ${output}), which stack ${other.stack} already exports (output ${other.output}${other.deployment ? `, deployment ${other.deployment}` : ''}); an export name belongs to one stack of an env, as in CloudFormation: give one of them another Export Name (e.g. !Sub "\${AWS::StackName}-${output}")`,
    );
    this.name = 'ExportConflictError';
  }

  readonly conditionReason: Reason = 'Conflict';
}
