// Cancels an invocation that still waits for an instance when its client hangs up (or an
// integration timeout passes). The AbortController and the 'close' listener exist only once
// someone reads `signal` — the agent does when the request must wait — so a warm invoke, the
// common case, pays for neither.
import type { ServerResponse } from 'node:http';
import type { InvokeContext } from '@esb/contracts';

export class InvocationCancel {
  private ac?: AbortController;
  private listeners?: Array<(reason: Error) => void>;
  private watching = false;
  private cancelled?: Error;
  /** Why the invocation was cancelled, when it was. */
  reason?: 'gone' | 'timeout';
  private readonly onClose = () => {
    if (!this.res.writableFinished) this.abort('gone', new Error('the client closed the connection'));
  };

  constructor(private readonly res: ServerResponse) {}

  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    if (this.res.destroyed) this.onClose();
    else this.res.once('close', this.onClose);
  }

  /** An AbortSignal (for fetch and the HTTP agent client); built on first read only. */
  get signal(): AbortSignal {
    if (!this.ac) {
      this.ac = new AbortController();
      if (this.cancelled) this.ac.abort(this.cancelled);
      this.watch();
    }
    return this.ac.signal;
  }

  /** InvokeContext.onCancel: a plain callback, no AbortSignal. */
  readonly onCancel = (listener: (reason: Error) => void): (() => void) => {
    if (this.cancelled) {
      const reason = this.cancelled;
      queueMicrotask(() => listener(reason));
      return () => undefined;
    }
    (this.listeners ??= []).push(listener);
    this.watch();
    return () => {
      const i = this.listeners?.indexOf(listener) ?? -1;
      if (i >= 0) this.listeners!.splice(i, 1);
    };
  };

  /** Cancels if anyone listens (a signal or a callback); the first reason sticks. */
  abort(reason: 'gone' | 'timeout', err: Error): void {
    if (!this.watching || this.cancelled) return;
    this.reason ??= reason;
    this.cancelled = err;
    this.ac?.abort(err);
    for (const l of this.listeners?.splice(0) ?? []) l(err);
  }

  get aborted(): boolean {
    return this.cancelled !== undefined;
  }

  dispose(): void {
    if (this.watching) this.res.off('close', this.onClose);
  }
}

/** What a caller tells the invoker besides the cancel. */
export type InvokeFields = Omit<InvokeContext, 'signal' | 'onCancel'>;

/**
 * An InvokeContext whose `signal` and `onCancel` are the cancel's. The getter sits on the class:
 * an object literal with a getter, built per request, came with minor page faults and cost the
 * gateway about a third of its throughput under load (docs/gateway.md, "Speed").
 */
export class CancellableContext implements InvokeContext {
  readonly requestId?: string;
  readonly traceId?: string;
  readonly clientContext?: string;
  readonly cognitoIdentity?: string;
  readonly logTail?: boolean;
  readonly acceptStream?: boolean;
  readonly durableExecutionName?: string;
  readonly onCancel: (listener: (reason: Error) => void) => () => void;

  constructor(
    fields: InvokeFields,
    private readonly cancel: InvocationCancel,
  ) {
    this.requestId = fields.requestId;
    this.traceId = fields.traceId;
    this.clientContext = fields.clientContext;
    this.cognitoIdentity = fields.cognitoIdentity;
    this.logTail = fields.logTail;
    this.acceptStream = fields.acceptStream;
    this.durableExecutionName = fields.durableExecutionName;
    this.onCancel = cancel.onCancel;
  }

  get signal(): AbortSignal {
    return this.cancel.signal;
  }
}
