import { describe, expect, it } from 'vitest';
import { workerEntryUrl } from './worker-entry.js';

describe('workerEntryUrl', () => {
  it('runs the compiled module next to a compiled caller', () => {
    expect(workerEntryUrl('file:///app/controller/dist/reconcile/worker-steps.js', 'steps-worker').href).toBe('file:///app/controller/dist/reconcile/steps-worker.js');
  });

  it('runs the entry shim next to a TypeScript caller', () => {
    expect(workerEntryUrl('file:///app/controller/src/reconcile/worker-steps.ts', 'steps-worker').href).toBe('file:///app/controller/src/reconcile/steps-worker-entry.mjs');
  });

  it('ignores a query string on the caller URL (tools append one)', () => {
    expect(workerEntryUrl('file:///app/gateway/src/config-parse.ts?v=1', 'config-parse-worker').href).toBe('file:///app/gateway/src/config-parse-worker-entry.mjs');
  });
});
