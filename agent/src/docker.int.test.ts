// The Docker runtime with real containers. Runs only where `docker info` answers and the
// runtime base images exist (scripts/docker-up.sh, scripts/docker-base-image.sh); otherwise
// it prints a loud skip.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionsFile, LOCAL_CREDENTIALS, LOCAL_REGION, awsQueueUrl, localQueueUrl } from '@esb/contracts';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startEmbeddedStorage, startSqsServer } from '@esb/storage';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type Agent, createAgent } from './agent.js';
import { createDockerDriver, LABEL, type DockerStartStep } from './docker-driver.js';
import { compileAgainstCore } from './java-runtime.js';
import { buildArtifactImages, buildFunctionImages, ImageBuildError } from '@esb/deploy/build';
import { generateArtifact } from '@esb/deploy';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures');
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const silent = pino({ level: 'silent' });
const json = (b: Buffer) => JSON.parse(b.toString('utf8'));

function dockerReady(): string | undefined {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    return '`docker info` does not answer (run scripts/docker-up.sh)';
  }
  try {
    execFileSync('docker', ['image', 'inspect', 'esb-runtime:python3', 'esb-runtime:nodejs', 'esb-runtime:java'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    return 'the runtime images esb-runtime:python3/nodejs/java are missing (run scripts/docker-base-image.sh)';
  }
  return undefined;
}

const why = dockerReady();
// CI installs the engine and builds the images (.ci/run): there, a missing one is a failure.
if (why && process.env.CI) throw new Error(`CI=true but the Docker runtime tests cannot run: ${why}`);
if (why) {
  process.stderr.write(`\n!!!!!!!!!! SKIPPING the Docker runtime tests: ${why} !!!!!!!!!!\n\n`);
}

describe.skipIf(why !== undefined)('agent, docker runtime', () => {
  const docker = new Docker();
  const agentName = `esb-test-${process.pid}`;
  let agent: Agent;
  let logDir: string;
  let root: string;

  beforeAll(async () => {
    logDir = mkdtempSync(path.join(tmpdir(), 'esb-agent-docker-logs-'));
    root = mkdtempSync(path.join(tmpdir(), 'esb-agent-artifact-'));
    agent = await createAgent({ runtime: 'docker', logDir, log: silent, docker: { agentName }, endpoints: { s3: 'http://127.0.0.1:4569' } });
  });
  afterAll(async () => {
    await agent?.close();
    rmSync(logDir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('runs Python (with boto3) and Node handlers in labelled, memory-limited containers, and reuses them', async () => {
    agent.setFunctions(
      FunctionsFile.parse({
        functions: {
          py: { runtime: 'python3.11', handler: 'app.handler', code: `${FIX}/python`, layers: [{ name: 'l', path: `${FIX}/layer-py` }], memory_size: 256 },
          node: { runtime: 'nodejs18.x', handler: 'index.handler', code: `${FIX}/node-esm` },
          nodelayer: { runtime: 'nodejs18.x', handler: 'index.layerOnly', code: `${FIX}/node-esm`, layers: [{ name: 'l', path: `${FIX}/layer-node` }] },
        },
      }),
    );
    const a = await agent.invoke('py', Buffer.from('{"k":1}'), { requestId: 'dock-1' });
    expect(a.error).toBeUndefined();
    expect(json(a.payload)).toMatchObject({ event: { k: 1 }, request_id: 'dock-1', function_name: 'py', memory: '256', layer: 'from python layer' });
    const b = await agent.invoke('py', Buffer.from('{}'));
    expect(json(b.payload).pid).toBe(json(a.payload).pid);
    const n = await agent.invoke('node', Buffer.from('{"x":2}'));
    expect(n.error).toBeUndefined();
    // The S3 endpoint as the bridge's gateway address (SDKs then address buckets by path).
    expect(json(n.payload).env.AWS_ENDPOINT_URL_S3).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:4569$/);
    // An ESM handler imports from its layer (linked into /var/task's parents, no resolve hook).
    const l = await agent.invoke('nodelayer', Buffer.from('{}'));
    expect(json(l.payload)).toBe('from layer');
    const list = await docker.listContainers({ filters: { label: [`${LABEL}=${agentName}`] } });
    expect(list).toHaveLength(3);
    const info = await docker.getContainer(list.find((c) => c.Labels['dev.esb.function'] === 'py')!.Id).inspect();
    expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
    const boto = execFileSync('docker', ['run', '--rm', '--entrypoint', 'python3', 'esb-runtime:python3', '-c', 'import boto3; print("ok")']).toString().trim();
    expect(boto).toBe('ok');
  });

  it('builds function images (only what changed) and runs an Image function; a failing build names its step', async () => {
    mkdirSync(path.join(root, 'functions', 'img'), { recursive: true });
    cpSync(path.join(FIX, 'python'), path.join(root, 'functions', 'img', 'code'), { recursive: true });
    cpSync(path.join(FIX, 'layer-py'), path.join(root, 'layers', 'l'), { recursive: true });
    writeFileSync(path.join(root, 'functions', 'img', 'Dockerfile'), 'ARG BASE_IMAGE=esb-runtime:python3\nFROM ${BASE_IMAGE}\nCOPY layers/l/ /opt/\nCOPY functions/img/code/ /var/task/\nCMD ["app.hello"]\n');
    const tag = `esb-test-img:${process.pid}`;
    const file = FunctionsFile.parse({ functions: { img: { package_type: 'Image', image: tag } } });
    try {
      const first = await buildFunctionImages(root, file);
      expect(first).toMatchObject({ built: 1, reused: 0 });
      const second = await buildFunctionImages(root, file);
      expect(second).toMatchObject({ built: 0, reused: 1 });
      agent.setFunctions(file);
      const r = await agent.invoke('img', Buffer.from('{}'));
      expect(r.error).toBeUndefined();
      expect(json(r.payload)).toBe('hello');

      mkdirSync(path.join(root, 'functions', 'bad'), { recursive: true });
      writeFileSync(path.join(root, 'functions', 'bad', 'Dockerfile'), 'FROM esb-runtime:python3\nRUN exit 3\n');
      const bad = FunctionsFile.parse({ functions: { bad: { package_type: 'Image', image: `esb-test-bad:${process.pid}` } } });
      const err = await buildFunctionImages(root, bad).catch((e) => e);
      expect(err).toBeInstanceOf(ImageBuildError);
      expect(err.message).toMatch(/function bad: .*at "Step 2\/\d : RUN exit 3"/);
    } finally {
      await docker.getImage(tag).remove({ force: true }).catch(() => {});
    }
  });

  it('fails fast with Unavailable when the engine is gone', async () => {
    const gone = await createAgent({ runtime: 'docker', logDir, log: silent, docker: { docker: new Docker({ socketPath: '/nonexistent/docker.sock' }), agentName: `${agentName}-gone` } });
    try {
      gone.setFunctions(FunctionsFile.parse({ functions: { py: { runtime: 'python3.11', handler: 'app.hello', code: `${FIX}/python` } } }));
      const r = await gone.invoke('py', Buffer.from('{}'));
      expect(r.error?.kind).toBe('Unavailable');
    } finally {
      await gone.close();
    }
  });

  it('creates the next container of a function ahead: the next cold start takes it and hands it its own Runtime API and log stream on stdin', async () => {
    const name = `${agentName}-spare`;
    const steps = new Map<string, DockerStartStep[]>();
    const driver = await createDockerDriver({ log: silent, docker, agentName: name, spareDelayMs: 0, trace: (id, step) => steps.set(id, [...(steps.get(id) ?? []), step]) });
    const spareAgent = await createAgent({ runtime: 'docker', driver, logDir, log: silent });
    const code = path.join(root, 'envcheck');
    mkdirSync(code, { recursive: true });
    writeFileSync(
      path.join(code, 'envcheck.py'),
      'import os, sys\ndef handler(event, context):\n    print("hello from " + context.log_stream_name)\n    return {"api": os.environ["AWS_LAMBDA_RUNTIME_API"], "stream": context.log_stream_name, "flag": os.environ.get("ESB_ENV_STDIN"), "stdin": sys.stdin.read(), "x": os.environ.get("X")}\n',
    );
    const fns = (digest: string, env: Record<string, string> = {}) => FunctionsFile.parse({ functions: { sp: { runtime: 'python3.12', handler: 'envcheck.handler', code, digest, environment: env } } });
    const created = async () => (await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${name}`], status: ['created'] } })).length;
    const lastSteps = () => [...steps.values()].at(-1);
    try {
      spareAgent.setFunctions(fns('a'));
      const first = await spareAgent.invoke('sp', Buffer.from('{}'));
      expect(first.error).toBeUndefined();
      expect(lastSteps()).toContain('created');
      for (let i = 0; i < 100 && (await created()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await created()).toBe(1);
      await new Promise((r) => setTimeout(r, 200)); // the engine lists it before its create call has answered the driver

      spareAgent.setFunctions(fns('b')); // a new instance of the same container config
      const second = await spareAgent.invoke('sp', Buffer.from('{}'));
      expect(second.error).toBeUndefined();
      expect(lastSteps()).toEqual(['begin', 'spare', 'attached', 'started']);
      const [a, b] = [json(first.payload), json(second.payload)];
      expect(b.api).not.toBe(a.api); // its own Runtime API port
      expect(b.stream).not.toBe(a.stream);
      expect(b.stream).toMatch(/\[\$LATEST\][0-9a-f]+$/);
      expect(b).toMatchObject({ flag: null, stdin: '' });
      await new Promise((r) => setTimeout(r, 100)); // the function log is written every 20 ms
      expect(readFileSync(path.join(logDir, 'sp.log'), 'utf8')).toContain(`hello from ${b.stream}`);

      spareAgent.setFunctions(fns('c', { X: '1' })); // another environment: the spare does not fit
      const third = await spareAgent.invoke('sp', Buffer.from('{}'));
      expect(json(third.payload).x).toBe('1');
      expect(lastSteps()).toContain('created');
    } finally {
      await spareAgent.close();
    }
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${name}`] } });
    expect(left.map((c) => `${c.Names[0]} ${c.State}`)).toEqual([]);
  });

  it("Node functions take a pre-created container too (the Node bootstrap reads its Runtime API on stdin); both start with Lambda's V8 heap for MemorySize", async () => {
    const name = `${agentName}-spare-node`;
    const steps = new Map<string, DockerStartStep[]>();
    const driver = await createDockerDriver({ log: silent, docker, agentName: name, spareDelayMs: 0, trace: (id, step) => steps.set(id, [...(steps.get(id) ?? []), step]) });
    const nodeAgent = await createAgent({ runtime: 'docker', driver, logDir, log: silent });
    const code = path.join(root, 'envcheck-node');
    mkdirSync(code, { recursive: true });
    writeFileSync(
      path.join(code, 'index.mjs'),
      "import v8 from 'node:v8';\n" +
        'export const handler = async (e, ctx) => ({ api: process.env.AWS_LAMBDA_RUNTIME_API, stream: ctx.logStreamName, flag: process.env.ESB_ENV_STDIN ?? null, heapMb: v8.getHeapStatistics().heap_size_limit / 1048576, gc: typeof globalThis.gc });\n',
    );
    const fns = (digest: string) => FunctionsFile.parse({ functions: { spn: { runtime: 'nodejs20.x', handler: 'index.handler', code, digest } } });
    const created = async () => (await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${name}`], status: ['created'] } })).length;
    try {
      nodeAgent.setFunctions(fns('a'));
      const first = await nodeAgent.invoke('spn', Buffer.from('{}'));
      expect(first.error).toBeUndefined();
      for (let i = 0; i < 100 && (await created()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200));
      nodeAgent.setFunctions(fns('b'));
      const second = await nodeAgent.invoke('spn', Buffer.from('{}'));
      expect(second.error).toBeUndefined();
      expect([...steps.values()].at(-1)).toEqual(['begin', 'spare', 'attached', 'started']);
      const [a, b] = [json(first.payload), json(second.payload)];
      expect(b.api).not.toBe(a.api);
      expect(b.stream).not.toBe(a.stream);
      expect(b.flag).toBeNull();
      // 128 MB: V8's heap of Lambda's Node runtime (140 MB with the young generation counted
      // three times over), not the 259 MB Node picks from the container's limit by itself.
      for (const got of [a, b]) {
        expect(got.gc).toBe('function');
        expect(got.heapMb).toBeGreaterThanOrEqual(128);
        expect(got.heapMb).toBeLessThan(128 * 1.1);
      }
    } finally {
      await nodeAgent.close();
    }
  });

  it("a Node container's unhandled rejection is the invocation's error, and the next event gets a new container (docs/agent.md, \"Uncaught errors\")", async () => {
    const code = path.join(root, 'uncaught-node');
    mkdirSync(code, { recursive: true });
    writeFileSync(
      path.join(code, 'index.mjs'),
      "import { readFileSync } from 'node:fs';\n" +
        'export const handler = async (event) => {\n' +
        "  if (event.rejectLater) { Promise.reject(new Error('yikes')); await new Promise(() => {}); }\n" +
        "  return { host: readFileSync('/etc/hostname', 'utf8').trim() };\n" +
        '};\n',
    );
    agent.setFunctions(FunctionsFile.parse({ functions: { uncaught: { runtime: 'nodejs20.x', handler: 'index.handler', code } } }));
    const before = json((await agent.invoke('uncaught', Buffer.from('{}'))).payload).host;
    const failed = await agent.invoke('uncaught', Buffer.from('{"rejectLater": true}'));
    expect(failed.error?.message).toBe('Runtime.UnhandledPromiseRejection: Error: yikes');
    expect(json(failed.payload)).toMatchObject({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'Error: yikes' });
    const after = await agent.invoke('uncaught', Buffer.from('{}'));
    expect(after.error).toBeUndefined();
    expect(json(after.payload).host).not.toBe(before);
  });

  it('runs a provided.al2023 function from its generated image: the bootstrap of its code is the entrypoint (bash alone, no runtime client)', async () => {
    // The bash bootstrap of the custom-runtime e2e app, generated and built as esb deploy does.
    const app = mkdtempSync(path.join(tmpdir(), 'esb-custom-runtime-'));
    cpSync(path.join(REPO, 'e2e', 'apps', 'custom-runtime', 'bash'), path.join(app, 'bash'), { recursive: true });
    writeFileSync(path.join(app, 'template.yaml'), 'Resources:\n  Bash:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: bash/, Handler: function.handler, Runtime: provided.al2023}\n');
    const generated = await generateArtifact({ templatePath: path.join(app, 'template.yaml'), outDir: path.join(app, 'out'), project: 'esbtest', stackName: 'bash', mode: 'docker' });
    const fn = generated.config.functions.functions['bash-Bash'];
    try {
      expect(await buildArtifactImages(generated.artifactRoot)).toMatchObject({ built: 1 });
      agent.setFunctions(FunctionsFile.parse({ functions: { 'bash-Bash': fn } }));
      const r = await agent.invoke('bash-Bash', Buffer.from('{"rawPath": "/bash"}'), { requestId: 'bash-1' });
      expect(r.error).toBeUndefined();
      expect(json(r.payload)).toEqual({ statusCode: 200, body: 'bash answered bash-1' });
    } finally {
      await docker.getImage(fn.image!).remove({ force: true }).catch(() => {});
      rmSync(app, { recursive: true, force: true });
    }
  });

  it('runs Java functions: classes mounted on the esb-runtime:java image (esb dev --runtime docker), and a generated image (compose); the heap follows MemorySize', async () => {
    const app = mkdtempSync(path.join(tmpdir(), 'esb-java-docker-'));
    const src = path.join(app, 'src', 'demo');
    mkdirSync(src, { recursive: true });
    writeFileSync(
      path.join(src, 'Hello.java'),
      'package demo;\nimport java.util.*;\nimport com.amazonaws.services.lambda.runtime.Context;\npublic class Hello {\n' +
        '  static int depth(int n) { return n == Integer.MIN_VALUE ? n : depth(n + 1) + 1; }\n' +
        '  public static Map<String, Object> handle(Map<String, Object> event, Context context) throws Exception {\n' +
        '    if (Boolean.TRUE.equals(event.get("overflow"))) depth(0);\n' +
        '    Map<String, Object> out = new LinkedHashMap<>();\n    out.put("name", event.get("name"));\n' +
        '    out.put("host", new String(java.nio.file.Files.readAllBytes(java.nio.file.Paths.get("/etc/hostname"))).trim());\n    out.put("function", context.getFunctionName());\n    out.put("memory", System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));\n' +
        '    out.put("heapMb", Runtime.getRuntime().maxMemory() / 1048576);\n    out.put("java", System.getProperty("java.specification.version"));\n    return out;\n  }\n}\n',
    );
    // Against esb's copy of the aws-lambda-java-core interfaces, without packaging them (Maven's provided scope): the image gives them.
    compileAgainstCore(path.join(app, 'classes'), [path.join(src, 'Hello.java')]);
    writeFileSync(path.join(app, 'template.yaml'), 'Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: classes/, Handler: demo.Hello::handle, Runtime: java21, MemorySize: 256}\n');
    const generated = await generateArtifact({ templatePath: path.join(app, 'template.yaml'), outDir: path.join(app, 'out'), project: 'esbtest', stackName: 'java', mode: 'docker' });
    const built = generated.config.functions.functions['java-Hello'];
    try {
      agent.setFunctions(FunctionsFile.parse({ functions: { mounted: { runtime: 'java21', handler: 'demo.Hello::handle', code: path.join(app, 'classes'), memory_size: 256 } } }));
      const mounted = await agent.invoke('mounted', Buffer.from('{"name": "mounted"}'));
      expect(mounted.error).toBeUndefined();
      const got = json(mounted.payload);
      expect(got).toMatchObject({ name: 'mounted', function: 'mounted', memory: '256', java: '25' });
      // 85 % of the container's 256 MB, as Lambda sizes its Java heaps.
      expect(got.heapMb).toBeGreaterThan(180);
      expect(got.heapMb).toBeLessThanOrEqual(218);
      // After a StackOverflowError the runtime reports it and ends; the next event gets a new container.
      const overflow = await agent.invoke('mounted', Buffer.from('{"overflow": true}'));
      expect(overflow.error?.message).toMatch(/^java\.lang\.StackOverflowError/);
      const after = await agent.invoke('mounted', Buffer.from('{"name": "after"}'));
      expect(after.error).toBeUndefined();
      expect(json(after.payload).host).not.toBe(got.host);

      expect(await buildArtifactImages(generated.artifactRoot)).toMatchObject({ built: 1 });
      agent.setFunctions(FunctionsFile.parse({ functions: { 'java-Hello': built } }));
      const fromImage = await agent.invoke('java-Hello', Buffer.from('{"name": "image"}'));
      expect(fromImage.error).toBeUndefined();
      expect(json(fromImage.payload)).toMatchObject({ name: 'image', function: 'java-Hello', memory: '256', java: '25' });
    } finally {
      await docker.getImage(built.image!).remove({ force: true }).catch(() => {});
      rmSync(app, { recursive: true, force: true });
    }
  });

  it("a Node container reaches esb's SQS server through the template's queue URL, rebased onto host.docker.internal", async () => {
    const server = await startSqsServer({ host: '0.0.0.0', port: 0 });
    const endpoint = `http://127.0.0.1:${server.port}`;
    const sqs = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
    const code = mkdtempSync(path.join(tmpdir(), 'esb-docker-sqs-'));
    writeFileSync(
      path.join(code, 'index.mjs'),
      [
        "import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';",
        'export const send = async (event) => {',
        '  await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL, MessageBody: event.body }));',
        '  return { queueUrl: process.env.QUEUE_URL };',
        '};',
      ].join('\n'),
    );
    const sqsAgent = await createAgent({ runtime: 'docker', logDir, log: silent, docker: { agentName: `${agentName}-sqs` }, endpoints: { sqs: endpoint } });
    try {
      await sqs.send(new CreateQueueCommand({ QueueName: 'docker-q' }));
      sqsAgent.setFunctions(
        FunctionsFile.parse({
          functions: {
            sender: { runtime: 'nodejs20.x', handler: 'index.send', code, environment: { QUEUE_URL: awsQueueUrl('docker-q') } },
          },
        }),
      );
      const r = await sqsAgent.invoke('sender', Buffer.from(JSON.stringify({ body: 'from a container' })));
      expect(r.error, r.payload.toString()).toBeUndefined();
      expect(json(r.payload).queueUrl).toBe(`http://host.docker.internal:${server.port}/123456789012/docker-q`);
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: localQueueUrl(endpoint, 'docker-q'), WaitTimeSeconds: 5 }));
      expect(got.Messages?.map((m) => m.Body)).toEqual(['from a container']);
    } finally {
      await sqsAgent.close();
      sqs.destroy();
      await server.close();
      rmSync(code, { recursive: true, force: true });
    }
  });

  it("a Node container's S3 client made with no options (virtual-hosted addressing) reaches esb's S3 server: its endpoint is an address", async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'esb-docker-s3-'));
    const storage = await startEmbeddedStorage({ dataDir: data, host: '0.0.0.0', only: 's3', s3Port: 0 });
    const endpoint = storage.s3Endpoint!.replace('0.0.0.0', '127.0.0.1');
    const s3 = new S3Client({ endpoint, region: LOCAL_REGION, forcePathStyle: true, credentials: { ...LOCAL_CREDENTIALS } });
    const code = mkdtempSync(path.join(tmpdir(), 'esb-docker-s3-code-'));
    writeFileSync(
      path.join(code, 'index.mjs'),
      [
        "import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';",
        'export const put = async (event) => {',
        "  await new S3Client({}).send(new PutObjectCommand({ Bucket: 'docker-uploads', Key: event.key, Body: event.body }));",
        '  return { endpoint: process.env.AWS_ENDPOINT_URL_S3 };',
        '};',
      ].join('\n'),
    );
    const s3Agent = await createAgent({ runtime: 'docker', logDir, log: silent, docker: { agentName: `${agentName}-s3` }, endpoints: { s3: endpoint } });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'docker-uploads' }));
      s3Agent.setFunctions(FunctionsFile.parse({ functions: { uploader: { runtime: 'nodejs20.x', handler: 'index.put', code } } }));
      const r = await s3Agent.invoke('uploader', Buffer.from(JSON.stringify({ key: 'from/a-container.txt', body: 'hello' })));
      expect(r.error, r.payload.toString()).toBeUndefined();
      expect(json(r.payload).endpoint).toMatch(new RegExp(`^http://\\d+\\.\\d+\\.\\d+\\.\\d+:${new URL(endpoint).port}$`));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'docker-uploads', Key: 'from/a-container.txt' }));
      expect(await got.Body!.transformToString()).toBe('hello');
    } finally {
      await s3Agent.close();
      s3.destroy();
      await storage.close();
      rmSync(code, { recursive: true, force: true });
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('removes its containers on close', async () => {
    await agent.close();
    const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${agentName}`] } });
    expect(list).toHaveLength(0);
  });
});
