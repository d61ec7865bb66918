// A custom resource's answer from a Node.js function that writes https and port 443 in, as AWS's
// cfn-response module does, or hands https.request the ResponseURL itself: both reach the
// function's S3 endpoint (docs/provisioner.md "Custom resources").
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MODULE = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'runtime', 'nodejs', 'sdk-endpoints.mjs')).href;

let server: http.Server;
let port: number;
const received: Array<{ method?: string; url?: string; host?: string; body: string }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, host: req.headers.host, body });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Runs `code` in a Node.js process with the redirect installed as the runtime client installs it; its stdout. */
async function run(code: string): Promise<string> {
  const script = `import { installResponseUrlRedirect } from ${JSON.stringify(MODULE)};
installResponseUrlRedirect();
const { request } = await import('node:https');
const send = (...args) => new Promise((resolve) => {
  let req;
  try {
    req = request(...args, (res) => { res.resume(); res.on('end', () => resolve(String(res.statusCode))); });
  } catch (e) {
    return resolve(e.code);
  }
  req.on('error', (e) => resolve(e.code ?? e.message));
  req.end('{"Status":"SUCCESS"}');
});
${code}`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` } });
  return stdout.trim();
}

describe('custom resource answers from Node.js functions', () => {
  it('reach the S3 endpoint with the Host they were signed for, when https and port 443 are written in', async () => {
    const out = await run(`console.log(await send({ hostname: '127.0.0.1', port: 443, path: '/esb-custom-resources/responses/r1?X-Amz-Signature=s', method: 'PUT' }));`);
    expect(out).toBe('200');
    expect(received.at(-1)).toEqual({ method: 'PUT', url: '/esb-custom-resources/responses/r1?X-Amz-Signature=s', host: `127.0.0.1:${port}`, body: '{"Status":"SUCCESS"}' });
  });

  it('reach it when https.request is given the http ResponseURL itself', async () => {
    const out = await run(`console.log(await send(new URL('http://127.0.0.1:${port}/esb-custom-resources/responses/r2'), { method: 'PUT' }));`);
    expect(out).toBe('200');
    expect(received.at(-1)).toMatchObject({ method: 'PUT', url: '/esb-custom-resources/responses/r2' });
  });

  it('leave every other https request alone', async () => {
    const before = received.length;
    const out = await run(`console.log(await send({ hostname: '127.0.0.1', port: 443, path: '/other/path', method: 'PUT' }));
console.log(await send('http://127.0.0.1:${port}/other/path', { method: 'PUT' }));`);
    // The first goes to port 443 (nothing listens there); the second is refused by Node as an http URL.
    expect(out.split('\n')).toEqual(['ECONNREFUSED', 'ERR_INVALID_PROTOCOL']);
    expect(received.length).toBe(before);
  });
});
