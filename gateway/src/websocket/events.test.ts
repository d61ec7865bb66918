import { describe, expect, it } from 'vitest';
import { resolveWebSocketApi } from '../routes.js';
import { connectEvent, disconnectEvent, messageEvent, newConnectionId, selectRoute, type ConnectionFacts } from './events.js';
import { apiForPath } from './server.js';

const keys = new Set(['sendmessage', 'chat/join', '$default', '7']);

describe('route selection', () => {
  it('reads $request.body.<field>, nested fields and numbers', () => {
    expect(selectRoute('$request.body.action', '{"action":"sendmessage"}', keys)).toBe('sendmessage');
    expect(selectRoute('$request.body.message.type', '{"message":{"type":"sendmessage"}}', keys)).toBe('sendmessage');
    expect(selectRoute('$request.body.n', '{"n":7}', keys)).toBe('7');
  });

  it('falls back to $default for a missing field, a key no route has, a non-object or non-JSON body', () => {
    expect(selectRoute('$request.body.action', '{"other":1}', keys)).toBe('$default');
    expect(selectRoute('$request.body.action', '{"action":"nope"}', keys)).toBe('$default');
    expect(selectRoute('$request.body.action', '{"action":{"x":1}}', keys)).toBe('$default');
    expect(selectRoute('$request.body.action', '[1,2]', keys)).toBe('$default');
    expect(selectRoute('$request.body.action', 'hello', keys)).toBe('$default');
    expect(selectRoute('$request.body.action', undefined, keys)).toBe('$default');
  });

  it('fills ${request.body.x} parts of a template expression; a missing part selects $default', () => {
    expect(selectRoute('${request.body.service}/${request.body.action}', '{"service":"chat","action":"join"}', keys)).toBe('chat/join');
    expect(selectRoute('${request.body.service}/${request.body.action}', '{"service":"chat"}', keys)).toBe('$default');
  });
});

describe('handshake paths', () => {
  const api = (id: string, stage: string) => resolveWebSocketApi(id, { stage, stage_variables: {}, route_selection: '$request.body.action', routes: [] });
  it('picks the API of the stage, the last written when two share it, and the only API for /', () => {
    const a = api('A', 'prod');
    const b = api('B', 'dev');
    const c = api('C', 'prod');
    expect(apiForPath([a, b, c], '/prod')?.id).toBe('C');
    expect(apiForPath([a, b, c], '/dev/')?.id).toBe('B');
    expect(apiForPath([a, b, c], '/')).toBeUndefined();
    expect(apiForPath([b], '/')?.id).toBe('B');
    expect(apiForPath([a, b], '/staging')).toBeUndefined();
  });
});

describe('events', () => {
  const facts: ConnectionFacts = { connectionId: newConnectionId(), apiId: 'abcdefghij', stage: 'prod', domainName: '127.0.0.1:3000', connectedAt: 1_700_000_000_000, sourceIp: '10.0.0.1', userAgent: 'ua', stageVariables: { v: '1' } };

  it('connection ids look like API Gateway ones and differ', () => {
    const ids = new Set(Array.from({ length: 100 }, newConnectionId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{15}=$/);
  });

  it('CONNECT carries headers, multi-value headers and the query', () => {
    const e = connectEvent(facts, { rawHeaders: ['Host', 'h', 'X-A', '1', 'X-A', '2'], rawQueryString: 'a=1&a=2&b=x%20y' }, 'rid', 1_700_000_000_500);
    expect(e.headers).toEqual({ Host: 'h', 'X-A': '2' });
    expect(e.multiValueHeaders).toEqual({ Host: ['h'], 'X-A': ['1', '2'] });
    expect(e.queryStringParameters).toEqual({ a: '2', b: 'x y' });
    expect(e.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', requestTimeEpoch: 1_700_000_000_500, connectedAt: 1_700_000_000_000, identity: { sourceIp: '10.0.0.1', userAgent: 'ua' }, requestId: 'rid', apiId: 'abcdefghij' });
    expect(e.stageVariables).toEqual({ v: '1' });
  });

  it('MESSAGE carries the body as text, or base64 for a binary frame', () => {
    expect(messageEvent(facts, 'chat', Buffer.from('{"a":1}'), false, 'r', 1)).toMatchObject({ body: '{"a":1}', isBase64Encoded: false, requestContext: { eventType: 'MESSAGE', routeKey: 'chat' } });
    expect(messageEvent(facts, '$default', Buffer.from([0, 255]), true, 'r', 1)).toMatchObject({ body: 'AP8=', isBase64Encoded: true });
  });

  it('DISCONNECT carries the close code and reason', () => {
    expect(disconnectEvent(facts, 'h', 1001, 'Going away', 'r', 1).requestContext).toMatchObject({ eventType: 'DISCONNECT', routeKey: '$disconnect', disconnectStatusCode: 1001, disconnectReason: 'Going away' });
  });
});
