import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatewaySecurity, parseJwksSetting } from './settings.js';

describe('gateway security settings', () => {
  it('merges API keys and JWKS locations from ~/.esb/config.yaml and the environment', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'esb-home-'));
    await mkdir(path.join(home, '.esb'));
    await writeFile(path.join(home, '.esb', 'config.yaml'), 'api_keys: [from-file]\njwks:\n  https://a.test: /keys/a.json\n');
    const security = await gatewaySecurity({ ESB_API_KEYS: 'k1, k2', ESB_JWKS: 'https://b.test/=https://b.test/keys' }, home);
    expect([...security.apiKeys()].sort()).toEqual(['from-file', 'k1', 'k2']);
    expect(security.jwksLocations).toEqual({ 'https://a.test': '/keys/a.json', 'https://b.test/': 'https://b.test/keys' });
  });

  it('names the variable of a malformed JWKS setting', () => {
    expect(() => parseJwksSetting('https://a.test', 'ESB_JWKS')).toThrow('ESB_JWKS: "https://a.test" is not <issuer>=<JWKS URL or file>');
  });
});
