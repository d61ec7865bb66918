// What a Node function of the process runtime can load besides its own code (docs/agent.md, "The
// AWS SDK of Node functions"): the SDK its Lambda runtime provides, and none of esb's other
// packages, so an app that would fail on Lambda for a missing package fails here too.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from './agent.js';
import { codeFolder, processAgent } from './testing/process-agent.js';

// Each package the event names: where it resolves from, or the error code.
const PROBE = `
exports.handler = async (event) => {
  const out = {};
  for (const name of event.packages) {
    try { out[name] = require.resolve(name).includes('node_modules') ? 'found' : 'elsewhere'; } catch (e) { out[name] = e.code; }
  }
  return out;
};
`;
const ESM_PROBE = `
export const handler = async () => {
  const { S3Client } = await import('@aws-sdk/client-s3');
  let yaml;
  try { await import('yaml'); yaml = 'found'; } catch (e) { yaml = e.code; }
  return { s3: typeof S3Client, yaml };
};
`;

describe('packages a Node function finds, process runtime', () => {
  let dir: string;
  let agent: Agent;
  beforeAll(async () => {
    dir = codeFolder('esb-runtime-sdk-', { 'cjs/index.js': PROBE, 'esm/index.mjs': ESM_PROBE });
    agent = await processAgent(dir, {
      node20: { runtime: 'nodejs20.x', handler: 'index.handler', code: path.join(dir, 'cjs') },
      node16: { runtime: 'nodejs16.x', handler: 'index.handler', code: path.join(dir, 'cjs') },
      esm: { runtime: 'nodejs22.x', handler: 'index.handler', code: path.join(dir, 'esm') },
    });
  });
  afterAll(async () => {
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const probe = async (fn: string) => {
    const r = await agent.invoke(fn, Buffer.from(JSON.stringify({ packages: ['@aws-sdk/client-s3', '@aws-sdk/lib-dynamodb', '@smithy/core', 'aws-sdk', 'yaml', 'fastify', 'zod'] })));
    expect(r.error).toBeUndefined();
    return JSON.parse(r.payload.toString());
  };

  it('nodejs18.x and later: the SDK v3 and what it depends on; not aws-sdk v2, not esb’s own packages', async () => {
    expect(await probe('node20')).toEqual({ '@aws-sdk/client-s3': 'found', '@aws-sdk/lib-dynamodb': 'found', '@smithy/core': 'found', 'aws-sdk': 'MODULE_NOT_FOUND', yaml: 'MODULE_NOT_FOUND', fastify: 'MODULE_NOT_FOUND', zod: 'MODULE_NOT_FOUND' });
  });

  it('nodejs16.x and older: aws-sdk v2 only', async () => {
    expect(await probe('node16')).toEqual({ '@aws-sdk/client-s3': 'MODULE_NOT_FOUND', '@aws-sdk/lib-dynamodb': 'MODULE_NOT_FOUND', '@smithy/core': 'MODULE_NOT_FOUND', 'aws-sdk': 'found', yaml: 'MODULE_NOT_FOUND', fastify: 'MODULE_NOT_FOUND', zod: 'MODULE_NOT_FOUND' });
  });

  it('an ES module handler imports the SDK (the NODE_PATH resolve hook), and not esb’s packages', async () => {
    const r = await agent.invoke('esm', Buffer.from('{}'));
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.payload.toString())).toEqual({ s3: 'function', yaml: 'ERR_MODULE_NOT_FOUND' });
  });
});
