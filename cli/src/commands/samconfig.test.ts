import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatParameterOverrides, parseParameterOverrides, readSamConfig, saveSamConfig, SamConfigError } from './samconfig.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'esb-samconfig-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('parseParameterOverrides (SAM CLI forms)', () => {
  it('splits on whitespace outside double quotes and unquotes keys and values', () => {
    expect(parseParameterOverrides(['A=1 B="two words" C="say \\"hi\\"" D=x=y', 'ParameterKey=E,ParameterValue="e e"'])).toEqual({ A: '1', B: 'two words', C: 'say "hi"', D: 'x=y', E: 'e e' });
    expect(() => parseParameterOverrides(['A="open'])).toThrow('has an unclosed double quote');
    expect(() => parseParameterOverrides(['novalue'])).toThrow('"novalue" is not KEY=VALUE');
  });
});

describe('readSamConfig', () => {
  it('takes the config env\'s global parameters, then its deploy ones over them, from samconfig.toml', async () => {
    await writeFile(
      path.join(dir, 'samconfig.toml'),
      'version = 0.1\n[default.global.parameters]\nstack_name = "app"\nparameter_overrides = "A=global B=global"\n[default.deploy.parameters]\nparameter_overrides = "B=deploy"\n[default.build.parameters]\nparameter_overrides = "C=build"\n[prod.deploy.parameters]\nstack_name = "app-prod"\nparameter_overrides = ["A=1", "B=\\"two words\\""]\n',
    );
    expect(await readSamConfig(dir, { command: 'deploy' })).toEqual({
      file: path.join(dir, 'samconfig.toml'),
      sections: ['default.global', 'default.deploy'],
      stackName: 'app',
      parameterOverrides: { A: 'global', B: 'deploy' },
    });
    expect(await readSamConfig(dir, { command: 'deploy', configEnv: 'prod' })).toMatchObject({ stackName: 'app-prod', parameterOverrides: { A: '1', B: 'two words' } });
    await expect(readSamConfig(dir, { command: 'deploy', configEnv: 'qa' })).rejects.toThrow(`${path.join(dir, 'samconfig.toml')}: no config env "qa" (it has default, prod)`);
  });

  it('reads samconfig.yaml when there is no samconfig.toml, and a named --config-file relative to the template', async () => {
    expect(await readSamConfig(dir, { command: 'deploy' })).toBeUndefined();
    await writeFile(path.join(dir, 'samconfig.yaml'), 'version: 0.1\ndefault:\n  deploy:\n    parameters:\n      stack_name: from-yaml\n');
    expect(await readSamConfig(dir, { command: 'deploy' })).toMatchObject({ stackName: 'from-yaml', sections: ['default.deploy'] });
    await writeFile(path.join(dir, 'other.toml'), '[default.deploy.parameters]\nstack_name = "other"\n');
    expect(await readSamConfig(dir, { command: 'deploy', configFile: 'other.toml' })).toMatchObject({ stackName: 'other' });
    await expect(readSamConfig(dir, { command: 'deploy', configFile: 'missing.toml' })).rejects.toThrow(`${path.join(dir, 'missing.toml')}: cannot read it (ENOENT)`);
  });

  it('names the file and the field of bad input', async () => {
    const file = path.join(dir, 'samconfig.toml');
    await writeFile(file, '[default.deploy.parameters\n');
    const syntax = await readSamConfig(dir, { command: 'deploy' }).catch((e: unknown) => e);
    expect(syntax).toBeInstanceOf(SamConfigError);
    expect((syntax as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .+`));
    await writeFile(file, '[default.deploy.parameters]\nparameter_overrides = 5\n');
    await expect(readSamConfig(dir, { command: 'deploy' })).rejects.toThrow(`${file}: default.deploy.parameters.parameter_overrides: must be a string ("K=V K2=V2") or a list of strings`);
    await writeFile(file, '[default.deploy.parameters]\nparameter_overrides = "A=ok B"\n');
    await expect(readSamConfig(dir, { command: 'deploy' })).rejects.toThrow(`${file}: default.deploy.parameters.parameter_overrides: "B" is not KEY=VALUE`);
    await writeFile(file, '[default.deploy.parameters]\nstack_name = 1\n');
    await expect(readSamConfig(dir, { command: 'deploy' })).rejects.toThrow(`${file}: default.deploy.parameters.stack_name: must be a string`);
  });
});

describe('saveSamConfig (what esb deploy --guided writes)', () => {
  const values = { stackName: 'shop', parameterOverrides: { Email: 'me@x.io', Note: 'say "hi" \\ bye' } };

  it('writes overrides in SAM\'s quoted form, which reads back as given', () => {
    expect(formatParameterOverrides(values.parameterOverrides)).toBe('Email="me@x.io" Note="say \\"hi\\" \\\\ bye"');
    expect(parseParameterOverrides([formatParameterOverrides(values.parameterOverrides)])).toEqual(values.parameterOverrides);
  });

  it('creates samconfig.toml when there is none, and reads back through readSamConfig', async () => {
    expect(await saveSamConfig(dir, {}, values)).toEqual({ file: path.join(dir, 'samconfig.toml'), section: 'default.deploy.parameters' });
    expect(await readSamConfig(dir, { command: 'deploy' })).toMatchObject({ stackName: 'shop', parameterOverrides: values.parameterOverrides, sections: ['default.deploy'] });
  });

  it('changes only stack_name and parameter_overrides of the config env\'s deploy table; comments and other tables stay', async () => {
    const before = `# team settings
version = 0.1

[default.deploy.parameters]
stack_name = "old" # the old name
capabilities = "CAPABILITY_IAM"

[default.build.parameters]
cached = true
`;
    await writeFile(path.join(dir, 'samconfig.toml'), before);
    await saveSamConfig(dir, {}, values);
    const after = await readFile(path.join(dir, 'samconfig.toml'), 'utf8');
    expect(after).toBe(before.replace('stack_name = "old" # the old name', `parameter_overrides = ${JSON.stringify(formatParameterOverrides(values.parameterOverrides))}\nstack_name = "shop"`));
    // Another config env gets its own table, appended.
    await saveSamConfig(dir, { configEnv: 'prod' }, { stackName: 'shop-prod', parameterOverrides: { Email: 'ops@x.io' } });
    expect(await readSamConfig(dir, { command: 'deploy', configEnv: 'prod' })).toMatchObject({ stackName: 'shop-prod', parameterOverrides: { Email: 'ops@x.io' } });
    expect(await readSamConfig(dir, { command: 'deploy' })).toMatchObject({ stackName: 'shop' });
  });

  it('refuses to rewrite a value that spans lines, and writes nothing', async () => {
    const before = 'version = 0.1\n[default.deploy.parameters]\nparameter_overrides = [\n  "A=1",\n]\n';
    await writeFile(path.join(dir, 'samconfig.toml'), before);
    await expect(saveSamConfig(dir, {}, values)).rejects.toThrow(/default\.deploy\.parameters\.parameter_overrides: is not a one-line string, so esb does not rewrite it; nothing was written\. Set it yourself: parameter_overrides = /);
    expect(await readFile(path.join(dir, 'samconfig.toml'), 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['samconfig.toml']);
  });

  it('sets the keys in a samconfig.yaml, keeping its comments', async () => {
    await writeFile(path.join(dir, 'samconfig.yaml'), '# mine\nversion: 0.1\ndefault:\n  global:\n    parameters:\n      region: eu-west-1\n');
    expect((await saveSamConfig(dir, {}, values)).file).toBe(path.join(dir, 'samconfig.yaml'));
    const text = await readFile(path.join(dir, 'samconfig.yaml'), 'utf8');
    expect(text.startsWith('# mine\n')).toBe(true);
    expect(await readSamConfig(dir, { command: 'deploy' })).toMatchObject({ stackName: 'shop', parameterOverrides: values.parameterOverrides });
  });
});
