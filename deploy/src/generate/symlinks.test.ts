// Paths from a template are resolved with symlinks followed and must stay inside the
// template's folder; a code folder's own symlinks are not followed out of it.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SamTemplateError, generateArtifact } from './index.js';

let work: string;
let app: string;
let outside: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'esb-links-'));
  app = join(work, 'app');
  outside = join(work, 'outside');
  mkdirSync(join(app, 'src'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(app, 'src', 'app.py'), 'def handler(e, c):\n    return 1\n');
  writeFileSync(join(outside, 'secret.pem'), 'PRIVATE KEY');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const template = (codeUri: string, layerUri?: string) =>
  [
    'Transform: AWS::Serverless-2016-10-31',
    'Resources:',
    '  Fn:',
    '    Type: AWS::Serverless::Function',
    `    Properties: { Runtime: python3.12, Handler: app.handler, CodeUri: ${codeUri}${layerUri ? ', Layers: [!Ref Lib]' : ''} }`,
    ...(layerUri ? ['  Lib:', '    Type: AWS::Serverless::LayerVersion', `    Properties: { ContentUri: ${layerUri} }`] : []),
    '',
  ].join('\n');

function files(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

describe('symlinks in template paths', () => {
  it.each(['CodeUri', 'ContentUri'])('refuses a %s that is a symlink leading outside the template folder', async (field) => {
    symlinkSync(outside, join(app, 'linked'));
    writeFileSync(join(app, 'template.yml'), field === 'CodeUri' ? template('linked') : template('src', 'linked'));
    const err = await generateArtifact({ templatePath: join(app, 'template.yml'), outDir: join(work, 'out') }).catch((e) => e);
    expect(err).toBeInstanceOf(SamTemplateError);
    expect(err.message).toContain('template.yml');
    expect(err.message).toContain(field);
    expect(err.message).toContain(`"linked" resolves to ${outside} through a symlink, outside the template's folder`);
    expect(existsSync(join(work, 'out'))).toBe(false);
  });

  it('refuses a CodeUri whose parent folder is a symlink leading outside', async () => {
    mkdirSync(join(outside, 'code'));
    symlinkSync(outside, join(app, 'vendor'));
    writeFileSync(join(app, 'template.yml'), template('vendor/code'));
    await expect(generateArtifact({ templatePath: join(app, 'template.yml'), outDir: join(work, 'out') })).rejects.toThrow(/outside the template's folder/);
  });

  it('does not copy what a symlink inside the code folder points at outside (e.g. /etc/ssl), and says so', async () => {
    symlinkSync(outside, join(app, 'src', 'certs'));
    symlinkSync(join(outside, 'secret.pem'), join(app, 'src', 'key.pem'));
    if (existsSync('/etc/ssl')) symlinkSync('/etc/ssl', join(app, 'src', 'ssl'));
    writeFileSync(join(app, 'template.yml'), template('src'));
    const r = await generateArtifact({ templatePath: join(app, 'template.yml'), outDir: join(work, 'out') });
    const copied = files(join(work, 'out'));
    expect(copied.filter((f) => f.includes('/code/'))).toEqual(['app/functions/app-Fn/code/app.py']);
    expect(copied.some((f) => /certs|key\.pem|ssl/.test(f))).toBe(false);
    expect(r.warnings.join('\n')).toContain(`Fn.CodeUri: symlink src/certs -> ${outside} leads outside the template's folder; not copied`);
    expect(r.warnings.join('\n')).toContain('src/key.pem');
  });

  it('follows symlinks that stay inside the template folder, and survives a symlink loop', async () => {
    mkdirSync(join(app, 'shared'));
    writeFileSync(join(app, 'shared', 'util.py'), 'X = 1\n');
    symlinkSync(join(app, 'shared'), join(app, 'src', 'shared'));
    symlinkSync('.', join(app, 'src', 'loop'));
    writeFileSync(join(app, 'template.yml'), template('src'));
    const r = await generateArtifact({ templatePath: join(app, 'template.yml'), outDir: join(work, 'out') });
    expect(files(join(work, 'out', 'app', 'functions', 'app-Fn', 'code')).sort()).toEqual(['app.py', 'shared/util.py']);
    expect(r.warnings.filter((w) => w.includes('symlink'))).toEqual([]);
  });
  it('with a wider code root (the workspace), reads code above the template and still refuses symlinks out of the root', async () => {
    // work/app/infra/template.yml, code in work/app/src; the root is work/app, work/outside is out of it.
    mkdirSync(join(app, 'infra'));
    writeFileSync(join(app, 'infra', 'template.yml'), template('../src'));
    const templatePath = join(app, 'infra', 'template.yml');
    await expect(generateArtifact({ templatePath, outDir: join(work, 'out') })).rejects.toThrow(`"../src" escapes the template's folder`);
    const r = await generateArtifact({ templatePath, outDir: join(work, 'out'), codeRoot: app });
    expect(files(join(work, 'out')).filter((f) => f.includes('/code/'))).toEqual(['infra/functions/infra-Fn/code/app.py']);

    symlinkSync(outside, join(app, 'linked'));
    writeFileSync(templatePath, template('../linked'));
    await expect(generateArtifact({ templatePath, outDir: join(work, 'out2'), codeRoot: app })).rejects.toThrow(`"../linked" resolves to ${outside} through a symlink, outside the workspace`);

    // A local OpenAPI document is read under the same rule, symlinks followed.
    writeFileSync(join(outside, 'api.yaml'), 'openapi: 3.0.1\npaths: {}\n');
    symlinkSync(join(outside, 'api.yaml'), join(app, 'api.yaml'));
    writeFileSync(templatePath, `${template('../src')}  Api:\n    Type: AWS::Serverless::Api\n    Properties: { StageName: Prod, DefinitionUri: ../api.yaml }\n`);
    await expect(generateArtifact({ templatePath, outDir: join(work, 'out3'), codeRoot: app })).rejects.toThrow(/DefinitionUri.*through a symlink, outside/);
  });
});
