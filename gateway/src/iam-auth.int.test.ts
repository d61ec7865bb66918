// IAM authorization of API routes (docs/security.md "IAM authorization"): a route whose auth is
// AWS_IAM takes requests signed for execute-api by a key the gateway takes, and hands the
// function who signed (REST: requestContext.identity; HTTP APIs: requestContext.authorizer.iam).
// Real HTTP, signed as the AWS SDKs and aws4 sign.
import type { RoutingFile } from '@esb/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './server.js';
import { functionsOf } from './testing/config.js';
import { FakeInvoker } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';
import { send as sendTo, signedHeaders } from './testing/http.js';

const KEY = { accessKeyId: 'AKIDESBIAMTEST01', secretAccessKey: 'iam-secret-for-the-test' };
const identityOf = (e: { requestContext: Record<string, any> }) => ({ statusCode: 200, body: JSON.stringify({ identity: e.requestContext.identity ?? null, iam: e.requestContext.authorizer?.iam ?? null }) });

const routing: RoutingFile = {
  routes: [
    { path: '/rest/private', method: 'GET', function: 'rest', api: 'Rest', auth: { authorizer: 'AWS_IAM' } },
    { path: '/rest/public', method: 'GET', function: 'rest', api: 'Rest' },
    { path: '/http/private', method: 'POST', function: 'http', api: 'Http', auth: { authorizer: 'AWS_IAM' } },
  ],
  apis: {
    Rest: { type: 'rest', stage: 'Prod' } as RoutingFile['apis'][string],
    Http: { type: 'http', stage: '$default', payload_format_version: '2.0' } as RoutingFile['apis'][string],
  },
};

const send = (port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string) => sendTo(port, `127.0.0.1:${port}`, method, path, headers, body);

const signed = (port: number, method: string, path: string, body = '', credentials = KEY, service = 'execute-api') => signedHeaders({ host: `127.0.0.1:${port}`, method, path, body, credentials, service });

describe('IAM authorization of API routes, beyond loopback (configured keys)', () => {
  const invoker = new FakeInvoker({ rest: identityOf, http: identityOf });
  let gw: RunningGateway;
  let port: number;
  beforeAll(async () => {
    gw = await startGateway({
      invoker,
      host: '127.0.0.1',
      port: 0,
      log: memoryLogger().log,
      initialConfig: { functions: functionsOf('rest', 'http'), routing },
      // As beyond loopback: only these keys.
      invokeApi: { open: false, accessKeys: new Map([[KEY.accessKeyId, KEY.secretAccessKey]]), tokens: new Set() },
    });
    port = Number(new URL(gw.url).port);
  });
  afterAll(() => gw.close());

  it('a REST route takes a signed request and tells the function who signed; unsigned is Missing Authentication Token, a bad signature or key is refused', async () => {
    const ok = await send(port, 'GET', '/rest/private', await signed(port, 'GET', '/rest/private'));
    expect(ok.status, ok.body).toBe(200);
    expect(JSON.parse(ok.body).identity).toMatchObject({ accessKey: KEY.accessKeyId, caller: KEY.accessKeyId, user: KEY.accessKeyId, userArn: expect.stringMatching(new RegExp(`^arn:aws:iam::\\d{12}:user/${KEY.accessKeyId}$`)) });
    const unsigned = await send(port, 'GET', '/rest/private');
    expect([unsigned.status, JSON.parse(unsigned.body)]).toEqual([403, { message: 'Missing Authentication Token' }]);
    const wrongSecret = await send(port, 'GET', '/rest/private', await signed(port, 'GET', '/rest/private', '', { ...KEY, secretAccessKey: 'not-it' }));
    expect(wrongSecret.status).toBe(403);
    expect(JSON.parse(wrongSecret.body).message).toMatch(/signature we calculated does not match/);
    const otherService = await send(port, 'GET', '/rest/private', await signed(port, 'GET', '/rest/private', '', KEY, 'lambda'));
    expect([otherService.status, JSON.parse(otherService.body).message]).toEqual([403, "Credential should be scoped to correct service: 'execute-api'."]);
    expect((await send(port, 'GET', '/rest/public')).status).toBe(200);
    expect(invoker.calls.filter((c) => c.name === 'rest')).toHaveLength(2);
  });

  it('an HTTP API route signs its body too; its function gets requestContext.authorizer.iam; unsigned is Forbidden', async () => {
    const body = '{"order":1}';
    const ok = await send(port, 'POST', '/http/private', await signed(port, 'POST', '/http/private', body), body);
    expect(ok.status, ok.body).toBe(200);
    expect(JSON.parse(ok.body).iam).toEqual({ accessKey: KEY.accessKeyId, accountId: expect.stringMatching(/^\d{12}$/), callerId: KEY.accessKeyId, cognitoIdentity: null, principalOrgId: null, userArn: expect.stringContaining(`:user/${KEY.accessKeyId}`), userId: KEY.accessKeyId });
    const tampered = await send(port, 'POST', '/http/private', await signed(port, 'POST', '/http/private', body), '{"order":2}');
    expect([tampered.status, tampered.body]).toEqual([403, '{"message":"Forbidden"}']);
    expect((await send(port, 'POST', '/http/private', {}, body)).status).toBe(403);
  });
});
