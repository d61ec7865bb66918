import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { formatResponse, RequestParser, RuntimeApiServer, type RuntimeRequest, type RuntimeResponder } from './runtime-api-server.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('RequestParser', () => {
  it('parses a request split at every byte, and pipelined requests from one chunk', () => {
    const wire = 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-Two: 1\r\nx-two: 2\r\n\r\nhelloGET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: x\r\n\r\n';
    const byteWise = new RequestParser(100);
    const got = [...wire].flatMap((c) => byteWise.push(b(c)));
    const oneChunk = new RequestParser(100).push(b(wire));
    for (const reqs of [got, oneChunk]) {
      expect(reqs.map((r) => [r.method, r.url, r.body.toString()])).toEqual([
        ['POST', '/a', 'hello'],
        ['GET', '/2018-06-01/runtime/invocation/next', ''],
      ]);
      expect(reqs[0]!.headers['x-two']).toBe('1, 2');
      expect(reqs[0]!.close).toBe(false);
    }
  });

  it('decodes chunked bodies (with extensions and trailers)', () => {
    const p = new RequestParser(100);
    const reqs = p.push(b('POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n'));
    expect(reqs).toHaveLength(1);
    expect(reqs[0]!.body.toString()).toBe('abcdefg');
  });

  it('gives a streaming response body to the taker of its head as it arrives, past the body limit, and keeps its trailers', () => {
    const heads: string[] = [];
    const got: string[] = [];
    const p = new RequestParser(4, undefined, (head) => {
      heads.push(`${head.method} ${head.url} ${head.headers['content-type']}`);
      return head.url.endsWith('/response') ? (bytes) => got.push(bytes.toString()) : undefined;
    });
    const head = 'POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n';
    expect(p.push(b(`${head}5\r\nfirst\r\n`))).toEqual([]);
    expect([heads, got]).toEqual([['POST /2018-06-01/runtime/invocation/r1/response text/plain'], ['first']]);
    expect(p.push(b('6\r\nsecond\r\n'))).toEqual([]);
    const [done] = p.push(b('0\r\nLambda-Runtime-Function-Error-Type: Boom\r\nLambda-Runtime-Function-Error-Body: e30=\r\n\r\n'));
    expect(got).toEqual(['first', 'second']);
    expect([done!.streamed, done!.tooLarge, done!.body.length, done!.trailers]).toEqual([true, false, 0, { 'lambda-runtime-function-error-type': 'Boom', 'lambda-runtime-function-error-body': 'e30=' }]);
    // Declined (or not in streaming mode): read whole, under the limit as any body.
    const declined = new RequestParser(100, undefined, () => undefined).push(b('POST /x HTTP/1.1\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nContent-Length: 2\r\n\r\nok'));
    expect([declined[0]!.streamed, declined[0]!.body.toString()]).toEqual([undefined, 'ok']);
  });

  it('marks a body over the limit as too large and drops its bytes, then goes on', () => {
    const p = new RequestParser(4);
    const reqs = p.push(b('POST /big HTTP/1.1\r\nContent-Length: 6\r\n\r\n123456GET /n HTTP/1.1\r\n\r\n'));
    expect(reqs.map((r) => [r.url, r.tooLarge, r.body.length])).toEqual([
      ['/big', true, 0],
      ['/n', false, 0],
    ]);
    const chunked = new RequestParser(4).push(b('POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n'));
    expect(chunked[0]!.tooLarge).toBe(true);
  });

  it('asks for 100-continue and knows when the connection closes after the answer', () => {
    let continues = 0;
    const p = new RequestParser(100, () => continues++);
    const reqs = p.push(b('POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
    expect(continues).toBe(1);
    expect(reqs[0]!.close).toBe(true);
    expect(new RequestParser(10).push(b('GET / HTTP/1.0\r\n\r\n'))[0]!.close).toBe(true);
  });

  it('never lets a header value break the response head', () => {
    const text = formatResponse(200, { 'lambda-runtime-client-context': '{"a":"x\r\nset-cookie: evil"}' }, Buffer.from('{}'), false).toString();
    expect(text.split('\r\n').filter((l) => /^set-cookie/i.test(l))).toEqual([]);
    expect(text).toContain('lambda-runtime-client-context: {"a":"x set-cookie: evil"}\r\n');
  });

  it('reports malformed input with a status and a reason', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['BLAH\r\n\r\n', 400, /bad request line/],
      ['GET / HTTP/1.1\r\nno-colon\r\n\r\n', 400, /bad header line/],
      ['POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400, /bad content-length/],
      ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 501, /not supported/],
      ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, /bad chunk size/],
    ];
    for (const [wire, status, reason] of cases) {
      const p = new RequestParser(100);
      expect(p.push(b(wire))).toEqual([]);
      expect(p.failed?.status, wire).toBe(status);
      expect(p.failed?.message).toMatch(reason);
    }
    const huge = new RequestParser(100);
    huge.push(b(`GET / HTTP/1.1\r\nx: ${'a'.repeat(20_000)}`));
    expect(huge.failed?.status).toBe(431);
  });
});

describe('RuntimeApiServer', () => {
  let server: RuntimeApiServer | undefined;
  afterEach(() => server?.close());

  /** A server that parks GET /next until `release` and answers POSTs with 202 + the body's length. */
  async function start() {
    const parked: RuntimeResponder[] = [];
    const seen: RuntimeRequest[] = [];
    server = new RuntimeApiServer((req, res) => {
      seen.push(req);
      if (req.method === 'GET') parked.push(res);
      else res.send(req.tooLarge ? 413 : 202, { 'content-type': 'application/json' }, JSON.stringify({ got: req.body.length }));
    }, 1024);
    const port = await server.listen('127.0.0.1');
    return { port, parked, seen };
  }

  function rawClient(port: number) {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const chunks: number[] = [];
    s.on('data', (c) => {
      data += c.toString('utf8');
      chunks.push(c.length);
    });
    const until = async (re: RegExp) => {
      for (let i = 0; i < 200 && !re.test(data); i++) await new Promise((r) => setTimeout(r, 10));
      return data;
    };
    return { s, until, chunks, get data() { return data; } };
  }

  it('answers pipelined requests in order: the 202 waits for the parked /next and both leave in one write', async () => {
    const { port, parked } = await start();
    const c = rawClient(port);
    c.s.write('POST /2018-06-01/runtime/invocation/1/response HTTP/1.1\r\ncontent-length: 2\r\n\r\nokGET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n');
    for (let i = 0; i < 100 && parked.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    // The 202 waits for the pipelined /next: nothing is sent while no event is there.
    await new Promise((r) => setTimeout(r, 50));
    expect(c.data).toBe('');
    parked[0]!.send(200, { 'lambda-runtime-aws-request-id': '2' }, '{"e":1}');
    const data = await c.until(/\{"e":1\}/);
    expect(data.indexOf('HTTP/1.1 202')).toBe(0);
    expect(c.chunks).toHaveLength(1); // one write: the runtime wakes once
    expect(data).toMatch(/HTTP\/1\.1 200 OK\r\nlambda-runtime-aws-request-id: 2\r\ncontent-length: 7\r\n\r\n\{"e":1\}$/);
    c.s.destroy();
  });

  it('holds requests behind a parked one and tells the handler when the client goes away', async () => {
    const { port, parked, seen } = await start();
    const c = rawClient(port);
    c.s.write('GET /next HTTP/1.1\r\n\r\nPOST /after HTTP/1.1\r\ncontent-length: 0\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.map((r) => r.url)).toEqual(['/next']); // /after waits for /next's answer
    parked[0]!.send(200, {}, 'event');
    await c.until(/got/);
    expect(seen.map((r) => r.url)).toEqual(['/next', '/after']);
    c.s.write('GET /next HTTP/1.1\r\n\r\n');
    for (let i = 0; i < 100 && parked.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    const closed = new Promise<void>((resolve) => parked[1]!.onClose(resolve));
    c.s.destroy();
    await closed;
  });

  it('speaks enough HTTP for curl: 100-continue, chunked upload, 413 over the limit, 400 on garbage', async () => {
    const { port, seen } = await start();
    const run = promisify(execFile);
    const big = 'x'.repeat(2000);
    const r1 = await run('curl', ['-s', '-H', 'Expect: 100-continue', '-H', 'Transfer-Encoding: chunked', '--data-binary', 'hello', `http://127.0.0.1:${port}/p`]);
    expect(JSON.parse(r1.stdout)).toEqual({ got: 5 });
    expect(seen.at(-1)!.body.toString()).toBe('hello');
    const r2 = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--data-binary', big, `http://127.0.0.1:${port}/p`]);
    expect(r2.stdout).toBe('413');
    const c = rawClient(port);
    c.s.write('NOT HTTP\r\n\r\n');
    const data = await c.until(/connection: close/);
    expect(data).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(data).toMatch(/bad request line/);
  });
});
