// Concurrency: 10 concurrent requests to a function with ReservedConcurrentExecutions 2 all
// succeed, served by at most 2 running containers (sampled from the engine during the burst;
// the driver's pre-created spare, created but not started, is not an instance).
import { expect, it } from 'vitest';
import { describeStack } from '../src/scenario.js';
import { deploy, functionContainers, http, pollUntil } from '../src/stack.js';

describeStack('concurrency: ReservedConcurrentExecutions 2', (stack) => {
  it('10 concurrent requests all succeed with at most 2 containers', async () => {
    const s = stack();
    await deploy(s, 'concurrency/template.yml');
    // The gateway container picks the new routes up within about a second of Ready (docs/compose.md).
    const served = await pollUntil(() => http(`${s.gatewayUrl}/slow/warm`), (r) => r.status === 200, { everyMs: 200, withinMs: 30_000 });
    expect(served.ok, `GET /slow/warm after the deploy: ${JSON.stringify(served.last)}`).toBe(true);

    let sampling = true;
    let maxContainers = 0;
    const sampler = (async () => {
      while (sampling) {
        const running = (await functionContainers(s, 'conc-slow', { running: true })).length;
        maxContainers = Math.max(maxContainers, running);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => http(`${s.gatewayUrl}/slow/${i}`)));
    sampling = false;
    await sampler;
    maxContainers = Math.max(maxContainers, (await functionContainers(s, 'conc-slow', { running: true })).length);

    for (const a of answers) expect(a.status, a.text).toBe(200);
    expect(answers.map((a) => (a.json as { n: string }).n).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].sort());
    const instances = new Set(answers.map((a) => (a.json as { instance: string }).instance));
    expect(instances.size).toBeGreaterThanOrEqual(1);
    expect(instances.size).toBeLessThanOrEqual(2);
    expect(maxContainers).toBeGreaterThanOrEqual(1);
    expect(maxContainers).toBeLessThanOrEqual(2);
  });
});
