// The Python runtime client (agent/runtime/python/bootstrap.py) against a scripted Runtime API
// on a raw socket: what goes over the wire (POST result + GET /next in one write), and its
// json helpers (the C accelerator without `import json`) against the json module.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RUNTIME = path.resolve(HERE, '..', 'runtime', 'python');
const FIX = path.resolve(HERE, '..', 'test', 'fixtures');
const PY = 'python3';

const NEXT = 'GET /2018-06-01/runtime/invocation/next HTTP/1.1';
const event = (id: string, body: string) =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: ${id}\r\nLambda-Runtime-Deadline-Ms: ${Date.now() + 3000}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const answer = (status: number, body: string) => `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** A Runtime API that records each `data` chunk and answers with `script(chunkIndex, chunk)`. */
async function scripted(script: (i: number, chunk: string) => string | undefined) {
  const chunks: string[] = [];
  const server = net.createServer((s) => {
    s.on('data', (b) => {
      chunks.push(b.toString('latin1'));
      const out = script(chunks.length - 1, b.toString('latin1'));
      if (out === undefined) s.destroy();
      else s.write(out);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { chunks, server, address: `127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

let child: ChildProcess | undefined;
let server: net.Server | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  server?.close();
});

function runBootstrap(address: string, handler: string): { stderr: () => string; exited: Promise<number | null> } {
  let err = '';
  child = spawn(PY, [path.join(RUNTIME, 'bootstrap.py'), handler], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_LAMBDA_RUNTIME_API: address, LAMBDA_TASK_ROOT: path.join(FIX, 'python'), PYTHONPATH: path.join(FIX, 'layer-py', 'python') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (b) => (err += b));
  const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
  return { stderr: () => err, exited };
}

describe('python bootstrap', () => {
  it('sends POST .../response and GET .../next in one write and reads both answers in order; a non-2xx POST answer goes to stderr', async () => {
    const api = await scripted((i, chunk) => {
      if (i === 0) return chunk.startsWith(NEXT) ? event('r1', '{"k": 1}') : undefined;
      if (i === 1) return answer(413, '{"errorType":"RequestEntityTooLarge"}') + event('r2', '{}'); // both answers in one write, as the agent does
      return undefined; // r2's result arrives; then the runtime's connection is dropped
    });
    server = api.server;
    const b = runBootstrap(api.address, 'app.hello');
    await b.exited;
    expect(api.chunks[1]).toMatch(/^POST \/2018-06-01\/runtime\/invocation\/r1\/response HTTP\/1\.1\r\n[^]*\r\n\r\n"hello"GET \/2018-06-01\/runtime\/invocation\/next HTTP\/1\.1\r\n/);
    expect(api.chunks[2]).toMatch(/^POST \/2018-06-01\/runtime\/invocation\/r2\/response [^]*"hello"GET /);
    expect(b.stderr()).toContain('invocation/r1/response answered 413: {"errorType":"RequestEntityTooLarge"}');
  });

  it('pipelines POST .../error and GET .../next the same way', async () => {
    const api = await scripted((i) => (i === 0 ? event('e1', '{}') : i === 1 ? answer(202, '{"status":"OK"}') + event('e2', '{}') : undefined));
    server = api.server;
    const b = runBootstrap(api.address, 'app.fail');
    await b.exited;
    expect(api.chunks[1]).toMatch(/^POST \/2018-06-01\/runtime\/invocation\/e1\/error HTTP\/1\.1\r\n[^]*Lambda-Runtime-Function-Error-Type: ValueError\r\n[^]*"errorMessage": "no good"[^]*GET \/2018-06-01\/runtime\/invocation\/next HTTP\/1\.1\r\n/);
    expect(api.chunks[2]).toMatch(/\/invocation\/e2\/error /);
    expect(b.stderr()).not.toContain('answered');
  });

  it('sends GET /next again when the answer to the POST closes the connection', async () => {
    const api = await scripted((i) => {
      if (i === 0) return event('c1', '{}');
      if (i === 1) return 'HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
      if (i === 2) return event('c2', '{}'); // on a new connection
      return undefined;
    });
    server = api.server;
    const b = runBootstrap(api.address, 'app.hello');
    await b.exited;
    expect(api.chunks[2]).toMatch(new RegExp(`^${NEXT}\r\n`));
    expect(api.chunks[3]).toMatch(/\/invocation\/c2\/response /);
  });

  it('json_loads/json_dumps give what the json module gives (values and errors), without importing json, re or the idna codec', () => {
    const script = `
import sys
before = set(sys.modules)
sys.path.insert(0, ${JSON.stringify(RUNTIME)})
import bootstrap as b
b.json_dumps({"a": [1, 2.5, None, True, "é"]}); b.json_loads(b'{"x": [1, {"y": null}]}')
c = b.Client("127.0.0.1:9")
try:
    c._connect()
except OSError:
    pass
loaded = sorted(m for m in ("json", "re", "enum", "encodings.idna", "socket") if m in set(sys.modules) - before)
import json
texts = ['{}', ' {"a": [1, 2.5, -3e10, true, false, null, "x\\\\u00e9\\\\ud83d\\\\ude00"]} \\n', '"s"', '123', '[NaN, Infinity, -Infinity]', '{"a":1}{', '', '  ', 'nul', '[1,]', '12345678901234567890123', '\\ufeff{}']
def outcome(f, x):
    try:
        return ("ok", repr(f(x)))
    except Exception as e:
        return ("err", type(e).__name__, str(e))
bad = []
for t in texts:
    for data in (t, t.encode("utf-8")):
        if outcome(json.loads, data) != outcome(b.json_loads, data):
            bad.append(("loads", repr(data), outcome(json.loads, data), outcome(b.json_loads, data)))
class X: pass
cyc = [1]; cyc.append(cyc)
for o in ["hé", 1, 1.5, 1e300, float("nan"), float("inf"), True, None, [1, "x", {"é": [None]}], {1: 2, 2.5: "x", None: 1, True: 0}, (1, 2), X(), {"x": X()}, cyc, "\\u2028\\ud800", 10**30, -0.0]:
    if outcome(json.dumps, o) != outcome(b.json_dumps, o):
        bad.append(("dumps", repr(o), outcome(json.dumps, o), outcome(b.json_dumps, o)))
print(json.dumps({"loaded": loaded, "bad": bad}))
`;
    const out = JSON.parse(execFileSync(PY, ['-c', script], { encoding: 'utf8' }));
    expect(out.bad).toEqual([]);
    expect(out.loaded).toEqual([]);
  });
});
