// An API destination's request over real HTTP: method, authorization and target headers, query
// parameters, the body; an OAuth connection's token asked for, kept and renewed; an endpoint that
// does not answer in time is an error, not a hang.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '@esb/contracts/testing';
import { OAuthTokens, callApiDestination, deliverWithRetries, type DeliveryOutcome, type DeliveryPolicy } from './api-destinations.js';

describe('API destinations', () => {
  const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  let server: http.Server;
  let base: string;
  let tokensIssued = 0;
  let tokenLifetime = 3600;
  /** The token the ledger takes: the last one issued (an endpoint that rotated its tokens refuses older ones). */
  const acceptedToken = () => `t-${tokensIssued}`;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url?.startsWith('/slow')) return; // never answers
        if (req.url?.startsWith('/oauth/token')) {
          tokensIssued++;
          return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `t-${tokensIssued}`, token_type: 'Bearer', expires_in: tokenLifetime }));
        }
        if (req.url?.startsWith('/oauth/refused')) return res.writeHead(401).end('{"error":"invalid_client"}');
        if (req.url?.startsWith('/ledger')) return res.writeHead(req.headers.authorization === `Bearer ${acceptedToken()}` ? 201 : 401).end();
        res.writeHead(req.url?.startsWith('/missing') ? 404 : 202).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends the body with the method, the headers and the query parameters, and answers the status', async () => {
    const status = await callApiDestination({ name: 'hook', url: `${base}/orders/new`, method: 'POST', headers: { 'x-api-key': 's3cret' }, query: { source: 'esb' } }, '{"id":7}');
    expect(status).toBe(202);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/orders/new?source=esb', body: '{"id":7}', headers: { 'x-api-key': 's3cret', 'content-type': 'application/json; charset=utf-8' } });
    expect(await callApiDestination({ name: 'hook', url: `${base}/missing`, method: 'GET', headers: {}, query: {} }, '{"ignored":true}')).toBe(404);
    expect(seen.at(-1)).toMatchObject({ method: 'GET', body: '' });
  });

  it("an OAuth connection asks for a token (client credentials as Basic, its parameters as a form), keeps it until it expires, and asks again when the endpoint refuses it", async () => {
    const oauth = { endpoint: `${base}/oauth/token`, method: 'POST' as const, client_id: 'app', client_secret: 's3', headers: { 'x-tenant': 'shop' }, query: { audience: 'ledger' }, body: { grant_type: 'client_credentials', scope: 'write' } };
    const ledger = { name: 'ledger', url: `${base}/ledger`, method: 'POST' as const, headers: {}, query: {}, oauth };
    let now = 1_000_000;
    const tokens = new OAuthTokens(() => now);
    const [first, second] = await Promise.all([callApiDestination(ledger, '{"n":1}', { tokens }), callApiDestination(ledger, '{"n":2}', { tokens })]);
    expect([first, second]).toEqual([201, 201]);
    const asked = seen.filter((r) => r.url?.startsWith('/oauth/token'));
    expect(asked).toHaveLength(1); // two deliveries at once, one token request
    expect(asked[0]).toMatchObject({ method: 'POST', url: '/oauth/token?audience=ledger', body: 'grant_type=client_credentials&scope=write', headers: { authorization: `Basic ${Buffer.from('app:s3').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded', 'x-tenant': 'shop' } });
    expect(seen.filter((r) => r.url === '/ledger').map((r) => r.headers.authorization)).toEqual(['Bearer t-1', 'Bearer t-1']);

    // The endpoint rotated its token: 401, a new token, the request again.
    tokensIssued++;
    expect(await callApiDestination(ledger, '{"n":3}', { tokens })).toBe(201);
    expect(seen.filter((r) => r.url === '/ledger').map((r) => r.headers.authorization).slice(-2)).toEqual(['Bearer t-1', 'Bearer t-3']);

    // A token is asked for again once it expires (a minute early).
    tokenLifetime = 120;
    tokens.forget(oauth);
    expect(await callApiDestination(ledger, '{}', { tokens })).toBe(201);
    const before = seen.filter((r) => r.url?.startsWith('/oauth/token')).length;
    now += 61_000;
    expect(await callApiDestination(ledger, '{}', { tokens })).toBe(201);
    expect(seen.filter((r) => r.url?.startsWith('/oauth/token')).length).toBe(before + 1);
  });

  it("an authorization endpoint that refuses is an error naming it and its answer", async () => {
    const oauth = { endpoint: `${base}/oauth/refused`, method: 'POST' as const, client_id: 'app', client_secret: 'bad', headers: {}, query: {}, body: {} };
    await expect(callApiDestination({ name: 'ledger', url: `${base}/ledger`, method: 'POST', headers: {}, query: {}, oauth }, '{}')).rejects.toThrow(`the authorization endpoint ${base}/oauth/refused answered 401: {"error":"invalid_client"}`);
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    await expect(callApiDestination({ name: 'hook', url: `${base}/slow`, method: 'PUT', headers: {}, query: {} }, '{}', { timeoutMs: 200 })).rejects.toThrow(/timeout|aborted/i);
  });
});

describe('deliveries that fail (RetryPolicy, DeadLetterConfig)', () => {
  const setup = (outcomes: DeliveryOutcome[], policy: DeliveryPolicy | undefined) => {
    const clock = new FakeClock(Date.UTC(2026, 11, 8));
    const tries: number[] = [];
    const dead: Array<{ queue: string; body: string; attributes: Record<string, { StringValue: string }> }> = [];
    const said: string[] = [];
    const waiting = { count: 0 };
    deliverWithRetries(
      async () => {
        tries.push(clock.now());
        return outcomes.shift() ?? { ok: true, status: 200, retryable: false };
      },
      '{"id":1}',
      policy,
      { clock, waiting, deadLetter: (queue, body, attributes) => dead.push({ queue, body, attributes }), failed: (reason, retried) => said.push(`failed ${reason} ${retried}`), given: (reason, queue) => said.push(`given ${reason} ${queue}`) },
    );
    return { clock, tries, dead, said, waiting };
  };
  const down: DeliveryOutcome = { ok: false, error: 'could not reach it: fetch failed', retryable: true };
  const policy = (retry?: DeliveryPolicy['retry']): DeliveryPolicy => ({ ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/r', targetArn: 'hooks', deadLetterQueue: 'dlq', ...(retry ? { retry } : {}) });

  it('tries a delivery that may pass again 1 s later, doubling, until it passes', async () => {
    const { clock, tries, dead, said, waiting } = setup([down, { ok: false, status: 503, retryable: true }], policy());
    const t0 = clock.now();
    await clock.settle(10_000);
    expect(tries.map((t) => t - t0)).toEqual([0, 1_000, 3_000]);
    expect(dead).toEqual([]);
    expect(said).toEqual(['failed could not reach it: fetch failed true']);
    expect(waiting.count).toBe(0);
  });

  it('sends the event to the dead-letter queue with EventBridge\'s attributes when its tries are spent, or at once when it cannot pass', async () => {
    const spent = setup([down, down, down], policy({ maximum_retry_attempts: 2, maximum_event_age_seconds: 3600 }));
    await spent.clock.settle(60_000);
    expect(spent.tries).toHaveLength(3);
    expect(spent.dead).toEqual([
      {
        queue: 'dlq',
        body: '{"id":1}',
        attributes: {
          RULE_ARN: { DataType: 'String', StringValue: 'arn:aws:events:us-east-1:123456789012:rule/r' },
          TARGET_ARN: { DataType: 'String', StringValue: 'hooks' },
          ERROR_CODE: { DataType: 'String', StringValue: 'SDK_CLIENT_ERROR' },
          ERROR_MESSAGE: { DataType: 'String', StringValue: 'could not reach it: fetch failed' },
          EXHAUSTED_RETRY_CONDITION: { DataType: 'String', StringValue: 'MaximumRetryAttemptsExhausted' },
        },
      },
    ]);
    const refused = setup([{ ok: false, status: 400, retryable: false }], policy());
    await refused.clock.settle(60_000);
    expect(refused.tries).toHaveLength(1);
    expect(refused.dead.map((d) => [d.attributes.ERROR_CODE.StringValue, d.attributes.EXHAUSTED_RETRY_CONDITION])).toEqual([['HTTP_400', undefined]]);
    expect(refused.said).toEqual(['failed answered 400 false', 'given answered 400 dlq']);
  });

  it('gives up when the next try would be past the event age; without a dead-letter queue the event is dropped', async () => {
    const aged = setup(Array(20).fill(down), { targetArn: 'hooks', retry: { maximum_retry_attempts: 185, maximum_event_age_seconds: 60 } });
    await aged.clock.settle(600_000);
    expect(aged.tries.map((t) => (t - aged.tries[0]) / 1000)).toEqual([0, 1, 3, 7, 15, 31]);
    expect(aged.said.at(-1)).toBe('given could not reach it: fetch failed undefined');
    expect(aged.dead).toEqual([]);
  });
});
