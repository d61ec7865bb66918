// "Try it" shows the exact event a function received and what it answered. The console sends
// the request to the gateway over real HTTP with a trace id of its own; this wrapper around
// the gateway's invoker keeps the payload and result of invocations carrying a registered trace
// id. Other invocations pay one Map size check (docs/console.md).

export interface InvokeResultLike {
  requestId: string;
  durationMs: number;
  payload: Buffer;
  error?: { kind: string; message: string };
}

export interface InvokerLike<R extends InvokeResultLike = InvokeResultLike, C extends { traceId?: string } = { traceId?: string }> {
  invoke(functionName: string, payload: Buffer, context?: C): Promise<R>;
  invokeAsync?(functionName: string, payload: Buffer, context?: C): void;
  has(functionName: string): boolean;
  answerDurableApi?(call: { action: string; input: unknown; traceHeader?: string }): Promise<{ status: number; body: Record<string, unknown> }>;
}

export interface CapturedInvocation {
  function: string;
  event: Buffer;
  result?: InvokeResultLike;
}

export class InvocationCapture {
  private readonly pending = new Map<string, CapturedInvocation[]>();

  /** Starts keeping the invocations made with this trace id; `stop` returns them. */
  start(traceId: string): { stop(): CapturedInvocation[] } {
    const list: CapturedInvocation[] = [];
    this.pending.set(traceId, list);
    return {
      stop: () => {
        this.pending.delete(traceId);
        return list;
      },
    };
  }

  wrap<R extends InvokeResultLike, C extends { traceId?: string }>(invoker: InvokerLike<R, C>): InvokerLike<R, C> {
    const pending = this.pending;
    return {
      has: (name) => invoker.has(name),
      ...(invoker.invokeAsync ? { invokeAsync: (name: string, payload: Buffer, context?: C) => invoker.invokeAsync!(name, payload, context) } : {}),
      ...(invoker.answerDurableApi ? { answerDurableApi: (call) => invoker.answerDurableApi!(call) } : {}),
      invoke(name, payload, context) {
        if (pending.size === 0 || context?.traceId === undefined) return invoker.invoke(name, payload, context);
        const list = pending.get(context.traceId);
        if (!list) return invoker.invoke(name, payload, context);
        const entry: CapturedInvocation = { function: name, event: payload };
        list.push(entry);
        return invoker.invoke(name, payload, context).then((result) => {
          entry.result = result;
          return result;
        });
      },
    };
  }
}
