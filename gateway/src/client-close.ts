// Cancels an invocation that still waits for an instance when its client hangs up (or an
// integration timeout passes). The AbortController and the 'close' listener exist only once
// someone reads `signal` — the agent does when the request must wait — so a warm invoke, the
// common case, pays for neither.
import type { ServerResponse } from 'node:http';

export class InvocationCancel {
  private ac?: AbortController;
  /** Why the signal was aborted, when it was. */
  reason?: 'gone' | 'timeout';
  private readonly onClose = () => {
    if (!this.res.writableFinished) this.abort('gone', new Error('the client closed the connection'));
  };

  constructor(private readonly res: ServerResponse) {}

  get signal(): AbortSignal {
    if (!this.ac) {
      this.ac = new AbortController();
      if (this.res.destroyed) this.onClose();
      else this.res.once('close', this.onClose);
    }
    return this.ac.signal;
  }

  /** Aborts the signal if anyone holds it; the first reason sticks. */
  abort(reason: 'gone' | 'timeout', err: Error): void {
    if (!this.ac) return;
    this.reason ??= reason;
    this.ac.abort(err);
  }

  get aborted(): boolean {
    return this.ac?.signal.aborted ?? false;
  }

  dispose(): void {
    if (this.ac) this.res.off('close', this.onClose);
  }
}
