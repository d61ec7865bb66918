// An API destination's request over real HTTP: method, authorization and target headers, query
// parameters, the body; an endpoint that does not answer in time is an error, not a hang.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApiDestination } from './api-destinations.js';

describe('API destinations', () => {
  const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url?.startsWith('/slow')) return; // never answers
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

  it('gives up on an endpoint that does not answer in time', async () => {
    await expect(callApiDestination({ name: 'hook', url: `${base}/slow`, method: 'PUT', headers: {}, query: {} }, '{}', 200)).rejects.toThrow(/timeout|aborted/i);
  });
});
