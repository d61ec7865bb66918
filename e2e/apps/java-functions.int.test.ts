// A Java app (java-orders), deployed unchanged with `esb deploy` into a running `esb dev`
// (process runtime), in the shape of the Java patterns of serverless-patterns: `CodeUri:
// target/sourceCode.zip`, which `mvn package` writes with the classes at the root and the
// libraries in lib/. Maven Central is unreachable here, so the test writes the same zip with
// javac and jar, against the real aws-lambda-java-core 1.2.0 classes (from an npm package) and
// Debian's gson (docs/agent.md, "Java").
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startDev, type RunningDev } from '@esb/cli';
import { esb } from '@esb/controller/testing';
import { until } from '@esb/contracts/testing';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const APP = path.join(HERE, 'java-orders');
const CORE_JAR = path.join(HERE, '..', '..', 'node_modules', 'java-invoke-local', 'build', 'libs', 'java-invoke-local-all.jar');
const GSON_JAR = '/usr/share/java/gson.jar';

/** What `mvn package` with lambda-zip.xml writes: the app's classes at the root, its runtime libraries in lib/. */
async function buildSourceZip(app: string, scratch: string): Promise<void> {
  const core = path.join(scratch, 'core');
  const zipRoot = path.join(scratch, 'zip');
  await mkdir(core, { recursive: true });
  await mkdir(path.join(zipRoot, 'lib'), { recursive: true });
  execFileSync('jar', ['xf', CORE_JAR, 'com/amazonaws/services/lambda/runtime', 'META-INF/maven/com.amazonaws/aws-lambda-java-core'], { cwd: core });
  execFileSync('jar', ['--create', '--file', path.join(zipRoot, 'lib', 'aws-lambda-java-core-1.2.0.jar'), '-C', core, '.']);
  await cp(GSON_JAR, path.join(zipRoot, 'lib', 'gson-2.10.jar'));
  const sources = (await readdir(path.join(app, 'src'), { recursive: true })).filter((f) => f.endsWith('.java')).map((f) => path.join(app, 'src', f));
  execFileSync('javac', ['--release', '17', '-d', zipRoot, '-cp', path.join(zipRoot, 'lib', '*'), ...sources]);
  await mkdir(path.join(app, 'target'), { recursive: true });
  execFileSync('jar', ['--create', '--no-manifest', '--file', path.join(app, 'target', 'sourceCode.zip'), '-C', zipRoot, '.']);
  // The report function alone, and gson as a layer.
  execFileSync('jar', ['--create', '--no-manifest', '--file', path.join(app, 'target', 'report.zip'), '-C', zipRoot, 'com/example/report']);
  await mkdir(path.join(app, 'target', 'gson-layer', 'java', 'lib'), { recursive: true });
  await cp(GSON_JAR, path.join(app, 'target', 'gson-layer', 'java', 'lib', 'gson-2.10.jar'));
}

describe('a Java app (java-orders), deployed unchanged', () => {
  let ws: string;
  let dev: RunningDev;
  let base: string;
  let lambda: LambdaClient;

  const invoke = async (name: string, payload: unknown) => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: `java-orders-${name}`, Payload: Buffer.from(JSON.stringify(payload)) }));
    return { error: out.FunctionError, body: JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8') || 'null') };
  };

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-java-'));
    const app = path.join(ws, 'java-orders');
    await cp(APP, app, { recursive: true });
    await buildSourceZip(app, path.join(ws, 'scratch'));
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, runtime: 'process', examples: false, log: pino({ level: 'silent' }) });
    base = dev.info.gateway;
    lambda = new LambdaClient({ endpoint: base, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const deployed = await esb(['deploy', '-t', path.join(app, 'template.yaml'), '--workspace', ws, '--timeout', '120s'], {}, 150_000);
    if (deployed.code !== 0) throw new Error(`esb deploy failed (${deployed.code}):\n${deployed.stdout}\n${deployed.stderr}`);
  }, 200_000);

  afterAll(async () => {
    lambda?.destroy();
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  it('serves REST routes from a RequestHandler<Map, Map>: the proxy event as a Map, the Context, the environment, gson from lib/', async () => {
    const res = await fetch(`${base}/orders/42`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const got = (await res.json()) as Record<string, unknown>;
    expect(got).toMatchObject({ id: '42', currency: 'EUR', function: 'java-orders-OrderApiFunction', memoryMb: 512 });
    expect(got.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.remainingMs).toBeGreaterThan(20_000);
    expect(got.remainingMs).toBeLessThanOrEqual(30_000);
    // java21 runs on the oldest JDK at or above 21 here, else the newest with a warning.
    expect(Number(got.java)).toBeGreaterThanOrEqual(17);

    const created = await fetch(`${base}/orders`, { method: 'POST', body: JSON.stringify({ id: 'o-1', customer: 'ann', lines: [{ sku: 'a', quantity: 2, price: 1.25 }, { sku: 'b', quantity: 1, price: 10 }] }) });
    expect([created.status, await created.json()]).toEqual([201, { id: 'o-1', customer: 'ann', total: 12.5, currency: 'EUR' }]);
    const refused = await fetch(`${base}/orders`, { method: 'POST', body: '{"id": ' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/^not an order: /);

    // The LambdaLogger's lines are the invocation's log.
    const logs = await esb(['logs', 'java-orders-OrderApiFunction', '--workspace', ws]);
    expect(logs.stdout).toContain('order api GET /orders/42');
  });

  it('invokes a RequestStreamHandler named without ::method, a static String method, and reports a thrown exception as Lambda words it', async () => {
    expect(await invoke('EchoFunction', { a: [1, 2] })).toEqual({ error: undefined, body: { echo: { a: [1, 2] }, bytes: 11, arn: expect.stringMatching(/:function:java-orders-EchoFunction$/) } });
    expect(await invoke('UppercaseFunction', 'hello java')).toEqual({ error: undefined, body: 'HELLO JAVA' });

    const failed = await invoke('FailingFunction', 'no stock');
    expect(failed.error).toBe('Unhandled');
    expect(failed.body).toMatchObject({ errorMessage: 'refused: no stock', errorType: 'java.lang.IllegalStateException', cause: { errorMessage: 'the cause', errorType: 'java.lang.IllegalArgumentException' } });
    // The handler's frames, not the reflective call or esb's client under them.
    expect(failed.body.stackTrace).toEqual([expect.stringMatching(/^com\.example\.tools\.Text\.fail\(Text\.java:\d+\)$/)]);
  });

  it("loads a layer's java/lib jars after the function's own classes; aws-lambda-java-core left out of the package (Maven's provided scope) comes from the runtime, as on Lambda", async () => {
    const report = await invoke('ReportFunction', { orders: 3 });
    expect(report.error, JSON.stringify(report.body)).toBeUndefined();
    expect(JSON.parse(report.body as string)).toEqual({ orders: 3, gsonFrom: expect.stringMatching(/\/java\/lib\/gson-2\.10\.jar$/) });
  });

  it('a Handler naming a missing class fails every invocation with the init error', async () => {
    const typo = await invoke('TypoFunction', {});
    expect(typo.error).toBe('Unhandled');
    expect(typo.body).toMatchObject({ errorType: 'java.lang.ClassNotFoundException', errorMessage: 'Class not found: com.example.api.OrderAPI' });
  });

  it('feeds SQS messages to a RequestHandler<POJO, String>: Records and eventSourceARN bound to its setters', async () => {
    const sqs = new SQSClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    try {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'java-orders-OrdersQueue' }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id: 'q-7', lines: [{ sku: 'x', quantity: 3, price: 2.5 }] }) }));
    } finally {
      sqs.destroy();
    }
    await until(async () => (await esb(['logs', 'java-orders-OrderConsumer', '--workspace', ws])).stdout.includes('processed order q-7 total 7.5 from arn:aws:sqs:us-east-1:123456789012:java-orders-OrdersQueue sent true'), 'the consumer logs the order', 30_000);
  });
});
