// SAM apps that need `sam build`, deployed unchanged with `esb deploy -t <app>/template.yaml`
// into a running `esb dev` (process runtime, ephemeral ports): TypeScript + esbuild, Node with
// npm dependencies, Python requirements.txt with a local package, built layers, a Makefile.
import { cp, mkdtemp, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDev, type RunningDev } from '@esb/cli';
import { esb, eventually } from '@esb/controller/testing';

const APPS = path.dirname(fileURLToPath(import.meta.url));

/** Every folder named `name` under `root` (node_modules included). */
async function findDirs(root: string, name: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      if (e.name === name) out.push(p);
      await walk(p);
    }
  };
  await walk(root);
  return out;
}

const json = async (res: Response) => ({ status: res.status, body: JSON.parse(await res.text()) as Record<string, unknown> });

describe('SAM apps with a build step, deployed unchanged (esb dev, process runtime)', () => {
  let ws: string;
  let dev: RunningDev;
  let base: string;
  const savedPipConfig = process.env.PIP_CONFIG_FILE;

  const deploy = async (template: string, name: string) => {
    const result = await esb(['deploy', '-t', template, '--name', name, '--workspace', ws, '--timeout', '170s'], {}, 180_000);
    if (result.code !== 0) throw new Error(`esb deploy ${name} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
    return result;
  };

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-build-apps-'));
    // The user's pip configuration is respected; no package index is reachable here, so this
    // one says "no index": the local packages that requirements.txt names are all pip needs.
    const pipConf = path.join(ws, 'pip.conf');
    await writeFile(pipConf, '[global]\nno-index = true\ndisable-pip-version-check = true\n');
    process.env.PIP_CONFIG_FILE = pipConf;
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, runtime: 'process', examples: false, log: pino({ level: 'silent' }) });
    base = dev.info.gateway;
  }, 60_000);

  afterAll(async () => {
    await dev?.close();
    if (savedPipConfig === undefined) delete process.env.PIP_CONFIG_FILE;
    else process.env.PIP_CONFIG_FILE = savedPipConfig;
    await rm(ws, { recursive: true, force: true });
  });

  it('ts-esbuild: TypeScript bundled by esbuild (cjs with a source map, esm with .mjs and a banner) answers every route', async () => {
    const deployed = await deploy(path.join(APPS, 'ts-esbuild', 'template.yaml'), 'ts-esbuild');
    expect(deployed.stdout).toMatch(/Generated: 2 functions, 2 routes, 0 resources; built 2: HelloWorldFunction esbuild .*, GreetFunction esbuild/);
    expect(await json(await fetch(`${base}/hello`))).toEqual({ status: 200, body: { message: 'hello world', path: '/hello' } });
    expect(await json(await fetch(`${base}/greet/ada?loud=true`))).toEqual({ status: 200, body: { message: 'HELLO ADA!', module: 'esm' } });
    expect(await json(await fetch(`${base}/greet/bob`))).toEqual({ status: 200, body: { message: 'hello bob', module: 'esm' } });
    // The bundle is what runs: the sources stay as they are, with no output written beside them.
    expect(existsSync(path.join(APPS, 'ts-esbuild', 'hello-world', 'app.js'))).toBe(false);
    const bundles = await findDirs(path.join(ws, '.esb', 'staging'), 'code');
    const files = (await Promise.all(bundles.map((d) => readdir(d)))).flat();
    expect(files.some((f) => f.includes('HelloWorldFunction'))).toBe(true);
  }, 200_000);

  it("TypeScript with Tracing: Active and esbuild's Sourcemap (sam init's Hello World TypeScript + Powertools shape): sampled trace header, on-demand, stack traces at the .ts line", async () => {
    const app = path.join(ws, 'apps', 'traced');
    await mkdir(path.join(app, 'src'), { recursive: true });
    // Line 4 throws.
    await writeFile(
      path.join(app, 'src', 'app.ts'),
      [
        'type Ask = { fail?: boolean };',
        '',
        'export const handler = async (ask: Ask): Promise<Record<string, string | null>> => {',
        "  if (ask.fail) throw new Error('asked to fail');",
        '  return { trace: process.env._X_AMZN_TRACE_ID ?? null, initialization: process.env.AWS_LAMBDA_INITIALIZATION_TYPE ?? null, nodeOptions: process.env.NODE_OPTIONS ?? null };',
        '};',
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(app, 'template.yaml'),
      'Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Tracing: Active\nResources:\n  HelloWorldFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.handler\n      Runtime: nodejs20.x\n    Metadata:\n      BuildMethod: esbuild\n      BuildProperties:\n        Minify: true\n        Sourcemap: true\n        EntryPoints: [app.ts]\n',
    );
    await deploy(path.join(app, 'template.yaml'), 'traced');
    const invoke = (event: string) => esb(['invoke', 'HelloWorldFunction', '--stack-name', 'traced', '--event-json', event, '--workspace', ws], {}, 60_000);
    const ok = await invoke('{}');
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ trace: expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/), initialization: 'on-demand', nodeOptions: '--enable-source-maps' });
    // The Lambda Invoke API (aws lambda invoke), without a trace header of its own.
    const viaApi = await fetch(`${base}/2015-03-31/functions/traced-HelloWorldFunction/invocations`, { method: 'POST', body: '{}' });
    expect((await viaApi.json()).trace).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
    // The minified bundle runs; its source map names the TypeScript line that threw.
    const failed = await invoke('{"fail":true}');
    expect(failed.code).toBe(1);
    const doc = JSON.parse(failed.stdout) as { errorMessage: string; stackTrace: string[] };
    expect(doc.errorMessage).toBe('asked to fail');
    expect(doc.stackTrace[0]).toMatch(/app\.ts:4:\d+\)$/);
  }, 200_000);

  it('node-npm-deps: production dependencies installed once for two functions sharing CodeUri; dev dependencies never deployed', async () => {
    const deployed = await deploy(path.join(APPS, 'node-npm-deps', 'template.yaml'), 'node-npm-deps');
    expect(deployed.stdout).toMatch(/built 1: HelloWorldFunction\+DurationFunction npm/);
    const hello = await json(await fetch(`${base}/hello`));
    expect(hello.status).toBe(200);
    expect(hello.body.message).toBe('hello world');
    expect(hello.body.uptime).toMatch(/\d+ (ms|seconds?|minutes?)/);
    expect(await json(await fetch(`${base}/duration/2h`))).toEqual({ status: 200, body: { value: '2h', millis: 7_200_000 } });
    expect(await json(await fetch(`${base}/duration/soon`))).toEqual({ status: 400, body: { message: 'cannot read "soon"' } });
    expect(await json(await fetch(`${base}/duration`, { method: 'POST', body: JSON.stringify({ millis: 60_000 }) }))).toEqual({ status: 200, body: { text: '1 minute' } });

    const esbDir = path.join(ws, '.esb');
    // One build, one artifact copy (hard links), one CONFIG_DIR copy: not one per function.
    const configCode = path.join(esbDir, 'staging', 'esb', 'default', 'config', 'code');
    const msCopies = (await findDirs(configCode, 'ms')).filter((d) => d.includes(`${path.sep}node_modules${path.sep}`));
    expect(msCopies).toHaveLength(1);
    expect(await findDirs(esbDir, 'is-number')).toEqual([]);
  }, 200_000);

  it('node-npm-deps: a code change rebuilds the unit but keeps its installed node_modules (same lockfile)', async () => {
    const app = path.join(ws, 'apps', 'node-npm-deps');
    await cp(path.join(APPS, 'node-npm-deps'), app, { recursive: true });
    await deploy(path.join(app, 'template.yaml'), 'node-npm-deps-copy');
    expect(await json(await fetch(`${base}/duration/1m`))).toEqual({ status: 200, body: { value: '1m', millis: 60_000 } });
    const built = path.join(ws, '.esb', 'staging', 'esb', 'default', 'build', 'default-node-npm-deps-copy', 'HelloWorldFunction');
    const before = await stat(path.join(built, 'node_modules', 'ms', 'index.js'));
    const source = path.join(app, 'src', 'duration.js');
    await writeFile(source, (await import('node:fs/promises').then((f) => f.readFile(source, 'utf8'))).replace("{ value, millis }", "{ value, millis, v: 2 }"));
    const redeployed = await deploy(path.join(app, 'template.yaml'), 'node-npm-deps-copy');
    expect(redeployed.stdout).toMatch(/built 1: HelloWorldFunction\+DurationFunction npm/);
    expect(await json(await fetch(`${base}/duration/1m`))).toEqual({ status: 200, body: { value: '1m', millis: 60_000, v: 2 } });
    const after = await stat(path.join(built, 'node_modules', 'ms', 'index.js'));
    expect(after.ino).toBe(before.ino);
  }, 200_000);

  it('python-requirements: requirements.txt naming a local package is installed with pip into the build', async () => {
    const deployed = await deploy(path.join(APPS, 'python-requirements', 'template.yaml'), 'python-requirements');
    expect(deployed.stdout).toMatch(/built 1: HelloWorldFunction pip/);
    expect(await json(await fetch(`${base}/hello`))).toEqual({ status: 200, body: { message: 'hello world', greeting_version: '0.3.0', installed: true } });
    expect(await json(await fetch(`${base}/greet/ada`))).toEqual({ status: 200, body: { message: 'hello ada', greeting_version: '0.3.0', installed: true } });
    // pip built the local package in a scratch copy, not in the user's folder.
    expect(existsSync(path.join(APPS, 'python-requirements', 'hello_world', 'vendor', 'greeting', 'build'))).toBe(false);
    expect(existsSync(path.join(APPS, 'python-requirements', 'hello_world', 'vendor', 'greeting', 'greeting.egg-info'))).toBe(false);
  }, 200_000);

  it('layers: a nodejs20.x layer (npm) and a python3.11 layer (pip) are built and imported by their functions', async () => {
    const deployed = await deploy(path.join(APPS, 'layers', 'template.yaml'), 'layers');
    expect(deployed.stdout).toMatch(/built 2: NodeDependenciesLayer npm .*, PythonUtilsLayer pip/);
    expect(await json(await fetch(`${base}/node/1h`))).toEqual({ status: 200, body: { duration: '1h', millis: 3_600_000 } });
    expect(await json(await fetch(`${base}/python/Hello%20Layered%20World`))).toEqual({ status: 200, body: { slug: 'hello-layered-world', layer: 'python-utils' } });
    expect(await findDirs(path.join(ws, '.esb'), 'is-number')).toEqual([]);
  }, 200_000);

  it('makefile: `make build-<LogicalId>` fills ARTIFACTS_DIR', async () => {
    const deployed = await deploy(path.join(APPS, 'makefile', 'template.yaml'), 'makefile');
    expect(deployed.stdout).toMatch(/built 1: HelloFunction makefile/);
    expect(await json(await fetch(`${base}/hello`))).toEqual({ status: 200, body: { message: 'hello from make' } });
    expect(await json(await fetch(`${base}/build-info`))).toEqual({ status: 200, body: { builtBy: 'make', target: 'build-HelloFunction' } });
  }, 200_000);

  it("a failing build names the function, the builder and esbuild's own message; the apps deployed before keep serving", async () => {
    const app = path.join(ws, 'apps', 'broken');
    await mkdir(path.join(app, 'src'), { recursive: true });
    await writeFile(path.join(app, 'src', 'app.ts'), 'export const handler = async () => {\n  return { statusCode: 200 \n');
    await writeFile(
      path.join(app, 'template.yaml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  BrokenFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.handler\n      Runtime: nodejs20.x\n      Events:\n        Get: { Type: Api, Properties: { Path: /broken, Method: get } }\n    Metadata:\n      BuildMethod: esbuild\n      BuildProperties:\n        EntryPoints: [app.ts]\n',
    );
    const result = await esb(['deploy', '-t', path.join(app, 'template.yaml'), '--name', 'broken', '--workspace', ws, '--timeout', '60s'], {}, 90_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/BuildFailed: BrokenFunction: esbuild build failed: .*app\.ts:3:\d+: Expected "}" but found end of file/);
    expect(await eventually(`${base}/build-info`, (s) => s === 200)).toContain('make');
  }, 120_000);
});
