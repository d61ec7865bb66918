// Resilience: the agent container is killed (SIGKILL of its process, as a crash) while
// requests are in flight; compose restarts it (restart: unless-stopped), requests succeed
// again, and no function container of the dead agent is left behind (the new agent removes
// its predecessor's containers at start).
import { expect, it } from 'vitest';
import { describeStack } from '../src/scenario.js';
import { compose, deploy, functionContainers, http, pollUntil, run } from '../src/stack.js';

async function agentState(s: Parameters<typeof compose>[0]) {
  const id = (await compose(s, ['ps', '-q', 'agent'])).stdout.trim();
  const r = await run('docker', ['inspect', '-f', '{{.State.Pid}} {{.RestartCount}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}} {{.State.StartedAt}}', id]);
  const [pid, restarts, status, health, startedAt] = r.stdout.trim().split(' ');
  return { id, pid: Number(pid), restarts: Number(restarts), status, health, startedAt: Date.parse(startedAt!) };
}

describeStack('resilience: the agent is killed mid-run', (stack) => {
  it('restarts, serves again, and leaves no orphaned function container', async () => {
    const s = stack();
    await deploy(s, 'resilience/template.yml');
    const warm = await pollUntil(() => http(`${s.gatewayUrl}/ping`), (r) => r.status === 200);
    expect(warm.ok, JSON.stringify(warm.last)).toBe(true);

    // Requests in flight (each holds an instance for 3 s) when the agent dies.
    const inflight = Array.from({ length: 3 }, () => http(`${s.gatewayUrl}/busy`).catch((err: Error) => ({ status: 0, text: err.message })));
    await pollUntil(() => functionContainers(s, 'res-busy'), (list) => list.length >= 2, { everyMs: 200, withinMs: 20_000 });
    const before = await functionContainers(s);
    expect(before.length).toBeGreaterThan(0);
    const agent = await agentState(s);
    expect(agent.pid).toBeGreaterThan(0);

    process.kill(agent.pid, 'SIGKILL');
    // In-flight requests end (an error answer, not a hang).
    const ended = await Promise.all(inflight);
    for (const r of ended) expect(typeof r.status).toBe('number');

    const back = await pollUntil(() => agentState(s), (a) => a.restarts > agent.restarts && a.health === 'healthy', { everyMs: 1000, withinMs: 120_000 });
    expect(back.ok, `agent after the kill: ${JSON.stringify(back.last)}`).toBe(true);
    const restarted = back.last as Awaited<ReturnType<typeof agentState>>;

    const again = await pollUntil(() => http(`${s.gatewayUrl}/ping`), (r) => r.status === 200, { everyMs: 1000, withinMs: 60_000 });
    expect(again.ok, `GET /ping after the restart: ${JSON.stringify(again.last)}`).toBe(true);
    for (const r of await Promise.all([1, 2, 3].map(() => http(`${s.gatewayUrl}/ping`)))) expect(r.status).toBe(200);

    // Orphans: none of the dead agent's containers remains; what runs now started after the restart.
    const after = await functionContainers(s);
    const survivors = after.filter((c) => before.some((b) => b.id === c.id));
    expect(survivors, `containers of the killed agent still present: ${survivors.map((c) => c.name).join(', ')}`).toEqual([]);
    for (const c of after) expect(c.created).toBeGreaterThanOrEqual(restarted.startedAt - 1000);
  });
});
