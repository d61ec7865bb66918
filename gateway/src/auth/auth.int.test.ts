// API security through the real gateway and the real agent (process runtime): authorizer
// functions are real Node handlers, JWTs are signed with keys generated here and checked
// against a local JWKS file (offline use).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createAgent, type Agent } from '@esb/agent';
import { startGateway, type RunningGateway } from '../server.js';
import { freePort } from '@esb/contracts';

const CODE = resolve(fileURLToPath(import.meta.url), '..', '..', '..', 'test', 'fixtures', 'auth');
const fn = (handler: string) => ({ runtime: 'nodejs20.x', handler: `index.${handler}`, code: CODE });
const ISSUER = 'https://issuer.esb.test';

describe('API security at the gateway (real authorizer functions, process runtime)', () => {
  let dir: string;
  let agent: Agent;
  let gw: RunningGateway;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-auth-'));
    const keys = await generateKeyPair('RS256', { extractable: true });
    privateKey = keys.privateKey as CryptoKey;
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256' }] }));
    await writeFile(join(dir, 'functions.yml'), stringify({ functions: { token: fn('token'), simple: fn('simple'), echo: fn('echo') } }));
    await writeFile(
      join(dir, 'routing.yml'),
      stringify({
        routes: [
          { path: '/secure', method: 'ANY', function: 'echo', api: 'Rest', auth: { authorizer: 'TokenAuth' } },
          { path: '/open', method: 'GET', function: 'echo', api: 'Rest' },
          { path: '/keyed', method: 'GET', function: 'echo', api: 'Rest', auth: { api_key_required: true } },
          { path: '/jwt', method: 'GET', function: 'echo', api: 'Http', auth: { authorizer: 'Jwt', scopes: ['read'] } },
          { path: '/simple', method: 'GET', function: 'echo', api: 'Http', auth: { authorizer: 'Simple' } },
        ],
        apis: {
          Rest: { type: 'rest', stage: 'Prod', authorizers: { TokenAuth: { type: 'token', function: 'token', identity_source: 'method.request.header.Authorization', ttl_seconds: 300 } } },
          Http: {
            type: 'http',
            authorizers: {
              Jwt: { type: 'jwt', identity_source: '$request.header.Authorization', issuer: ISSUER, audience: ['esb-api'] },
              Simple: { type: 'request', function: 'simple', identity_sources: ['$request.header.X-Token'], ttl_seconds: 0, payload_format_version: '2.0', simple_responses: true },
            },
          },
        },
      }),
    );
    const log = pino({ level: 'silent' });
    const port = await freePort();
    agent = await createAgent({ runtime: 'process', logDir: join(dir, 'logs'), log, schedules: false, pinoFunctionLogs: false, endpoints: { lambda: `http://127.0.0.1:${port}` } });
    gw = await startGateway({
      invoker: agent,
      host: '127.0.0.1',
      port,
      configDir: dir,
      log,
      onFunctions: (f) => agent.setFunctions(f),
      apiKeys: () => new Set(['key-123']),
      jwksLocations: { [ISSUER]: join(dir, 'jwks.json') },
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await agent?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
    const res = await fetch(`${gw.url}${path}`, { headers, method });
    return { status: res.status, body: await res.json().catch(() => undefined), type: res.headers.get('x-amzn-errortype') };
  };

  it('REST TOKEN authorizer: 401 without a token, context and principalId reach the function when allowed', async () => {
    expect(await get('/secure')).toMatchObject({ status: 401, body: { message: 'Unauthorized' }, type: 'UnauthorizedException' });
    expect(await get('/secure', { authorization: 'allow-ada' })).toEqual({ status: 200, body: { authorizer: { user: 'ada', tier: '2', principalId: 'ada' } }, type: null });
    expect((await get('/open')).status).toBe(200);
  });

  it('REST TOKEN authorizer: the policy is evaluated against the method ARN (cached per token)', async () => {
    expect((await get('/secure', { authorization: 'get-bob' })).status).toBe(200);
    expect(await get('/secure', { authorization: 'get-bob' }, 'POST')).toMatchObject({ status: 403, body: { Message: 'User is not authorized to access this resource' } });
    expect((await get('/secure', { authorization: 'deny' })).status).toBe(403);
  });

  it('an authorizer that throws Unauthorized gives 401; one that crashes or returns garbage gives 500, never 200', async () => {
    expect((await get('/secure', { authorization: 'nobody' })).status).toBe(401);
    expect((await get('/secure', { authorization: 'boom' })).status).toBe(500);
    expect((await get('/secure', { authorization: 'garbage' })).status).toBe(500);
  });

  it('API keys: 403 without or with a wrong x-api-key', async () => {
    expect(await get('/keyed')).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
    expect((await get('/keyed', { 'x-api-key': 'wrong' })).status).toBe(403);
    const keyed = await get('/keyed', { 'x-api-key': 'key-123' });
    expect(keyed.status).toBe(200);
    // The function sees which key came ($context.identity.apiKey / apiKeyId); without a key requirement, null.
    expect(keyed.body).toMatchObject({ apiKey: 'key-123', apiKeyId: expect.stringMatching(/^[0-9a-z]{10}$/) });
    expect((await get('/open', { 'x-api-key': 'key-123' })).body).toMatchObject({ apiKey: null, apiKeyId: null });
  });

  it('HTTP API JWT authorizer: signature, audience, expiry and scopes; claims in requestContext.authorizer.jwt', async () => {
    const sign = (claims: Record<string, unknown>, exp: string | number = '5m') =>
      new SignJWT({ aud: 'esb-api', scope: 'read write', ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setSubject('user-1').setExpirationTime(exp).sign(privateKey);
    const ok = await get('/jwt', { authorization: `Bearer ${await sign({ 'cognito:groups': ['admin', 'ops'], email_verified: true, nickname: null }, 2_000_000_000)}` });
    expect(ok.status).toBe(200);
    // Every claim a string, as API Gateway gives them: arrays bracketed, nulls left out.
    expect(ok.body.authorizer.jwt).toEqual({
      claims: { sub: 'user-1', iss: ISSUER, aud: 'esb-api', scope: 'read write', exp: '2000000000', 'cognito:groups': '[admin ops]', email_verified: 'true' },
      scopes: ['read', 'write'],
    });
    expect((await get('/jwt')).status).toBe(401);
    expect((await get('/jwt', { authorization: 'Bearer not.a.jwt' })).status).toBe(401);
    expect((await get('/jwt', { authorization: `Bearer ${await sign({ aud: 'other' })}` })).status).toBe(401);
    expect((await get('/jwt', { authorization: `Bearer ${await sign({}, Math.floor(Date.now() / 1000) - 10)}` })).status).toBe(401);
    expect(await get('/jwt', { authorization: `Bearer ${await sign({ scope: 'write' })}` })).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
  });

  it('HTTP API Lambda authorizer with simple responses', async () => {
    expect((await get('/simple', { 'x-token': 'open-sesame' })).body).toEqual({ authorizer: { lambda: { via: 'simple' } } });
    expect((await get('/simple', { 'x-token': 'nope' })).status).toBe(403);
    expect((await get('/simple')).status).toBe(401);
  });

  it("the agent's internal interfaces are not reachable through the gateway's public port", async () => {
    // The agent's invoke API and the Runtime API live on other (loopback) ports; here they are unknown paths.
    for (const path of ['/invoke/echo', '/2018-06-01/runtime/invocation/next']) {
      const res = await fetch(`${gw.url}${path}`, { method: path.startsWith('/invoke') ? 'POST' : 'GET' });
      expect([403, 404]).toContain(res.status);
    }
  });
});
