import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ArtifactFile, FunctionsFile, ResourcesFile } from '@esb/contracts';
import { TEMPLATES } from './corpus.js';
import { ArtifactOutputError, SamTemplateError, generateArtifact, readZip, renderArtifact, templateInputsDigest, type CodeListing } from './index.js';
import { BUILTIN_DIR } from './fs-adapter.js';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'esb-gen-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function copyCase(name: string): string {
  const dir = join(work, name);
  cpSync(join(TEMPLATES, name), dir, { recursive: true });
  rmSync(join(dir, 'expected'), { recursive: true, force: true });
  return dir;
}

function tree(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) Object.assign(out, tree(p, `${prefix}${n}/`));
    else out[`${prefix}${n}`] = readFileSync(p, 'base64');
  }
  return out;
}

describe('generateArtifact', () => {
  it('writes the decided layout, valid against the contracts', async () => {
    const dir = copyCase('layers');
    const out = join(work, 'out');
    const r = await generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: out, project: 'demo', env: 'dev' });
    expect(r.artifactPath).toBe(join(out, 'artifact.yml'));
    const artifact = ArtifactFile.parse(parse(readFileSync(r.artifactPath, 'utf8')));
    // template.yaml: the stack is named after its folder, as SAM names an app.
    expect(artifact.artifacts[0]).toMatchObject({ artifact_root: 'layers', runtime_config_dir: 'layers/config', digest: r.digest });
    expect(artifact.artifacts[0].source_template.path).toBe('../layers/template.yaml');
    expect(artifact.generated_at).toBeUndefined();
    const fns = FunctionsFile.parse(parse(readFileSync(join(out, 'layers/config/functions.yml'), 'utf8')));
    expect(fns.functions['layers-UsesLayersFunction'].code).toBe('functions/layers-UsesLayersFunction/code');
    expect(readFileSync(join(out, 'layers/functions/layers-ZippedCodeFunction/code/main.py'), 'utf8')).toContain('zipped');
    expect(existsSync(join(out, 'layers/layers/VendorLayer/python/vendor/__init__.py'))).toBe(true);
    expect(existsSync(join(out, 'layers/layers/common-utils/python/common/__init__.py'))).toBe(true);
    expect(readdirSync(work).sort()).toEqual(['layers', 'out']);
  });

  it('is deterministic: same inputs, byte-identical files and digest', async () => {
    const dir = copyCase('multi-function-api');
    const a = await generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: join(work, 'a') });
    const b = await generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: join(work, 'b') });
    expect(b.digest).toBe(a.digest);
    expect(tree(join(work, 'b'))).toEqual(tree(join(work, 'a')));
  });

  it('changes the function digest and image tag when code, layers or config change', async () => {
    const dir = copyCase('layers');
    const out = join(work, 'out');
    const read = () => {
      const fns = FunctionsFile.parse(parse(readFileSync(join(out, 'layers/config/functions.yml'), 'utf8'))).functions;
      return { UsesLayersFunction: fns['layers-UsesLayersFunction'], ZippedCodeFunction: fns['layers-ZippedCodeFunction'] };
    };
    const r1 = await generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: out });
    const f1 = read();
    writeFileSync(join(dir, 'layers/common/python/common/__init__.py'), 'def greet(n):\n    return n\n');
    const r2 = await generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: out });
    const f2 = read();
    expect(r2.digest).not.toBe(r1.digest);
    expect(f2.UsesLayersFunction.digest).not.toBe(f1.UsesLayersFunction.digest);
    expect(f2.UsesLayersFunction.image).not.toBe(f1.UsesLayersFunction.image);
    writeFileSync(join(dir, 'fn/app.py'), 'changed = True\n');
    await generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: out });
    const f3 = read();
    expect(f3.UsesLayersFunction.digest).not.toBe(f2.UsesLayersFunction.digest);
    expect(f3.ZippedCodeFunction.digest).toBe(f2.ZippedCodeFunction.digest);
    await generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: out, baseImages: { python3: 'public.ecr.aws/lambda/python:3.12' } });
    expect(read().ZippedCodeFunction.digest).not.toBe(f3.ZippedCodeFunction.digest);
    expect(readFileSync(join(out, 'layers/functions/layers-ZippedCodeFunction/Dockerfile'), 'utf8')).toContain('ARG BASE_IMAGE=public.ecr.aws/lambda/python:3.12');
  });

  it('writes nothing when generation fails, and keeps the previous artifact', async () => {
    const dir = copyCase('hello-python');
    const out = join(work, 'out');
    await generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: out });
    const before = tree(out);
    rmSync(join(dir, 'hello_world'), { recursive: true });
    await expect(generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: out })).rejects.toBeInstanceOf(SamTemplateError);
    expect(tree(out)).toEqual(before);
    await expect(generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: join(work, 'never') })).rejects.toThrow(/CodeUri: "hello_world" does not exist/);
    expect(readdirSync(work).sort()).toEqual(['hello-python', 'out']);
  });

  it('refuses to replace a non-empty folder that is not an artifact', async () => {
    const dir = copyCase('hello-node');
    const out = join(work, 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'precious.txt'), 'keep me');
    await expect(generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: out })).rejects.toBeInstanceOf(ArtifactOutputError);
    expect(readdirSync(out)).toEqual(['precious.txt']);
  });

  it('keeps the executable bit of zip entries and copied files', async () => {
    const dir = join(work, 'app');
    mkdirSync(join(dir, 'z'), { recursive: true });
    writeFileSync(join(dir, 'z/run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    writeFileSync(join(dir, 'z/index.py'), 'x = 1\n');
    execFileSync('zip', ['-q', '-X', join(dir, 'code.zip'), 'run.sh', 'index.py'], { cwd: join(dir, 'z') });
    writeFileSync(join(dir, 't.yml'), 'Resources:\n  A: {Type: AWS::Serverless::Function, Properties: {CodeUri: code.zip, Handler: index.h, Runtime: python3.12}}\n  B: {Type: AWS::Serverless::Function, Properties: {CodeUri: z, Handler: index.h, Runtime: python3.12}}\n');
    await generateArtifact({ templatePath: join(dir, 't.yml'), outDir: join(work, 'o') });
    expect(statSync(join(work, 'o/t/functions/t-A/code/run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(join(work, 'o/t/functions/t-B/code/run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(join(work, 'o/t/functions/t-A/code/index.py')).mode & 0o111).toBe(0);
  });

  it('runs provided.* functions from the bootstrap of their code (its image starts it), and refuses code without one or inline code', async () => {
    const app = join(work, 'custom');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'src', 'bootstrap'), '#!/bin/sh\n', { mode: 0o755 });
    const template = (props: string) => `Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: provided.al2023, Handler: bootstrap, ${props}}\n`;
    writeFileSync(join(app, 'template.yaml'), template('CodeUri: src/'));
    const r = await generateArtifact({ templatePath: join(app, 'template.yaml'), outDir: join(work, 'out') });
    expect(r.warnings).toEqual([]);
    const dockerfile = readFileSync(join(r.artifactRoot, 'functions', 'custom-Fn', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('ARG BASE_IMAGE=esb-base:bookworm');
    expect(dockerfile).toContain('ENTRYPOINT ["/var/task/bootstrap"]');
    expect(statSync(join(r.artifactRoot, 'functions', 'custom-Fn', 'code', 'bootstrap')).mode & 0o111).not.toBe(0);

    rmSync(join(app, 'src', 'bootstrap'));
    writeFileSync(join(app, 'src', 'main.go'), 'package main\n');
    const missing = await generateArtifact({ templatePath: join(app, 'template.yaml'), outDir: join(work, 'out2') }).catch((e) => e);
    expect(missing).toBeInstanceOf(SamTemplateError);
    expect(missing.message).toContain('Fn.CodeUri: a provided.al2023 function needs a file named bootstrap at the root of its code ("src")');
    writeFileSync(join(app, 'template.yaml'), template('InlineCode: "echo hi"'));
    await expect(generateArtifact({ templatePath: join(app, 'template.yaml'), outDir: join(work, 'out3') })).rejects.toThrow('Fn.InlineCode: a provided.al2023 function runs the bootstrap file of its code, which inline code cannot give');
  });

  it('runs a go1.x function from the executable its Handler names (its image starts that), with a deprecation warning; code without it is refused', async () => {
    const app = join(work, 'gox');
    mkdirSync(join(app, 'bin'), { recursive: true });
    writeFileSync(join(app, 'bin', 'hello'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(app, 'template.yaml'), 'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: go1.x, Handler: hello, CodeUri: bin/}\n');
    const r = await generateArtifact({ templatePath: join(app, 'template.yaml'), outDir: join(work, 'out') });
    expect(r.warnings).toEqual(['Fn: runtime go1.x is deprecated by AWS Lambda; esb runs it on the executable its Handler names, over the Runtime API (as aws-lambda-go runs on provided.al2023)']);
    expect(readFileSync(join(r.artifactRoot, 'functions', 'gox-Fn', 'Dockerfile'), 'utf8')).toContain('ENTRYPOINT ["/var/task/hello"]');
    writeFileSync(join(app, 'template.yaml'), 'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: go1.x, Handler: other, CodeUri: bin/}\n');
    const missing = await generateArtifact({ templatePath: join(app, 'template.yaml'), outDir: join(work, 'out2') }).catch((e) => e);
    expect(missing.message).toContain('Fn.Metadata.BuildMethod: a go1.x function needs a file named other at the root of its code ("bin", as built)');
  });

  it('writes EventInvokeConfig.MaximumRetryAttempts to functions.yml as async_retries', async () => {
    const app = join(work, 'retries');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'template.yaml'), 'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.12, Handler: a.h, InlineCode: x, EventInvokeConfig: {MaximumRetryAttempts: 1}}\n');
    const r = await generateArtifact({ templatePath: join(app, 'template.yaml'), outDir: join(work, 'out') });
    const functions = FunctionsFile.parse(parse(readFileSync(join(r.artifactRoot, 'config', 'functions.yml'), 'utf8')));
    expect(functions.functions['retries-Fn'].async_retries).toBe(1);
  });

  it('writes subscriptions to functions.yml by <topic>/<id>; a template of topics and subscriptions alone defines something esb runs', async () => {
    const app = join(work, 'topics');
    mkdirSync(app, { recursive: true });
    writeFileSync(
      join(app, 'template.yaml'),
      'Resources:\n  Topic: {Type: AWS::SNS::Topic}\n  Sub:\n    Type: AWS::SNS::Subscription\n    Properties: {TopicArn: !Ref Topic, Protocol: lambda, Endpoint: "arn:aws:lambda:us-east-1:123456789012:function:elsewhere"}\n',
    );
    const r = await generateArtifact({ templatePath: join(app, 'template.yaml'), outDir: join(work, 'out') });
    const functions = FunctionsFile.parse(parse(readFileSync(join(r.artifactRoot, 'config', 'functions.yml'), 'utf8')));
    expect(functions.subscriptions).toEqual({ 'topics-Topic/Sub': { topic: 'topics-Topic', id: 'Sub', function: 'elsewhere', filter_scope: 'MessageAttributes', raw: false } });
    expect(r.summary.subscriptions).toBe(1);
    expect(r.warnings.filter((w) => w.includes('nothing esb runs'))).toEqual([]);
  });

  it('writes Kinesis streams to resources.yml `kinesis` and their mappings to functions.yml; a template of streams alone defines something esb runs', async () => {
    const app = join(work, 'clicks');
    mkdirSync(app, { recursive: true });
    writeFileSync(
      join(app, 'template.yaml'),
      `Resources:
  Clicks: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 2, RetentionPeriodHours: 48}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      InlineCode: x
      Events:
        Stream: {Type: Kinesis, Properties: {Stream: !GetAtt Clicks.Arn, StartingPosition: LATEST, BatchSize: 10, BisectBatchOnFunctionError: true}}
`,
    );
    const r = await generateArtifact({ templatePath: join(app, 'template.yaml'), outDir: join(work, 'out') });
    expect(ResourcesFile.parse(parse(readFileSync(join(r.artifactRoot, 'config', 'resources.yml'), 'utf8'))).resources.kinesis).toEqual([{ Name: 'clicks-Clicks', ShardCount: 2, RetentionPeriodHours: 48 }]);
    const functions = FunctionsFile.parse(parse(readFileSync(join(r.artifactRoot, 'config', 'functions.yml'), 'utf8')));
    expect(functions.functions['clicks-Fn'].events).toEqual([
      { type: 'kinesis', name: 'FnStream', stream: 'clicks-Clicks', starting_position: 'LATEST', batch_size: 10, batching_window_seconds: 0, maximum_retry_attempts: -1, maximum_record_age_seconds: -1, report_batch_item_failures: false, bisect_batch_on_function_error: true, parallelization_factor: 1, enabled: true },
    ]);
    expect(r.summary.streams).toBe(1);
    expect(r.warnings).toEqual([]);

    writeFileSync(join(app, 'template.yaml'), 'Resources:\n  Clicks: {Type: AWS::Kinesis::Stream}\n');
    const alone = await generateArtifact({ templatePath: join(app, 'template.yaml'), outDir: join(work, 'out2') });
    expect(alone.warnings.filter((w) => w.includes('nothing esb runs'))).toEqual([]);
  });

  it('copies the built-in handler of a direct service integration into its function, which runs like inline Node code (docs/gateway.md, "Service integrations")', async () => {
    const dir = copyCase('service-integrations');
    const r = await generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: join(work, 'out'), mode: 'process' });
    expect(r.warnings).toEqual([]);
    const key = 'service-integrations-SubmitApiPostSubmitIntegration';
    const fn = FunctionsFile.parse(parse(readFileSync(join(r.artifactRoot, 'config', 'functions.yml'), 'utf8'))).functions[key];
    expect(fn).toMatchObject({ runtime: 'nodejs20.x', handler: 'service-integration.handler', code: `functions/${key}/code` });
    expect(readdirSync(join(r.artifactRoot, fn.code as string))).toEqual(['service-integration.mjs']);
    expect(readFileSync(join(r.artifactRoot, fn.code as string, 'service-integration.mjs'), 'utf8')).toBe(readFileSync(join(BUILTIN_DIR, 'service-integration.mjs'), 'utf8'));
    expect(readFileSync(join(r.artifactRoot, 'functions', key, 'Dockerfile'), 'utf8')).toBe(`ARG BASE_IMAGE=esb-runtime:nodejs\nFROM \${BASE_IMAGE}\nCOPY functions/${key}/code/ /var/task/\nCMD ["service-integration.handler"]\n`);
    expect(r.builds.map((b) => b.function)).toContain(key);
  });

  it('gives a built-in function a new digest when the handler esb ships changes, and needs its listing', () => {
    const template = readFileSync(join(TEMPLATES, 'service-integrations', 'template.yaml'), 'utf8');
    const file = 'service-integration.mjs';
    const listing = (sha256: string): CodeListing => ({ entries: [{ path: file, sha256, source: { content: new Uint8Array() } }] });
    const code = { src: { entries: [] } };
    const render = (builtins?: Record<string, CodeListing>) => renderArtifact(template, { file: 'template.yaml', stackName: 's', code, builtins }).config.functions.functions['s-EventsIntegration'].digest;
    expect(render({ [file]: listing('a'.repeat(64)) })).not.toBe(render({ [file]: listing('b'.repeat(64)) }));
    expect(() => render()).toThrow('template.yaml: SubmitApiPostSubmitIntegration: no listing for the built-in handler "service-integration.mjs" (the adapter did not read it)');
  });

  it('takes generated_at only when given', async () => {
    const dir = copyCase('hello-node');
    const r = await generateArtifact({ templatePath: join(dir, 'template.yaml'), outDir: join(work, 'o'), generatedAt: '2020-01-01T00:00:00.000Z' });
    expect(parse(readFileSync(r.artifactPath, 'utf8')).generated_at).toBe('2020-01-01T00:00:00.000Z');
  });
});

describe('templateInputsDigest', () => {
  it('changes with the template, the overrides and referenced files, and lists the folders', async () => {
    const dir = copyCase('params-conditions-mappings');
    const t = join(dir, 'template.yaml');
    const d1 = await templateInputsDigest(t);
    expect(d1.referencedPaths).toEqual([join(dir, 'src')]);
    expect((await templateInputsDigest(t)).digest).toBe(d1.digest);
    expect((await templateInputsDigest(t, { Env: 'prod' })).digest).not.toBe(d1.digest);
    writeFileSync(join(dir, 'src/extra.py'), '');
    const d2 = await templateInputsDigest(t);
    expect(d2.digest).not.toBe(d1.digest);
    writeFileSync(t, `${readFileSync(t, 'utf8')}\n# comment\n`);
    expect((await templateInputsDigest(t)).digest).not.toBe(d2.digest);
  });

  it("covers a nested application's template and code: a change in either is a new digest", async () => {
    const dir = join(work, 'nested');
    mkdirSync(join(dir, 'users/src'), { recursive: true });
    writeFileSync(join(dir, 'template.yaml'), 'Transform: AWS::Serverless-2016-10-31\nResources:\n  Users:\n    Type: AWS::Serverless::Application\n    Properties: {Location: users/template.yaml}\n');
    const child = join(dir, 'users/template.yaml');
    writeFileSync(child, 'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.12, Handler: a.h, CodeUri: src/}\n');
    writeFileSync(join(dir, 'users/src/a.py'), 'def h(e, c): pass\n');
    const d1 = await templateInputsDigest(join(dir, 'template.yaml'));
    expect(d1.referencedPaths).toEqual([join(dir, 'users/src'), child]);
    writeFileSync(join(dir, 'users/src/a.py'), 'def h(e, c): return 1\n');
    const d2 = await templateInputsDigest(join(dir, 'template.yaml'));
    expect(d2.digest).not.toBe(d1.digest);
    writeFileSync(child, `${readFileSync(child, 'utf8')}# comment\n`);
    expect((await templateInputsDigest(join(dir, 'template.yaml'))).digest).not.toBe(d2.digest);
  });

  it('still gives a digest for a template that does not parse', async () => {
    const d = await templateInputsDigest(join(TEMPLATES, 'invalid-yaml-syntax/template.yaml'));
    expect(d.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(d.referencedPaths).toEqual([]);
  });
});

describe('readZip', () => {
  it('reads stored and deflated entries and rejects entries escaping the root', () => {
    const src = join(work, 'z');
    mkdirSync(join(src, 'a'), { recursive: true });
    writeFileSync(join(src, 'a/big.txt'), 'x'.repeat(5000));
    writeFileSync(join(src, 'small.txt'), 'hi');
    execFileSync('zip', ['-q', '-r', join(work, 'ok.zip'), 'a', 'small.txt'], { cwd: src });
    const entries = readZip(readFileSync(join(work, 'ok.zip')));
    expect(entries.map((e) => [e.path, e.data.toString().length])).toEqual([
      ['a/big.txt', 5000],
      ['small.txt', 2],
    ]);
    const bad = readFileSync(join(work, 'ok.zip'));
    for (let i = bad.indexOf('small.txt'); i >= 0; i = bad.indexOf('small.txt', i + 1)) bad.write('../mal.tx', i);
    expect(() => readZip(bad)).toThrow(/escapes the archive/);
    expect(() => readZip(Buffer.from('not a zip at all, really not'))).toThrow(/not a zip/);
  });
});
