export * from './contracts.js';
export * from './validate.js';
