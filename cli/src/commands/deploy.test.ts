import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { deploymentName, parseDuration, parseOverrides, waitForRegistry } from './deploy.js';

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
  });

  it('names a Deployment after the template and env, as a DNS name', () => {
    expect(deploymentName('/x/Template_A.yml', 'prod')).toBe('template-a-prod');
    expect(deploymentName('/x/b.yaml', 'default')).toBe('b-default');
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
