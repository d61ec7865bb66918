// A raw HTTP request to a gateway on 127.0.0.1 with the Host a test names, and the SigV4 headers
// an AWS SDK would sign it with.
import http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../invoke-auth.js';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function send(port: number, host: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers an AWS SDK sends for this request, signed for `service` in us-east-1. */
export async function signedHeaders(o: { host: string; method: string; path: string; body: string; credentials: { accessKeyId: string; secretAccessKey: string }; service: string; headers?: Record<string, string> }): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials: o.credentials, region: 'us-east-1', service: o.service, sha256: NodeSha256 });
  const out = await signer.sign({ method: o.method, protocol: 'http:', hostname: o.host, path: o.path, headers: { host: o.host, ...o.headers }, body: o.body });
  return out.headers as Record<string, string>;
}
