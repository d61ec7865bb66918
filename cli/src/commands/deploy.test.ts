import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { deploymentName, parseDuration, parseOverrides, spreadOverrides, stackUrl, waitForRegistry } from './deploy.js';

describe('esb deploy arguments', () => {
  it('parses durations and rejects garbage', () => {
    expect(parseDuration('120s', '--timeout')).toBe(120_000);
    expect(parseDuration('2m', '--timeout')).toBe(120_000);
    expect(parseDuration('500ms', '--timeout')).toBe(500);
    expect(() => parseDuration('soon', '--timeout')).toThrow('--timeout: "soon" is not a duration');
  });

  it('parses parameter overrides given separately or in one string', () => {
    expect(parseOverrides(['Stage=prod', 'A=1 B=x=y'])).toEqual({ Stage: 'prod', A: '1', B: 'x=y' });
    expect(() => parseOverrides(['novalue'])).toThrow('"novalue" is not KEY=VALUE');
    expect(parseOverrides(['ParameterKey=UserPoolId,ParameterValue=x', 'Audience=y'])).toEqual({ UserPoolId: 'x', Audience: 'y' });
  });

  it('takes several values after one --parameter-overrides, as SAM CLI does', () => {
    expect(spreadOverrides(['-t', 't.yaml', '--parameter-overrides', 'A=1', 'B=2', '--json', 'x'])).toEqual(['-t', 't.yaml', '--parameter-overrides', 'A=1', '--parameter-overrides', 'B=2', '--json', 'x']);
    expect(spreadOverrides(['--parameter-overrides', 'A=1 B=2'])).toEqual(['--parameter-overrides', 'A=1 B=2']);
  });

  it('names a stack\'s own URL after the stack, on the gateway\'s port', () => {
    expect(stackUrl('http://127.0.0.1:4321', 'Hello-App')).toBe('http://hello-app.localhost:4321');
  });

  it('names a Deployment after the template and env, as a DNS name', () => {
    expect(deploymentName('Template_A', 'prod')).toBe('template-a-prod');
    expect(deploymentName('b', 'default')).toBe('b-default');
  });
});

describe('waitForRegistry', () => {
  it('returns once /v2/ answers (polled), even with 401', async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      calls++;
      res.statusCode = calls < 3 ? 503 : req.url === '/v2/' ? 401 : 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      await waitForRegistry(`127.0.0.1:${port}`, () => {}, 5000, 20);
      expect(calls).toBe(3);
    } finally {
      server.close();
    }
  });

  it('fails naming the registry when it never answers', async () => {
    await expect(waitForRegistry('http://127.0.0.1:1', () => {}, 100, 20)).rejects.toThrow('the image registry at http://127.0.0.1:1/v2/ was not ready within 0 s');
  });
});
