// Test helpers of the gateway (not part of the runtime API).
export * from './testing/config.js';
export * from './testing/fake-invoker.js';
export * from './testing/log.js';
