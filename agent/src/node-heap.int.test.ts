// A Node function's V8 heap in the process runtime follows its MemorySize as on Lambda
// (docs/agent.md, "Who may use an instance's Runtime API, isolation, environment").
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from './agent.js';
import { codeFolder, processAgent } from './testing/process-agent.js';

// Makes `event.garbageMb` of garbage in 2 MB strings and JSON copies while keeping 24 MB, then
// reports V8's heap limit and whether global.gc exists.
const CHURN = `
const v8 = require('node:v8');
exports.handler = async (event) => {
  const kept = [];
  for (let made = 0; made < event.garbageMb; made += 4) {
    const text = JSON.stringify({ payload: String(made % 10).repeat(2 * 1024 * 1024) });
    const copy = JSON.parse(text);
    kept.push(copy.payload);
    if (kept.length > 12) kept.shift();
  }
  return { heapLimitMb: v8.getHeapStatistics().heap_size_limit / 1048576, gc: typeof globalThis.gc, kept: kept.length };
};
`;

describe("a Node function's heap, process runtime", () => {
  let dir: string;
  let agent: Agent;
  beforeAll(async () => {
    dir = codeFolder('esb-node-heap-', { 'index.js': CHURN });
    agent = await processAgent(dir, {
      small: { runtime: 'nodejs20.x', handler: 'index.handler', code: dir, memory_size: 128, timeout: 60 },
      large: { runtime: 'nodejs20.x', handler: 'index.handler', code: dir, memory_size: 1024, timeout: 60 },
    });
  });
  afterAll(async () => {
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is sized from MemorySize, global.gc exists, and garbage far past MemorySize is collected in time', async () => {
    for (const [fn, memoryMb] of [['small', 128], ['large', 1024]] as const) {
      const r = await agent.invoke(fn, Buffer.from(JSON.stringify({ garbageMb: 1200 })));
      expect(r.error, fn).toBeUndefined();
      const out = JSON.parse(r.payload.toString());
      expect(out.gc, fn).toBe('function');
      expect(out.kept, fn).toBe(12);
      // V8 counts the young generation three times over: 140 MB at 128, 1,114 MB at 1,024.
      expect(out.heapLimitMb, fn).toBeGreaterThanOrEqual(memoryMb);
      expect(out.heapLimitMb, fn).toBeLessThan(memoryMb * 1.1);
    }
  });
});
