// What every scenario file starts with: the stack from the global setup, or a loud skip.
import { describe, inject } from 'vitest';
import type { StackInfo } from './stack.js';

/** describe() over the live stack; skipped (the global setup has said why, loudly) without one. */
export function describeStack(name: string, body: (stack: () => StackInfo) => void): void {
  const stack = inject('stack');
  describe.skipIf(!stack)(name, () => body(() => stack!));
}
