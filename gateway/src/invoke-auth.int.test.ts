// The Lambda Invoke API beyond loopback (docs/security.md): off by default; when enabled, only
// requests SigV4-signed by a configured key (through @aws-sdk/client-lambda, as applications
// sign) or carrying a configured token get through. Real HTTP on a gateway listening on 0.0.0.0.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './server.js';
import { functionsOf } from './testing/config.js';
import { FakeInvoker } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';

const KEY = { accessKeyId: 'AKIDESBTEST0001', secretAccessKey: 'right-secret-for-the-test' };
const TOKEN = 'token-for-the-test-0123456789';

const invoker = new FakeInvoker({ add: (e: { a: number; b: number }) => ({ sum: e.a + e.b }) });
const lambdaAt = (url: string, credentials = KEY) => new LambdaClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });
const payload = (out: { Payload?: Uint8Array }) => JSON.parse(Buffer.from(out.Payload!).toString());
/** The gateway on all interfaces, reached through loopback (port 0: an ephemeral port). */
const local = (gw: RunningGateway) => gw.url.replace('0.0.0.0', '127.0.0.1');

async function errorOf(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

describe('Invoke API on a gateway listening beyond loopback, not enabled', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway({ invoker, host: '0.0.0.0', port: 0, log: memoryLogger().log, initialConfig: { functions: functionsOf('add') } });
  });
  afterAll(() => gw.close());

  it('is off: unsigned, signed and token requests are all refused, and no function runs', async () => {
    const before = invoker.calls.length;
    const unsigned = await fetch(`${local(gw)}/2015-03-31/functions/add/invocations`, { method: 'POST', body: '{"a":1,"b":2}' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const lambda = lambdaAt(local(gw));
    expect(await errorOf(lambda.send(new InvokeCommand({ FunctionName: 'add', Payload: '{"a":1,"b":2}' })))).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
    lambda.destroy();
    const token = await fetch(`${local(gw)}/2015-03-31/functions/add/invocations`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(token.status).toBe(403);
    expect(invoker.calls.length).toBe(before);
  });
});

describe('Invoke API on a gateway listening beyond loopback, enabled with keys and a token', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway({
      invoker,
      host: '0.0.0.0',
      port: 0,
      log: memoryLogger().log,
      initialConfig: { functions: functionsOf('add') },
      invokeApi: { open: false, accessKeys: new Map([[KEY.accessKeyId, KEY.secretAccessKey]]), tokens: new Set([TOKEN]) },
    });
  });
  afterAll(() => gw.close());

  it('accepts requests the AWS SDK signs with a configured key (plain name and full ARN)', async () => {
    const lambda = lambdaAt(local(gw));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'add', Payload: JSON.stringify({ a: 2, b: 3 }) }));
    expect(out.StatusCode).toBe(200);
    expect(payload(out)).toEqual({ sum: 5 });
    const byArn = await lambda.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:add', Qualifier: '$LATEST', Payload: '{"a":1,"b":1}' }));
    expect(payload(byArn)).toEqual({ sum: 2 });
    lambda.destroy();
  });

  it('refuses a wrong secret, an unknown key and a body changed after signing', async () => {
    const wrongSecret = lambdaAt(local(gw), { ...KEY, secretAccessKey: 'wrong-secret' });
    expect(await errorOf(wrongSecret.send(new InvokeCommand({ FunctionName: 'add', Payload: '{"a":1,"b":2}' })))).toMatchObject({ name: 'InvalidSignatureException', status: 403 });
    wrongSecret.destroy();
    const unknownKey = lambdaAt(local(gw), { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: KEY.secretAccessKey });
    expect(await errorOf(unknownKey.send(new InvokeCommand({ FunctionName: 'add', Payload: '{"a":1,"b":2}' })))).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
    unknownKey.destroy();

    // A correctly signed request captured and replayed with another body.
    let captured: { headers: Record<string, string> } | undefined;
    const spy = lambdaAt(local(gw));
    spy.middlewareStack.add(
      (next) => async (args) => {
        captured = { headers: { ...(args.request as { headers: Record<string, string> }).headers } };
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    await spy.send(new InvokeCommand({ FunctionName: 'add', Payload: '{"a":1,"b":2}' }));
    spy.destroy();
    const replay = await fetch(`${local(gw)}/2015-03-31/functions/add/invocations`, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(captured!.headers).filter(([k]) => !['content-length', 'host'].includes(k.toLowerCase()))),
      body: '{"a":100,"b":200}',
    });
    expect(replay.status).toBe(403);
    expect(replay.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('accepts a configured bearer token and refuses another', async () => {
    const ok = await fetch(`${local(gw)}/2015-03-31/functions/add/invocations`, { method: 'POST', body: '{"a":4,"b":5}', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sum: 9 });
    const bad = await fetch(`${local(gw)}/2015-03-31/functions/add/invocations`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer not-the-token' } });
    expect(bad.status).toBe(403);
    expect(bad.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');
  });

  it('answers a payload that is not JSON with 400 InvalidRequestContentException, without a stack trace', async () => {
    const before = invoker.calls.length;
    const r = await fetch(`${local(gw)}/2015-03-31/functions/add/invocations`, { method: 'POST', body: '{not json', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    const doc = (await r.json()) as { message: string };
    expect(doc.message).toMatch(/^Could not parse request body into json: Could not parse payload into json: /);
    expect(JSON.stringify(doc)).not.toMatch(/\n\s+at |stackTrace|errorType/);
    expect(invoker.calls.length).toBe(before);
  });
});

describe('Invoke API on a loopback gateway', () => {
  it('needs no credentials, as before, and still refuses payloads that are not JSON', async () => {
    const gw = await startGateway({ invoker, host: '127.0.0.1', port: 0, log: memoryLogger().log, initialConfig: { functions: functionsOf('add') } });
    try {
      const r = await fetch(`${gw.url}/2015-03-31/functions/add/invocations`, { method: 'POST', body: '{"a":1,"b":2}' });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ sum: 3 });
      const lambda = lambdaAt(gw.url);
      const err = await errorOf(lambda.send(new InvokeCommand({ FunctionName: 'add', Payload: Buffer.from('nope') })));
      expect(err).toMatchObject({ name: 'InvalidRequestContentException', status: 400 });
      lambda.destroy();
    } finally {
      await gw.close();
    }
  });
});
