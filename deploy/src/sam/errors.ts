// Named errors for bad SAM templates: each names the file, the resource (logical id) and the
// field, so a user can go straight to the line that needs fixing.
import type { Reason } from '@esb/contracts';

export class SamTemplateError extends Error {
  constructor(
    readonly file: string,
    readonly logicalId: string | undefined,
    readonly field: string | undefined,
    readonly reason: string,
    options?: { cause?: unknown; conditionReason?: Reason | null },
  ) {
    const where = [logicalId, field].filter((s) => s !== undefined && s !== '').join('.');
    super(`${file}: ${where ? `${where}: ` : ''}${reason}`, options);
    this.name = 'SamTemplateError';
    // null: not the template's fault (EMFILE, EACCES), so the step's retried failure applies.
    this.conditionReason = options?.conditionReason === null ? undefined : (options?.conditionReason ?? 'InvalidTemplate');
  }

  /** The reason of the Deployment condition this error fails (docs/kube.md "Reasons"). */
  readonly conditionReason: Reason | undefined;
}
