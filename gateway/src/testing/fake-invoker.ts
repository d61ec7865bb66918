// An in-process Invoker running small JS handlers: tests and benchmarks use it in place of the
// agent (same interface). Not for production.
import { randomUUID } from 'node:crypto';
import type { InvokeContext, InvokeErrorKind, InvokeResult, Invoker } from '@esb/contracts';

export type FakeHandler = (event: any, context: InvokeContext & { functionName: string }) => unknown;

/** Thrown by a fake handler to make the invocation end with a given error kind. */
export class FakeInvokeError extends Error {
  constructor(
    readonly kind: InvokeErrorKind,
    message: string = kind,
  ) {
    super(message);
    this.name = 'FakeInvokeError';
  }
}

/** Returned by a fake handler to post these exact bytes as the response. */
export class RawPayload {
  constructor(readonly bytes: Buffer | string) {}
}

export class FakeInvoker implements Invoker {
  readonly calls: Array<{ name: string; event: any; context: InvokeContext }> = [];
  record = true;
  constructor(public handlers: Record<string, FakeHandler> = {}) {}

  has(name: string): boolean {
    return Object.hasOwn(this.handlers, name);
  }

  async invoke(name: string, payload: Buffer, context: InvokeContext = {}): Promise<InvokeResult> {
    const requestId = context.requestId ?? randomUUID();
    const t0 = performance.now();
    const handler = this.handlers[name];
    const done = (p: Buffer, error?: InvokeResult['error']): InvokeResult => ({ requestId, durationMs: performance.now() - t0, payload: p, ...(error ? { error } : {}) });
    if (!handler) return done(Buffer.alloc(0), { kind: 'UnknownFunction', message: `Function not found: ${name}` });
    const event = JSON.parse(payload.toString('utf8'));
    if (this.record) this.calls.push({ name, event, context });
    try {
      const value = await handler(event, { ...context, functionName: name });
      if (value instanceof RawPayload) return done(Buffer.isBuffer(value.bytes) ? value.bytes : Buffer.from(value.bytes));
      return done(Buffer.from(value === undefined ? 'null' : JSON.stringify(value)));
    } catch (err) {
      const e = err as Error;
      const doc = Buffer.from(JSON.stringify({ errorType: e.name, errorMessage: e.message, stackTrace: [] }));
      if (err instanceof FakeInvokeError) return done(doc, { kind: err.kind, message: err.message });
      return done(doc, { kind: 'FunctionError', message: e.message });
    }
  }
}
