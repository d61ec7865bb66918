// Test helpers of the deploy pipeline (not part of the runtime API).
export * from './apply/testkit.js';
export * from './generate/corpus.js';
