// A/B: two templates route GET /hello; as soon as `esb deploy` of A returns it answers
// {"version":"A"}, after B {"version":"B"}, without restarting any service; A's other routes
// keep answering.
import { expect, it } from 'vitest';
import { describeStack } from '../src/scenario.js';
import { compose, deploy, http } from '../src/stack.js';

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

    // `esb deploy` returns once the gateway serves the deploy: no polling.
    const deployedA = await deploy(s, 'ab/template-a.yml');
    expect(deployedA.warnings ?? []).not.toContainEqual(expect.stringContaining('does not serve this deploy'));
    expect(await http(`${s.gatewayUrl}/hello`)).toMatchObject({ status: 200, json: { version: 'A' } });
    expect((await http(`${s.gatewayUrl}/only-a/x`)).json).toEqual({ from: 'A', name: 'x', function: 'ab-only-a' });

    await deploy(s, 'ab/template-b.yml');
    expect(await http(`${s.gatewayUrl}/hello`)).toMatchObject({ status: 200, json: { version: 'B' } });

    // A's other route still answers (merge never deletes).
    const other = await http(`${s.gatewayUrl}/only-a/y`);
    expect(other.status).toBe(200);
    expect(other.json).toEqual({ from: 'A', name: 'y', function: 'ab-only-a' });

    // No service was restarted.
    expect(await startedAt(s)).toEqual(before);
  });
});
