import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseParameterOverrides, readSamConfig, SamConfigError } from './samconfig.js';

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
