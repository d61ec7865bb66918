// The Docker end-to-end suite's helpers (compose stack, esb deploy, HTTP polling).
export * from './stack.js';
