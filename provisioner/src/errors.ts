/** A resource could not be provisioned: names the resource and the endpoint it was sent to. */
export class ProvisionError extends Error {
  constructor(
    readonly resource: string,
    readonly endpoint: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${resource} at ${endpoint}: ${reason}`, options);
    this.name = 'ProvisionError';
  }
}

/** A custom resource's function answered FAILED or did not answer as CloudFormation wants: retrying the same code cannot help. */
export class CustomResourceError extends ProvisionError {
  readonly conditionReason = 'CustomResourceFailed';
  constructor(resource: string, endpoint: string, reason: string, options?: { cause?: unknown }) {
    super(resource, endpoint, reason, options);
    this.name = 'CustomResourceError';
  }
}

/** The operation was aborted through the AbortSignal. */
export class ProvisionAbortedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('provisioning aborted', options);
    this.name = 'ProvisionAbortedError';
  }
}

/** An SDK or network error as one line: its name, code, HTTP status and message. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { code?: string; errors?: unknown[]; $metadata?: { httpStatusCode?: number } };
  const nested = Array.isArray(e.errors) && e.errors[0] instanceof Error ? (e.errors[0] as Error).message : '';
  const message = e.message || nested || e.code || '';
  const status = e.$metadata?.httpStatusCode;
  return [e.name && e.name !== 'Error' ? e.name : '', e.code && !message.includes(e.code) ? e.code : '', status ? `HTTP ${status}` : '', message]
    .filter(Boolean)
    .join(': ');
}
