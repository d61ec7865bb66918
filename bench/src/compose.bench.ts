// Speed of the docker compose platform on a real engine, with the images already built:
//   - `docker compose up -d --wait` to every service healthy (and `down --volumes`),
//   - `esb deploy` to Ready (a new function image built: the handler carries a nonce),
//   - the first (cold: container start) and warm request latency through the Docker runtime.
// Run: node --conditions=esb-source --import tsx bench/src/compose.bench.ts   (needs Docker: scripts/docker-up.sh)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compose, deploy, dockerEngine, http, planStack, prepareImages, run, stackDown } from '@esb/e2e';

export interface ComposeBenchResult {
  buildMs: number;
  upMs: number;
  deployMs: number;
  deployReportedMs: number;
  coldMs: number;
  warm: { p50: number; p90: number; min: number; n: number };
  downMs: number;
}

const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  BenchFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: bench-hello
      Runtime: nodejs20.x
      CodeUri: src/
      Handler: hello.handler
      Events:
        Hello: { Type: Api, Properties: { Path: /bench, Method: get } }
`;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export async function runComposeBench(warmRequests = 50): Promise<ComposeBenchResult> {
  const stack = await planStack(`bench-${process.pid}`);
  try {
    await prepareImages(false);
    let t = performance.now();
    await compose(stack, ['build', '-q'], { timeoutMs: 15 * 60_000 });
    const buildMs = performance.now() - t;

    t = performance.now();
    await compose(stack, ['up', '-d', '--wait'], { timeoutMs: 10 * 60_000 });
    const upMs = performance.now() - t;

    const dir = path.join(stack.workspace, 'bench');
    mkdirSync(path.join(dir, 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'template.yml'), TEMPLATE);
    writeFileSync(path.join(dir, 'src', 'hello.mjs'), `// nonce ${Date.now()}-${process.pid}: a new image each run\nexport const handler = async () => ({ statusCode: 200, body: 'ok' });\n`);
    t = performance.now();
    const d = await deploy(stack, 'bench/template.yml');
    const deployMs = performance.now() - t;

    const url = `${stack.gatewayUrl}/bench`;
    // The gateway reloads routing.yml within its reload interval (1 s): wait for the route, not for an instance.
    for (let i = 0; i < 100; i++) {
      const r = await http(`${stack.gatewayUrl}/2015-03-31/functions/none/invocations`, { method: 'POST', body: '{}' }).catch(() => undefined);
      if (r) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    t = performance.now();
    let first = await http(url);
    for (let i = 0; i < 30 && first.status === 404; i++) {
      await new Promise((res) => setTimeout(res, 200));
      t = performance.now();
      first = await http(url);
    }
    const coldMs = performance.now() - t;
    if (first.status !== 200) throw new Error(`first request: ${first.status} ${first.text}`);

    const warm: number[] = [];
    for (let i = 0; i < warmRequests; i++) {
      const s = performance.now();
      const r = await http(url);
      warm.push(performance.now() - s);
      if (r.status !== 200) throw new Error(`warm request ${i}: ${r.status} ${r.text}`);
    }

    t = performance.now();
    await stackDown(stack);
    const downMs = performance.now() - t;
    // Each run builds a new bench-hello image (the nonce): remove them, they are never reused.
    const images = (await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter((i) => /-bench-hello:/.test(i));
    if (images.length) await run('docker', ['rmi', ...images], { allowFail: true });
    return {
      buildMs,
      upMs,
      deployMs,
      deployReportedMs: (d.seconds ?? 0) * 1000,
      coldMs,
      warm: { p50: pct(warm, 50), p90: pct(warm, 90), min: Math.min(...warm), n: warm.length },
      downMs,
    };
  } catch (err) {
    await stackDown(stack);
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const engine = await dockerEngine();
  if (!engine.ok) {
    process.stderr.write(`compose bench: SKIPPED: no Docker engine answers (${engine.reason}); start one with scripts/docker-up.sh\n`);
    process.exit(process.env.CI === 'true' ? 1 : 0);
  }
  const load = (await run('cat', ['/proc/loadavg'])).stdout.split(' ').slice(0, 3).join(' ');
  const r = await runComposeBench(Number(process.env.BENCH_WARM ?? 50));
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  process.stdout.write(
    [
      `compose bench (Docker ${engine.version}, load ${load}):`,
      `  docker compose build (images cached):   ${ms(r.buildMs)}`,
      `  docker compose up -d --wait (healthy):  ${ms(r.upMs)}`,
      `  esb deploy to Ready (new image):        ${ms(r.deployMs)} (controller reports ${ms(r.deployReportedMs)})`,
      `  first request (cold container start):   ${ms(r.coldMs)}`,
      `  warm request latency (n=${r.warm.n}):         p50 ${r.warm.p50.toFixed(1)} ms, p90 ${r.warm.p90.toFixed(1)} ms, min ${r.warm.min.toFixed(1)} ms`,
      `  docker compose down --volumes:          ${ms(r.downMs)}`,
    ].join('\n') + '\n',
  );
}
