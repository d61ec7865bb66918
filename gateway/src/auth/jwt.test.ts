import { createServer, type Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '@esb/contracts/testing';
import { httpApiClaims, JwksCache, restCognitoClaims, verifyCognitoToken, verifyJwt, type JwtAuthorizerConfig } from './jwt.js';

const ISSUER = 'https://issuer.example.test';
const dirs = tempDirs();
afterAll(() => dirs.removeAll());

describe('verifyJwt (real signatures, keys generated here)', () => {
  let keyA: CryptoKey;
  let keyB: CryptoKey;
  let publicA: CryptoKey;
  let jwks: { keys: JWK[] };
  let server: Server;
  let fetches = 0;
  let url: string;
  let file: string;

  beforeAll(async () => {
    const a = await generateKeyPair('RS256', { extractable: true });
    const b = await generateKeyPair('ES256', { extractable: true });
    keyA = a.privateKey as CryptoKey;
    keyB = b.privateKey as CryptoKey;
    publicA = a.publicKey as CryptoKey;
    jwks = { keys: [{ ...(await exportJWK(a.publicKey)), kid: 'a', alg: 'RS256', use: 'sig' }] };
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    file = path.join(await dirs.make('esb-jwks-'), 'jwks.json');
    await writeFile(file, JSON.stringify(jwks));
    // B's key becomes known later, to test the refresh on an unknown kid.
    (globalThis as Record<string, unknown>).__keyBPublic = await exportJWK(b.publicKey);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const config = (over: Partial<JwtAuthorizerConfig> = {}): JwtAuthorizerConfig => ({ issuer: ISSUER, audience: ['my-api'], jwks_uri: url, ...over });
  const sign = (claims: Record<string, unknown>, opts: { key?: CryptoKey; alg?: string; kid?: string; exp?: string | number } = {}) =>
    new SignJWT({ aud: 'my-api', ...claims })
      .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'a' })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(opts.key ?? keyA);

  it('accepts a valid token, with or without "Bearer ", and returns claims and scopes', async () => {
    const cache = new JwksCache();
    const token = await sign({ sub: 'u1', scope: 'read write' });
    const bearer = await verifyJwt(`Bearer ${token}`, config(), [], cache);
    expect(bearer).toMatchObject({ ok: true, claims: { sub: 'u1' }, scopes: ['read', 'write'] });
    expect((await verifyJwt(token, config(), [], cache)).ok).toBe(true);
  });

  it('reads keys from a local JWKS file (offline use)', async () => {
    const token = await sign({ sub: 'u1' });
    expect((await verifyJwt(token, config({ jwks_uri: undefined, jwks_file: file }), [], new JwksCache())).ok).toBe(true);
  });

  it('401 for missing, malformed, expired, not-yet-valid, wrong issuer, wrong audience', async () => {
    const cache = new JwksCache();
    const cases: Array<[string, string | undefined]> = [
      ['missing', undefined],
      ['malformed', 'not-a-jwt'],
      ['garbage parts', 'a.b.c'],
      ['expired', await sign({}, { exp: Math.floor(Date.now() / 1000) - 60 })],
      ['not yet valid', await new SignJWT({ aud: 'my-api' }).setProtectedHeader({ alg: 'RS256', kid: 'a' }).setIssuer(ISSUER).setNotBefore('10m').setExpirationTime('20m').sign(keyA)],
      ['wrong issuer', await new SignJWT({ aud: 'my-api' }).setProtectedHeader({ alg: 'RS256', kid: 'a' }).setIssuer('https://evil.test').setExpirationTime('5m').sign(keyA)],
      ['wrong audience', await sign({ aud: 'other-api' })],
    ];
    for (const [label, token] of cases) {
      const outcome = await verifyJwt(token, config(), [], cache);
      expect({ label, ok: outcome.ok, status: !outcome.ok && outcome.status }).toEqual({ label, ok: false, status: 401 });
    }
  });

  it('accepts the audience in client_id, as API Gateway does for access tokens', async () => {
    const token = await new SignJWT({ client_id: 'my-api' }).setProtectedHeader({ alg: 'RS256', kid: 'a' }).setIssuer(ISSUER).setExpirationTime('5m').sign(keyA);
    expect((await verifyJwt(token, config(), [], new JwksCache())).ok).toBe(true);
  });

  it('refuses alg none and HS256 signed with the public key (algorithm confusion)', async () => {
    const header = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const payload = header({ iss: ISSUER, aud: 'my-api', exp: Math.floor(Date.now() / 1000) + 300 });
    const none = `${header({ alg: 'none', kid: 'a' })}.${payload}.`;
    expect(await verifyJwt(none, config(), [], new JwksCache())).toMatchObject({ ok: false, status: 401 });
    const pem = new TextEncoder().encode(await exportSPKI(publicA));
    const hs = await new SignJWT({ aud: 'my-api' }).setProtectedHeader({ alg: 'HS256', kid: 'a' }).setIssuer(ISSUER).setExpirationTime('5m').sign(pem);
    expect(await verifyJwt(hs, config(), [], new JwksCache())).toMatchObject({ ok: false, status: 401 });
  });

  it('refetches the JWKS on an unknown kid, and fails when the kid stays unknown', async () => {
    const cache = new JwksCache({ cooldownMs: 0 });
    expect((await verifyJwt(await sign({}), config(), [], cache)).ok).toBe(true);
    const before = fetches;
    const tokenB = await sign({}, { key: keyB, alg: 'ES256', kid: 'b' });
    expect(await verifyJwt(tokenB, config(), [], cache)).toMatchObject({ ok: false, status: 401 });
    jwks.keys.push({ ...((globalThis as Record<string, unknown>).__keyBPublic as JWK), kid: 'b', alg: 'ES256' });
    expect((await verifyJwt(tokenB, config(), [], cache)).ok).toBe(true);
    expect(fetches).toBeGreaterThan(before);
  });

  it('401 (never 200, never a crash) when the JWKS is unreachable', async () => {
    const outcome = await verifyJwt(await sign({}), config({ jwks_uri: 'http://127.0.0.1:1/jwks.json' }), [], new JwksCache());
    expect(outcome).toMatchObject({ ok: false, status: 401 });
  });

  it('403 when the route needs a scope the token lacks; scp arrays count', async () => {
    const cache = new JwksCache();
    expect(await verifyJwt(await sign({ scope: 'read' }), config(), ['write'], cache)).toMatchObject({ ok: false, status: 403 });
    expect((await verifyJwt(await sign({ scp: ['admin', 'write'] }), config(), ['write'], cache)).ok).toBe(true);
  });
});

describe('verifyCognitoToken (user pool authorizers, keys generated here)', () => {
  const NAMED = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Named';
  const LOCAL = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalPool';
  let key: CryptoKey;
  let other: CryptoKey;
  let file: string;
  const now = Date.now();

  beforeAll(async () => {
    const a = await generateKeyPair('RS256', { extractable: true });
    key = a.privateKey as CryptoKey;
    other = (await generateKeyPair('RS256', { extractable: true })).privateKey as CryptoKey;
    file = path.join(await dirs.make('esb-cognito-'), 'jwks.json');
    await writeFile(file, JSON.stringify({ keys: [{ ...(await exportJWK(a.publicKey)), kid: 'p', alg: 'RS256' }] }));
  });

  const token = (issuer: string, claims: Record<string, unknown> = {}, signWith = key) =>
    new SignJWT({ token_use: 'id', 'cognito:groups': ['admin', 'ops'], email_verified: true, exp: Math.floor(now / 1000) + 300, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'p' })
      .setIssuer(issuer)
      .setSubject('user-7')
      .sign(signWith);
  const check = (t: string, config: { issuers: string[]; template_pools: boolean }, trust: { jwksLocations?: Record<string, string>; acceptUnverified: boolean }, scopes: string[] = []) =>
    verifyCognitoToken(t, config, scopes, trust, new JwksCache(), now);

  it("verifies a named pool's tokens against its keys, and refuses another issuer or a forged signature", async () => {
    const config = { issuers: [NAMED], template_pools: false };
    const trust = { jwksLocations: { [NAMED]: file }, acceptUnverified: true };
    expect(await check(await token(NAMED), config, trust)).toMatchObject({ ok: true, claims: { sub: 'user-7', email_verified: true } });
    expect(await check(await token(NAMED, {}, other), config, trust)).toMatchObject({ ok: false, status: 401 });
    expect(await check(await token(LOCAL), config, trust)).toMatchObject({ ok: false, status: 401, reason: expect.stringContaining('not a user pool of this authorizer') });
  });

  it("takes a template pool's token verified when its issuer has keys, else unverified only when allowed", async () => {
    const config = { issuers: [], template_pools: true };
    expect((await check(await token(LOCAL), config, { jwksLocations: { [LOCAL]: file }, acceptUnverified: false })).ok).toBe(true);
    expect((await check(await token(LOCAL, {}, other), config, { jwksLocations: { [LOCAL]: file }, acceptUnverified: true })).ok).toBe(false);
    expect((await check(await token(LOCAL, {}, other), config, { acceptUnverified: true })).ok).toBe(true);
    expect(await check(await token(LOCAL), config, { acceptUnverified: false })).toMatchObject({ ok: false, status: 401, reason: expect.stringContaining('ESB_JWKS') });
    // Even unverified: a user pool issuer, not expired, the route's scopes.
    expect((await check(await token('https://login.example.test'), config, { acceptUnverified: true })).ok).toBe(false);
    expect((await check(await token(LOCAL, { exp: Math.floor(now / 1000) - 1 }), config, { acceptUnverified: true })).ok).toBe(false);
    expect(await check(await token(LOCAL, { scope: 'notes/read' }), config, { acceptUnverified: true }, ['notes/write'])).toMatchObject({ ok: false, status: 403 });
    expect((await check('not-a-jwt', config, { acceptUnverified: true })).ok).toBe(false);
  });
});

describe('claims as the function gets them', () => {
  const claims = { sub: 'u-1', exp: 1680633579, iat: 1680629979, auth_time: 1680629979, 'cognito:groups': ['admin', 'ops'], email_verified: true, address: { country: 'JP' }, nickname: null };

  it('HTTP API (payload 2.0): strings, arrays bracketed, objects as JSON, nulls left out', () => {
    expect(httpApiClaims(claims)).toEqual({ sub: 'u-1', exp: '1680633579', iat: '1680629979', auth_time: '1680629979', 'cognito:groups': '[admin ops]', email_verified: 'true', address: '{"country":"JP"}' });
  });

  it("REST API Cognito authorizer: strings, arrays joined with commas, exp and iat as the authorizer's dates", () => {
    expect(restCognitoClaims(claims)).toEqual({ sub: 'u-1', exp: 'Tue Apr 04 18:39:39 UTC 2023', iat: 'Tue Apr 04 17:39:39 UTC 2023', auth_time: '1680629979', 'cognito:groups': 'admin,ops', email_verified: 'true', address: '{"country":"JP"}' });
  });
});
