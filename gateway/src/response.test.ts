import { describe, expect, it } from 'vitest';
import { mapResponse, MAX_PRELUDE_BYTES, PreludeReader } from './response.js';

const v1 = (x: unknown) => mapResponse(JSON.stringify(x), { format: '1.0' });
const v2 = (x: unknown) => mapResponse(JSON.stringify(x), { format: '2.0' });

describe('mapResponse 1.0', () => {
  it('maps status, headers, multiValueHeaders, body', () => {
    const r = v1({ statusCode: 201, headers: { 'X-A': 'a', 'Content-Type': 'text/plain' }, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] }, body: 'hi' });
    expect(r).toEqual({ ok: true, response: { statusCode: 201, headers: { 'x-a': 'a', 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] }, body: 'hi' } });
  });
  it('defaults content-type to application/json and body to empty', () => {
    expect(v1({ statusCode: 204 })).toEqual({ ok: true, response: { statusCode: 204, headers: { 'content-type': 'application/json' }, body: '' } });
  });
  it('decodes base64 bodies', () => {
    const r = v1({ statusCode: 200, body: Buffer.from([1, 2, 3]).toString('base64'), isBase64Encoded: true });
    expect(r.ok && r.response.body).toEqual(Buffer.from([1, 2, 3]));
  });
  it('keeps base64 text when the API says not to decode (REST without binary media types)', () => {
    const r = mapResponse(JSON.stringify({ statusCode: 200, body: 'AQID', isBase64Encoded: true }), { format: '1.0', decodeBase64: () => false });
    expect(r.ok && r.response.body).toBe('AQID');
  });
  it.each([
    ['not JSON', 'oops'],
    ['no statusCode', JSON.stringify({ body: 'x' })],
    ['a string', JSON.stringify('hello')],
    ['a bad status', JSON.stringify({ statusCode: 'abc' })],
    ['a non-string body', JSON.stringify({ statusCode: 200, body: { a: 1 } })],
    ['an unknown field', JSON.stringify({ statusCode: 200, extra: 1 })],
    ['headers not an object', JSON.stringify({ statusCode: 200, headers: 'x' })],
  ])('rejects %s (502)', (_name, payload) => {
    expect(mapResponse(payload, { format: '1.0' }).ok).toBe(false);
  });
});

describe('mapResponse 2.0', () => {
  it('a value without statusCode is a 200 JSON body', () => {
    expect(v2({ message: 'hi' })).toEqual({ ok: true, response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"message":"hi"}' } });
    expect(v2('Hello from Lambda!')).toMatchObject({ ok: true, response: { statusCode: 200, body: 'Hello from Lambda!' } });
    expect(v2([1, 2])).toMatchObject({ ok: true, response: { body: '[1,2]' } });
    expect(v2(42)).toMatchObject({ ok: true, response: { body: '42' } });
  });
  it('cookies become set-cookie headers', () => {
    const r = v2({ statusCode: 200, cookies: ['a=1', 'b=2; Path=/'], headers: { 'x-y': 'z' }, body: 'ok' });
    expect(r).toEqual({ ok: true, response: { statusCode: 200, headers: { 'x-y': 'z', 'set-cookie': ['a=1', 'b=2; Path=/'], 'content-type': 'application/json' }, body: 'ok' } });
  });
  it('rejects invalid JSON and a bad statusCode', () => {
    expect(mapResponse('{', { format: '2.0' }).ok).toBe(false);
    expect(v2({ statusCode: 1000 }).ok).toBe(false);
  });
});

describe('PreludeReader (a streamed HTTP integration response)', () => {
  const NUL8 = Buffer.alloc(8);

  it('reads the status, headers and cookies once the 8 NUL bytes have come, wherever the chunks split them', () => {
    const wire = Buffer.concat([Buffer.from(JSON.stringify({ statusCode: 201, headers: { 'Content-Type': 'text/html', 'X-A': 1 }, cookies: ['a=1', 'b=2'] })), NUL8, Buffer.from('<p>body')]);
    for (const at of [1, 30, wire.length - 15, wire.length - 11]) {
      const r = new PreludeReader();
      expect(r.push(wire.subarray(0, at))).toBeUndefined();
      const read = r.push(wire.subarray(at));
      expect(read).toEqual({ ok: true, statusCode: 201, headers: { 'content-type': 'text/html', 'x-a': '1', 'set-cookie': ['a=1', 'b=2'] }, rest: Buffer.from('<p>body') });
    }
  });

  it('defaults the status to 200 and names what is wrong with a bad prelude', () => {
    const read = (json: string) => new PreludeReader().push(Buffer.concat([Buffer.from(json), NUL8]));
    expect(read('{}')).toMatchObject({ ok: true, statusCode: 200, headers: {} });
    expect(read('nope')).toEqual({ ok: false, reason: 'the prelude is not JSON' });
    expect(read('{"statusCode":"200"}')).toEqual({ ok: false, reason: 'bad statusCode "200"' });
    expect(read('{"cookies":"a=1"}')).toEqual({ ok: false, reason: 'cookies is not an array' });
    expect(new PreludeReader().push(Buffer.alloc(MAX_PRELUDE_BYTES + 1, 'x'))).toEqual({ ok: false, reason: `no prelude delimiter in the first ${MAX_PRELUDE_BYTES} bytes` });
  });
});
