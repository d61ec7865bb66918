import { describe, expect, it } from 'vitest';
import { cachedNameLookup, s3EndpointByAddress, withHost } from './s3-endpoint.js';

describe('the S3 endpoint as an address', () => {
  it('replaces a host name by the address it resolves to, and leaves addresses, loopback and unresolved names', async () => {
    const names: Record<string, string> = { 's3-storage': '10.0.5.7', 'esb-storage.esb-system.svc': '10.96.12.3' };
    const resolve = async (name: string) => names[name];
    expect(await s3EndpointByAddress('http://s3-storage:9000', resolve)).toBe('http://10.0.5.7:9000');
    expect(await s3EndpointByAddress('http://esb-storage.esb-system.svc:9000/', resolve)).toBe('http://10.96.12.3:9000/');
    for (const kept of ['http://127.0.0.1:9000', 'http://localhost:9000', 'http://10.1.2.3:9000', 'http://[::1]:9000', 'http://elsewhere:9000', 'not a url']) expect(await s3EndpointByAddress(kept, resolve)).toBe(kept);
  });

  it('keeps the form of the value it rewrites', () => {
    expect(withHost('https://s3.internal:8443/base?x=1', '10.0.0.2')).toBe('https://10.0.0.2:8443/base?x=1');
    expect(withHost('http://s3:9000', 'fd00::2')).toBe('http://[fd00::2]:9000');
  });

  it('asks DNS once a minute per name, failures included', async () => {
    const asked: string[] = [];
    const lookup = cachedNameLookup(undefined, async (name) => {
      asked.push(name);
      if (name === 'gone') throw new Error('ENOTFOUND');
      return '10.0.0.9';
    });
    expect([await lookup('s3'), await lookup('s3'), await lookup('gone'), await lookup('gone')]).toEqual(['10.0.0.9', '10.0.0.9', undefined, undefined]);
    expect(asked).toEqual(['s3', 'gone']);
  });
});
