import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_ROUTING } from '../contracts.js';
import { ContractError, YamlSyntaxError } from '../validate.js';
import { decodeRuntimeFile, encodeRuntimeFile, FUNCTIONS_CODEC, IMAGES_CODEC, readRuntimeFile, ROUTING_CODEC, writeRuntimeFile } from './codec.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'esb-codec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runtime-file codecs', () => {
  it('a missing file is the empty value, marked not present', async () => {
    const r = await readRuntimeFile(ROUTING_CODEC, dir);
    expect(r).toEqual({ file: path.join(dir, 'routing.yml'), value: EMPTY_ROUTING, present: false });
  });

  it('what apply writes reads back equal, through the fast path', async () => {
    const routing = { routes: [{ path: '/a/{id}', method: 'GET', function: 'fn', api: 'ServerlessRestApi' }], apis: {} };
    await writeRuntimeFile(ROUTING_CODEC, dir, decodeRuntimeFile(ROUTING_CODEC, JSON.stringify(routing), 'x'));
    const back = await readRuntimeFile(ROUTING_CODEC, dir);
    expect(back.present).toBe(true);
    expect(back.value.routes).toEqual([expect.objectContaining(routing.routes[0])]);
  });

  it('hand-written YAML (anchors, block style) is read too', () => {
    const text = 'defaults: {environment: {}, scaling: {}}\nfunctions:\n  a: &fn\n    image: img:1\n  b: *fn\n';
    const f = decodeRuntimeFile(FUNCTIONS_CODEC, text, 'functions.yml');
    expect(Object.keys(f.functions)).toEqual(['a', 'b']);
  });

  it('a syntax error names file:line:column; a wrong shape names the file and the field', () => {
    expect(() => decodeRuntimeFile(ROUTING_CODEC, 'routes:\n  - {path: /a\n', 'cfg/routing.yml')).toThrow(YamlSyntaxError);
    expect(() => decodeRuntimeFile(ROUTING_CODEC, 'routes:\n  - {path: /a\n', 'cfg/routing.yml')).toThrow(/^cfg\/routing.yml:[1-9]\d*:\d+: /);
    expect(() => decodeRuntimeFile(IMAGES_CODEC, 'images:\n  - {function: f}\n', 'a/images.yml')).toThrow(ContractError);
    expect(() => decodeRuntimeFile(IMAGES_CODEC, 'images:\n  - {function: f}\n', 'a/images.yml')).toThrow(/a\/images.yml: images\[0\]\.image/);
  });

  it('an unreadable file is an error naming it, not an empty config', async () => {
    await writeFile(path.join(dir, 'functions.yml'), 'x');
    await rm(path.join(dir, 'functions.yml'));
    await import('node:fs/promises').then((fs) => fs.mkdir(path.join(dir, 'functions.yml')));
    await expect(readRuntimeFile(FUNCTIONS_CODEC, dir)).rejects.toThrow(/functions.yml: cannot read \(EISDIR\)/);
  });

  it('encodes block YAML to the codec depth', () => {
    expect(encodeRuntimeFile(ROUTING_CODEC, EMPTY_ROUTING, 'head')).toBe('# head\nroutes: []\napis: {}\n');
  });
});
