// Test helpers of the controller (not part of the runtime API).
export * from './testing/e2e.js';
export * from './kube/testing/apiserver.js';
