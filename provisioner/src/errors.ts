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

/** The operation was aborted through the AbortSignal. */
export class ProvisionAbortedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('provisioning aborted', options);
    this.name = 'ProvisionAbortedError';
  }
}
