import { describe, expect, it } from 'vitest';
import type { Authorizer } from '@esb/contracts';
import { AuthorizerEngine, type AuthRequest, type InvokeAuthorizer } from './authorize.js';

const arn = (method: string, path: string) => `arn:aws:execute-api:us-east-1:123456789012:api1/Prod/${method}/${path}`;

function request(over: Partial<AuthRequest> = {}): AuthRequest {
  return { apiType: 'rest', methodArn: arn('GET', 'items/1'), apiId: 'api1', event: { path: '/items/1' }, headers: {}, query: {}, stageVariables: {}, context: {}, ...over };
}

/** An authorizer "function": decides from the token like a real one would. */
function tokenAuthorizer(calls: string[]): InvokeAuthorizer {
  return async (_fn, payload) => {
    const event = JSON.parse(payload.toString());
    const token = event.authorizationToken ?? event.headers?.['x-token'];
    calls.push(token);
    const reply = (doc: unknown, error?: string) => ({ payload: Buffer.from(JSON.stringify(doc)), ...(error ? { error: { kind: 'FunctionError', message: error } } : {}) });
    if (token === 'throw-unauthorized') return reply({ errorType: 'Error', errorMessage: 'Unauthorized' }, 'Unauthorized');
    if (token === 'throw') return reply({ errorType: 'TypeError', errorMessage: 'boom' }, 'boom');
    if (token === 'garbage') return { payload: Buffer.from('not json') };
    if (token === 'bad-context') return reply({ principalId: 'u', policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] }, context: { nested: { a: 1 } } });
    const resource = token === 'get-only' ? 'arn:aws:execute-api:*:*:api1/Prod/GET/*' : '*';
    const effect = token === 'deny' ? 'Deny' : 'Allow';
    return reply({ principalId: `user-${token}`, policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] }, context: { tenant: 't1', level: 3 } });
  };
}

const tokenAuth: Record<string, Authorizer> = {
  TokenAuth: { type: 'token', function: 'auth', identity_source: 'method.request.header.Authorization', ttl_seconds: 300, validation_expression: '[a-z-]+' },
};

describe('AuthorizerEngine: Lambda TOKEN authorizers', () => {
  it('401 without a token, without calling the authorizer', async () => {
    const calls: string[] = [];
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer(calls) });
    expect(await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request())).toMatchObject({ ok: false, status: 401, body: '{"message":"Unauthorized"}' });
    expect(calls).toEqual([]);
  });

  it('401 when the token fails the validation expression', async () => {
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer([]) });
    expect(await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers: { authorization: 'UPPER' } }))).toMatchObject({ ok: false, status: 401 });
  });

  it('allows with context (values as strings, as a REST API passes them) and principalId for requestContext.authorizer', async () => {
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer([]) });
    expect(await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers: { authorization: 'alice' } }))).toEqual({
      ok: true,
      authorizer: { tenant: 't1', level: '3', principalId: 'user-alice' },
    });
  });

  it('403 on an explicit Deny or a policy that does not cover the method, worded as each API type words it', async () => {
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer([]) });
    const explicit = { authorization: 'deny' };
    const uncovered = { authorization: 'get-only' };
    const post = arn('POST', 'items/1');
    expect(await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers: explicit }))).toMatchObject({
      ok: false,
      status: 403,
      body: '{"Message":"User is not authorized to access this resource with an explicit deny"}',
    });
    expect(await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers: uncovered, methodArn: post }))).toMatchObject({
      ok: false,
      status: 403,
      body: '{"Message":"User is not authorized to access this resource"}',
    });
    for (const headers of [explicit, uncovered]) {
      expect(await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ apiType: 'http', headers, methodArn: post }))).toMatchObject({
        ok: false,
        status: 403,
        body: '{"message":"Forbidden"}',
      });
    }
  });

  it('caches the response by token for the TTL and evaluates it against each method', async () => {
    const calls: string[] = [];
    let now = 1_000_000;
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer(calls), now: () => now });
    const headers = { authorization: 'get-only' };
    expect((await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers }))).ok).toBe(true);
    expect(await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers, methodArn: arn('POST', 'items/1') }))).toMatchObject({ ok: false, status: 403 });
    expect(calls).toEqual(['get-only']);
    now += 301_000;
    await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers }));
    expect(calls).toEqual(['get-only', 'get-only']);
  });

  it("keeps each API's decisions apart: another API's authorizer of the same name (in the same stack or another) is asked itself", async () => {
    const calls: string[] = [];
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer(calls) });
    const headers = { authorization: 'get-only' }; // its policy covers api1's GETs only
    const otherApi = `arn:aws:execute-api:us-east-1:123456789012:api2/v2/GET/items/1`;
    const otherStack = { TokenAuth: { ...tokenAuth.TokenAuth, function: 'other-stack-auth' } } as Record<string, Authorizer>;
    expect((await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers }))).ok).toBe(true);
    expect(await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers, methodArn: otherApi, apiId: 'api2' }))).toMatchObject({ ok: false, status: 403 });
    expect((await engine.authorize({ authorizer: 'TokenAuth' }, otherStack, request({ headers }))).ok).toBe(true);
    expect(calls).toEqual(['get-only', 'get-only', 'get-only']);
    await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers, methodArn: arn('GET', 'items/2') }));
    expect(calls).toHaveLength(3);
  });

  it('does not cache with a TTL of 0', async () => {
    const calls: string[] = [];
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer(calls) });
    const noCache = { TokenAuth: { ...tokenAuth.TokenAuth, ttl_seconds: 0 } } as Record<string, Authorizer>;
    await engine.authorize({ authorizer: 'TokenAuth' }, noCache, request({ headers: { authorization: 'bob' } }));
    await engine.authorize({ authorizer: 'TokenAuth' }, noCache, request({ headers: { authorization: 'bob' } }));
    expect(calls).toEqual(['bob', 'bob']);
  });

  it('401 when the authorizer throws "Unauthorized"; 500 when it throws anything else or returns garbage', async () => {
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer([]) });
    const run = (token: string) => engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers: { authorization: token } }));
    expect(await run('throw-unauthorized')).toMatchObject({ ok: false, status: 401 });
    expect(await run('throw')).toMatchObject({ ok: false, status: 500 });
    expect(await run('garbage')).toMatchObject({ ok: false, status: 500 });
    expect(await run('bad-context')).toMatchObject({ ok: false, status: 500 });
  });

  it('500 when the invoke itself fails (agent down), and for an undefined authorizer', async () => {
    const engine = new AuthorizerEngine({ invoke: async () => { throw new Error('agent unavailable'); } });
    expect(await engine.authorize({ authorizer: 'TokenAuth' }, tokenAuth, request({ headers: { authorization: 'x' } }))).toMatchObject({ ok: false, status: 500 });
    expect(await engine.authorize({ authorizer: 'Nope' }, tokenAuth, request())).toMatchObject({ ok: false, status: 500 });
  });

  it('NONE skips authorization', async () => {
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer([]) });
    expect(await engine.authorize({ authorizer: 'NONE' }, tokenAuth, request())).toEqual({ ok: true });
  });
});

describe('AuthorizerEngine: REQUEST authorizers', () => {
  const requestAuth: Record<string, Authorizer> = {
    V1: { type: 'request', function: 'auth', identity_sources: ['method.request.header.X-Token'], ttl_seconds: 300, payload_format_version: '1.0', simple_responses: false },
    Simple: { type: 'request', function: 'simple', identity_sources: ['$request.header.X-Token'], ttl_seconds: 0, payload_format_version: '2.0', simple_responses: true },
  };

  it('401 when an identity source is missing', async () => {
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer([]) });
    expect(await engine.authorize({ authorizer: 'V1' }, requestAuth, request())).toMatchObject({ ok: false, status: 401 });
  });

  it('passes the request event with type REQUEST and methodArn', async () => {
    let seen: Record<string, unknown> = {};
    const engine = new AuthorizerEngine({
      invoke: async (_fn, payload) => {
        seen = JSON.parse(payload.toString());
        return { payload: Buffer.from(JSON.stringify({ principalId: 'p', policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] } })) };
      },
    });
    const outcome = await engine.authorize({ authorizer: 'V1' }, requestAuth, request({ headers: { 'x-token': 'abc' }, event: { path: '/items/1', headers: { 'x-token': 'abc' } } }));
    expect(outcome).toEqual({ ok: true, authorizer: { principalId: 'p' } });
    expect(seen).toMatchObject({ type: 'REQUEST', methodArn: arn('GET', 'items/1'), path: '/items/1' });
  });

  it('simple responses: isAuthorized true -> lambda context, false -> 403 Forbidden, missing -> 500', async () => {
    const reply = (doc: unknown) => async () => ({ payload: Buffer.from(JSON.stringify(doc)) });
    const http = (r: Partial<AuthRequest>) => request({ apiType: 'http', headers: { 'x-token': 't' }, ...r });
    expect(await new AuthorizerEngine({ invoke: reply({ isAuthorized: true, context: { user: 'u' } }) }).authorize({ authorizer: 'Simple' }, requestAuth, http({}))).toEqual({
      ok: true,
      authorizer: { lambda: { user: 'u' } },
    });
    expect(await new AuthorizerEngine({ invoke: reply({ isAuthorized: false }) }).authorize({ authorizer: 'Simple' }, requestAuth, http({}))).toMatchObject({ ok: false, status: 403, body: '{"message":"Forbidden"}' });
    expect(await new AuthorizerEngine({ invoke: reply({ ok: 1 }) }).authorize({ authorizer: 'Simple' }, requestAuth, http({}))).toMatchObject({ ok: false, status: 500 });
  });
});

describe('AuthorizerEngine: API keys', () => {
  it('403 without x-api-key or with an unknown one; passes with a configured key', async () => {
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer([]), apiKeys: () => new Set(['k-123']) });
    expect(await engine.authorize({ api_key_required: true }, {}, request())).toMatchObject({ ok: false, status: 403, body: '{"message":"Forbidden"}' });
    expect(await engine.authorize({ api_key_required: true }, {}, request({ headers: { 'x-api-key': 'nope' } }))).toMatchObject({ ok: false, status: 403 });
    expect(await engine.authorize({ api_key_required: true }, {}, request({ headers: { 'x-api-key': 'k-123' } }))).toEqual({ ok: true });
  });

  it('also passes with a key of the API itself (its template\'s), and only on that API', async () => {
    const engine = new AuthorizerEngine({ invoke: tokenAuthorizer([]), apiKeys: () => new Set(['k-123']) });
    const own = { 'x-api-key': 'own-key-0123456789abcdef' };
    expect(await engine.authorize({ api_key_required: true }, {}, request({ headers: own, apiKeys: new Set(['own-key-0123456789abcdef']) }))).toEqual({ ok: true });
    expect(await engine.authorize({ api_key_required: true }, {}, request({ headers: own, apiKeys: new Set(['other-key-0123456789abcdef']) }))).toMatchObject({ ok: false, status: 403 });
    expect(await engine.authorize({ api_key_required: true }, {}, request({ headers: own }))).toMatchObject({ ok: false, status: 403 });
    expect(await engine.authorize({ api_key_required: true }, {}, request({ headers: { 'x-api-key': 'k-123' }, apiKeys: new Set(['own-key-0123456789abcdef']) }))).toEqual({ ok: true });
  });
});
