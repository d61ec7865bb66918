// A/B: two templates route GET /hello; after A it answers {"version":"A"}, after B
// {"version":"B"} (polled every 1 s for up to 30 s), without restarting any service; A's
// other routes keep answering.
import { expect, it } from 'vitest';
import { describeStack } from '../src/scenario.js';
import { compose, deploy, http, pollUntil } from '../src/stack.js';

async function startedAt(stack: Parameters<typeof compose>[0]): Promise<Record<string, string>> {
  const ids = (await compose(stack, ['ps', '-q'])).stdout.trim().split('\n').filter(Boolean);
  const { run } = await import('../src/stack.js');
  const r = await run('docker', ['inspect', '-f', '{{.Name}} {{.State.StartedAt}} {{.RestartCount}}', ...ids]);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.split(' ')[0]!, l.split(' ').slice(1).join(' ')]));
}

describeStack('A/B: deploy A then B into one env', (stack) => {
  it('serves version A, then version B on the same route, with no service restart', async () => {
    const s = stack();
    const before = await startedAt(s);

    await deploy(s, 'ab/template-a.yml');
    const a = await pollUntil(() => http(`${s.gatewayUrl}/hello`), (r) => r.status === 200 && (r.json as { version?: string })?.version === 'A');
    expect(a.ok, `GET /hello after A: ${JSON.stringify(a.last)}`).toBe(true);
    expect((await http(`${s.gatewayUrl}/only-a/x`)).json).toEqual({ from: 'A', name: 'x', function: 'ab-only-a' });

    await deploy(s, 'ab/template-b.yml');
    const b = await pollUntil(() => http(`${s.gatewayUrl}/hello`), (r) => r.status === 200 && (r.json as { version?: string })?.version === 'B', { everyMs: 1000, withinMs: 30_000 });
    expect(b.ok, `GET /hello after B: ${JSON.stringify(b.last)}`).toBe(true);
    expect(b.last).toMatchObject({ status: 200, json: { version: 'B' } });

    // A's other route still answers (merge never deletes).
    const other = await http(`${s.gatewayUrl}/only-a/y`);
    expect(other.status).toBe(200);
    expect(other.json).toEqual({ from: 'A', name: 'y', function: 'ab-only-a' });

    // No service was restarted.
    expect(await startedAt(s)).toEqual(before);
  });
});
