// Named errors for bad SAM templates: each names the file, the resource (logical id) and the
// field, so a user can go straight to the line that needs fixing.

export class SamTemplateError extends Error {
  constructor(
    readonly file: string,
    readonly logicalId: string | undefined,
    readonly field: string | undefined,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    const where = [logicalId, field].filter((s) => s !== undefined && s !== '').join('.');
    super(`${file}: ${where ? `${where}: ` : ''}${reason}`, options);
    this.name = 'SamTemplateError';
  }
}
