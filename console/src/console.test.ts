import { describe, expect, it } from 'vitest';
import { decideAccess, isLoopbackHost } from './access.js';
import { InvocationCapture } from './capture.js';
import { parseTryInput } from './console.js';
import { InvocationRing, LogRing, Recorder, percentile } from './recorder.js';
import { deploymentView, errorLocation, latencyStats, routeInfos, routeViews, trafficKey } from './views.js';

describe('ring buffers', () => {
  it('keep the last `capacity` requests, oldest first, overwriting in place', () => {
    const ring = new InvocationRing('fn', 4);
    for (let i = 1; i <= 6; i++) ring.push(i, 'GET /x', 'GET', '/x', 200, i * 10, `r${i}`);
    expect(ring.size).toBe(4);
    expect(ring.list().map((v) => v.requestId)).toEqual(['r3', 'r4', 'r5', 'r6']);
    expect(ring.list(2).map((v) => v.durationMs)).toEqual([50, 60]);
  });

  it('log lines come back after a sequence number', () => {
    const ring = new LogRing('fn', 3);
    for (let i = 1; i <= 5; i++) ring.push(i, i, `r${i}`, 'stdout', `line ${i}`);
    expect(ring.since(0).map((l) => l.message)).toEqual(['line 3', 'line 4', 'line 5']);
    expect(ring.since(4).map((l) => l.message)).toEqual(['line 5']);
  });

  it('the recorder tells its listener per record and merges recent requests across functions by time', () => {
    let t = 0;
    const topics: string[] = [];
    const rec = new Recorder((topic) => topics.push(topic), () => ++t);
    rec.observe('a', 'GET /a', 'GET', '/a', 200, 1, 'ra1');
    rec.observe('b', 'GET /b', 'GET', '/b', 502, 2, 'rb1');
    rec.observe('a', 'GET /a', 'GET', '/a', 200, 3, 'ra2');
    rec.logSink.write({ time: 1, function: 'a', requestId: 'ra1', stream: 'platform', message: 'START RequestId: ra1' });
    expect(topics).toEqual(['invocations', 'invocations', 'invocations', 'logs']);
    expect(rec.recent(2).map((r) => r.requestId)).toEqual(['rb1', 'ra2']);
    expect(rec.logsOf('a').map((l) => l.message)).toEqual(['START RequestId: ra1']);
    expect(rec.logsOf('b')).toEqual([]);
  });
});

describe('views', () => {
  it('routes: a WebSocket API\'s routes with a function show as WEBSOCKET at /<stage>, their traffic keyed by route key', () => {
    const table = {
      routes: [{ api: { id: 'H', type: 'http' as const, stage: '$default' }, resource: '/a', method: 'GET', routeKey: 'GET /a', function: 'fa' }],
      functions: { functions: {} },
      websockets: [{ id: 'Chat', config: { stage: 'prod', routes: [{ key: '$connect', function: 'on', auth: { authorizer: 'Auth' } }, { key: 'ping' }, { key: 'send', function: 'send' }] } }],
    };
    const infos = routeInfos(table);
    expect(infos.map((r) => [r.apiType, r.method, r.path, r.routeKey, r.function, r.authorizer])).toEqual([
      ['http', 'GET', '/a', 'GET /a', 'fa', undefined],
      ['websocket', 'WEBSOCKET', '/prod', '$connect', 'on', 'Auth'],
      ['websocket', 'WEBSOCKET', '/prod', 'send', 'send', undefined],
    ]);
    const views = routeViews(infos, { routes: { [trafficKey('send', 'send')]: { count: 3, errors: 1, p50: 2, p95: 4, spark: [] } }, functions: {} });
    expect(views[2]).toMatchObject({ routeKey: 'send', count: 3, errors: 1 });
  });

  it('latency stats: count, 5xx, nearest-rank percentiles, the sparkline points', () => {
    const inv = [5, 1, 4, 2, 3].map((d, i) => ({ time: i, function: 'f', route: 'r', method: 'GET', path: '/', status: d === 4 ? 500 : 200, durationMs: d, requestId: `${i}` }));
    expect(latencyStats(inv)).toEqual({ count: 5, errors: 1, p50: 3, p95: 5, spark: [5, 1, 4, 2, 3] });
    expect(percentile([], 50)).toBe(0);
  });

  it('finds the file:line:column an error names', () => {
    expect(errorLocation('/tmp/ws/broken.yml:4:4: bad indentation of a mapping entry')).toBe('/tmp/ws/broken.yml:4:4');
    expect(errorLocation('template.yaml:12: Resources.Fn.Properties.Runtime: unsupported')).toBe('template.yaml:12');
    expect(errorLocation('no location here')).toBeUndefined();
  });

  it('a deployment: the failed condition (not a progress one) is its last error', () => {
    const view = deploymentView({
      deployment: {
        metadata: { name: 'x', generation: 2 },
        spec: { env: 'default', template: 't.yml' },
        status: {
          observedGeneration: 2,
          conditions: [
            { type: 'Generated', status: 'False', reason: 'InvalidTemplate', message: 't.yml:3:1: bad', lastTransitionTime: '2026-01-01T00:00:00Z' },
            { type: 'Ready', status: 'False', reason: 'InvalidTemplate', message: 't.yml:3:1: bad', lastTransitionTime: '2026-01-01T00:00:00Z' },
          ],
        },
      },
    });
    expect(view).toMatchObject({ namespace: 'default', generation: 2, observedGeneration: 2, lastError: { condition: 'Generated', reason: 'InvalidTemplate', location: 't.yml:3:1' } });
    const progressing = deploymentView({
      deployment: { metadata: { name: 'y' }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Applying', message: '' }] } },
    });
    expect(progressing.lastError).toBeUndefined();
    expect(progressing.outputs).toEqual([]);
    const withOutputs = deploymentView({
      deployment: { metadata: { name: 'z' }, spec: {}, status: { outputs: [{ key: 'Url', value: 'http://x', exportName: 'x-url' }, { key: 'Arn', problem: 'no such attribute here' }] } },
    });
    expect(withOutputs.outputs.map((o) => o.key)).toEqual(['Url', 'Arn']);
  });
});

describe('access', () => {
  const local = { remoteAddress: '127.0.0.1', host: '127.0.0.1:3000' };
  it('loopback clients asking for a loopback host get in without a token', () => {
    expect(decideAccess(local, undefined)).toEqual({ ok: true });
    expect(decideAccess({ remoteAddress: '::ffff:127.0.0.1', host: 'localhost:3000' }, undefined).ok).toBe(true);
    expect(decideAccess({ remoteAddress: '::1', host: '[::1]:3000' }, undefined).ok).toBe(true);
  });

  it('others, and loopback clients asking for another host name (DNS rebinding), do not', () => {
    expect(decideAccess({ remoteAddress: '192.168.1.20', host: '192.168.1.5:3000' }, undefined)).toMatchObject({ ok: false, reason: expect.stringContaining('loopback') });
    expect(decideAccess({ remoteAddress: '127.0.0.1', host: 'evil.example:3000' }, undefined).ok).toBe(false);
    expect(isLoopbackHost('127.0.0.1.evil.example')).toBe(false);
  });

  it('with a token: the query token sets a cookie; the cookie or a bearer header let anyone in; a wrong one does not', () => {
    const remote = { remoteAddress: '10.0.0.9', host: '10.0.0.1:3000' };
    const first = decideAccess({ ...remote, queryToken: 's3cret' }, 's3cret');
    expect(first).toMatchObject({ ok: true, setCookie: expect.stringContaining('esb_console_token=s3cret') });
    expect(decideAccess({ ...remote, cookie: 'a=b; esb_console_token=s3cret' }, 's3cret').ok).toBe(true);
    expect(decideAccess({ ...remote, authorization: 'Bearer s3cret' }, 's3cret').ok).toBe(true);
    expect(decideAccess({ ...remote, authorization: 'Bearer nope' }, 's3cret')).toMatchObject({ ok: false, reason: expect.stringContaining('token') });
  });
});

describe('try it input', () => {
  const req = (body: unknown) => ({ body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) }) as never;
  it('names the field and the reason of bad input', () => {
    expect(() => parseTryInput(req('{'))).toThrow('not JSON');
    expect(() => parseTryInput(req({ method: 'FETCH', path: '/' }))).toThrow('field "method"');
    expect(() => parseTryInput(req({ path: 'x' }))).toThrow('field "path"');
    expect(() => parseTryInput(req({ path: '/_esb/api/state' }))).toThrow('is the console');
    expect(() => parseTryInput(req({ path: '/', headers: { a: 1 } }))).toThrow('field "headers.a"');
    expect(parseTryInput(req({ method: 'post', path: '/p', query: '?a=1', headers: { 'X-A': 'b' }, body: 'hi' }))).toEqual({ method: 'POST', path: '/p', query: 'a=1', headers: { 'x-a': 'b' }, body: 'hi' });
  });
});

describe('invocation capture', () => {
  it('keeps the payload and result of invocations with a registered trace id only', async () => {
    const capture = new InvocationCapture();
    const invoker = capture.wrap({
      has: () => true,
      invoke: async (_name: string, payload: Buffer) => ({ requestId: 'r', durationMs: 1, payload: Buffer.concat([Buffer.from('echo:'), payload]) }),
    });
    const watching = capture.start('Root=1-a-b');
    await invoker.invoke('fn', Buffer.from('one'), { traceId: 'Root=1-a-b' });
    await invoker.invoke('fn', Buffer.from('two'), { traceId: 'Root=1-other' });
    await invoker.invoke('fn', Buffer.from('three'));
    const got = watching.stop();
    expect(got.map((c) => [c.function, c.event.toString(), c.result?.payload.toString()])).toEqual([['fn', 'one', 'echo:one']]);
    await invoker.invoke('fn', Buffer.from('four'), { traceId: 'Root=1-a-b' });
    expect(got).toHaveLength(1);
  });
});
