// Which requests the data plane's front serves itself and which it leaves to fastify.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { frontWay, isFastifyPath } from './front.js';

const req = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers }) as unknown as IncomingMessage;

describe('the front', () => {
  it('leaves the gateway own paths to fastify: /health, the Invoke API, the console prefix', () => {
    for (const url of ['/health', '/health?x=1', '/2015-03-31/functions/f/invocations', '/2021-11-15/functions/f/response-streaming-invocations', '/_esb', '/_esb/', '/_esb/api/state']) expect(isFastifyPath(url, '/_esb')).toBe(true);
    for (const url of ['/', '/healthz', '/items/health', '/svc/items?x=%20', '/2015-03-31', '/2021-11-15/functions/f']) expect(isFastifyPath(url, '/_esb')).toBe(false);
  });
  it('leaves to fastify paths its router reads otherwise: absolute URLs, percent-encoded, with #', () => {
    for (const url of ['http://h/items', '*', '/a%20b', '/a#b']) expect(isFastifyPath(url, '/_esb')).toBe(true);
  });
  it('serves methods without body, and methods with body when it can tell how fastify reads them', () => {
    expect(frontWay(req('GET', '/a', { 'content-length': '5' }), '/_esb')).toBe('bodyless');
    expect(frontWay(req('HEAD', '/a'), '/_esb')).toBe('bodyless');
    expect(frontWay(req('POST', '/a'), '/_esb')).toBe('bodyless');
    expect(frontWay(req('DELETE', '/a', { 'content-length': '0' }), '/_esb')).toBe('bodyless');
    expect(frontWay(req('POST', '/a', { 'content-length': '3' }), '/_esb')).toBe('body');
    expect(frontWay(req('PUT', '/a', { 'transfer-encoding': 'chunked' }), '/_esb')).toBe('body');
    expect(frontWay(req('POST', '/a', { 'content-type': 'application/json' }), '/_esb')).toBe('body');
    expect(frontWay(req('PATCH', '/a', { 'content-type': 'text/plain; charset=utf-8' }), '/_esb')).toBe('body');
  });
  it('leaves to fastify content types it may refuse (415), other methods and the gateway own paths', () => {
    for (const ct of ['foo', 'a/b; x', 'text/plain; charset="utf-8"', '']) expect(frontWay(req('POST', '/a', { 'content-type': ct }), '/_esb')).toBe('fastify');
    for (const m of ['PROPFIND', 'QUERY', 'CONNECT']) expect(frontWay(req(m, '/a'), '/_esb')).toBe('fastify');
    expect(frontWay(req('GET', '/health'), '/_esb')).toBe('fastify');
  });
});
