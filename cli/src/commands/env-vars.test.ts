import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEnvVarsFile } from './env-vars.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'esb-env-vars-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('reading an --env-vars file', () => {
  const file = async (text: string) => {
    const f = path.join(dir, 'env.json');
    await writeFile(f, text);
    return f;
  };

  it('takes SAM CLI\'s form, numbers and booleans as text', async () => {
    expect(await readEnvVarsFile(await file('{"Parameters": {"DEBUG": true}, "Api": {"PORT": 8080, "KEY": "k"}}'))).toEqual({ Parameters: { DEBUG: 'true' }, Api: { PORT: '8080', KEY: 'k' } });
  });

  it('names the file and the field of what it refuses', async () => {
    const f = await file('{"Api": {"KEY": {"nested": 1}}}');
    await expect(readEnvVarsFile(f)).rejects.toThrow(`${f}: Api.KEY: must be a string, number or boolean`);
    await expect(readEnvVarsFile(await file('{"Api": ["KEY"]}'))).rejects.toThrow('env.json: Api: must be an object of variable -> value');
    await expect(readEnvVarsFile(await file('{"Api": {"1BAD": "x"}}'))).rejects.toThrow('env.json: Api.1BAD: is not an environment variable name');
    await expect(readEnvVarsFile(await file('[1]'))).rejects.toThrow('env.json: must be an object');
    await expect(readEnvVarsFile(await file('{nope'))).rejects.toThrow('env.json: not JSON');
    await expect(readEnvVarsFile(path.join(dir, 'missing.json'))).rejects.toThrow('missing.json: cannot read it (ENOENT)');
  });
});
