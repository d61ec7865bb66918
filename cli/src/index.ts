// The `esb` command line and the `esb dev` wiring: the top of the layering (see docs/design.md).
export { main, usage, type Command } from './main.js';
export { startDev, EXAMPLES_DIR, type RunningDev } from './dev.js';
