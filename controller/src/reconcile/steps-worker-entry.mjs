// The deploy worker's entry when esb runs from its TypeScript sources: the thread registers
// tsx's loader itself (a loader registered by the parent does not reach worker threads).
import { register } from 'tsx/esm/api';

register();
await import('./steps-worker.ts');
