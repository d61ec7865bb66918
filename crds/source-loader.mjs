// Loads esb from its TypeScript sources in this thread: tsx's loader, plus the `esb-source`
// export condition so that `@esb/*` imports resolve to src/*.ts instead of the compiled dist/.
// Imported by the bin when the build is missing or stale, and by every worker-thread entry shim
// (`*-worker-entry.mjs`): a loader registered in one thread does not reach the others on Node 20.
// See docs/design.md "Build".
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
// Registered last, so it runs first: every resolution below it sees the condition.
register(new URL('./source-condition.mjs', import.meta.url));
