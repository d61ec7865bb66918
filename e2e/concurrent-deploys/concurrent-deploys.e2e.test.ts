// Concurrent deploys: 5 `esb deploy` processes at once into one env; afterwards all 5
// functions and routes are present (the apply lock serialises the merges, none is lost).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { describeStack } from '../src/scenario.js';
import { deploy, http, pollUntil } from '../src/stack.js';

describeStack('concurrent deploys into one env', (stack) => {
  it('5 deploys at once: all present afterwards', async () => {
    const s = stack();
    const ids = [1, 2, 3, 4, 5];
    const results = await Promise.all(ids.map((i) => deploy(s, `concurrent-deploys/template-${i}.yml`)));
    expect(results.every((r) => r.ready)).toBe(true);

    const functions = parse(readFileSync(path.join(s.configDir, 'functions.yml'), 'utf8')) as { functions: Record<string, unknown> };
    const routing = parse(readFileSync(path.join(s.configDir, 'routing.yml'), 'utf8')) as { routes: Array<{ path: string; method: string }> };
    for (const i of ids) {
      expect(Object.keys(functions.functions)).toContain(`cd-fn-${i}`);
      expect(routing.routes).toContainEqual(expect.objectContaining({ path: `/cd/${i}`, method: 'GET' }));
    }
    for (const i of ids) {
      const r = await pollUntil(() => http(`${s.gatewayUrl}/cd/${i}`), (a) => a.status === 200, { withinMs: 30_000 });
      expect(r.ok, `GET /cd/${i}: ${JSON.stringify(r.last)}`).toBe(true);
      expect((r.last as { json: unknown }).json).toEqual({ which: String(i), function: `cd-fn-${i}` });
    }
  });
});
