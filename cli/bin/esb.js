#!/usr/bin/env node
// The `esb` command. Sources are TypeScript run through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

register();
// The AWS SDK warns on every client about Node 20's end of support in 2027; esb targets Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
