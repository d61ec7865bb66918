// A worker thread's entry when esb runs from its TypeScript sources (worker-entry.ts): the
// thread registers tsx's loader itself, then imports the module named by its first argument.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
