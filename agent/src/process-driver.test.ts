import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionsFile } from '@esb/contracts';
import { tempDirs } from '@esb/contracts/testing';
import { createAgent } from './agent.js';
import { baseInstanceEnv, buildInstanceEnv, processRuntimePath } from './env.js';
import { processCommand, runtimeVersionWarning, spareStartEnv } from './process-driver.js';
import { spareMismatch, type SpareRuntime } from './spares.js';

describe('the command of an instance in the process runtime', () => {
  it("runs esb's clients for Node and Python, a custom runtime's bootstrap, and a go1.x function's Handler executable", () => {
    const opts = { python: '/usr/bin/python3', node: '/usr/bin/node', runtimeDir: '/rt' };
    const spec = (runtime: string, handler: string) => ({ functionName: 'f', instanceId: 'i', runtime, handler, codeDir: '/code', layerDirs: [], memoryMb: 128, env: {} });
    expect(processCommand(spec('nodejs20.x', 'index.handler'), opts)).toEqual({
      file: '/usr/bin/node',
      args: ['--expose-gc', '--max-http-header-size=81920', '--max-semi-space-size=6', '--max-old-space-size=116', '/rt/nodejs/bootstrap.mjs'],
    });
    expect(processCommand(spec('python3.12', 'app.handler'), opts)).toEqual({ file: '/usr/bin/python3', args: ['/rt/python/bootstrap.py'] });
    expect(processCommand(spec('provided.al2023', 'bootstrap'), opts)).toEqual({ file: '/code/bootstrap', args: [] });
    expect(processCommand(spec('go1.x', 'main'), opts)).toEqual({ file: '/code/main', args: [] });
    expect(() => processCommand(spec('java21', 'a.B::h'), opts)).toThrow(/runtime "java21" cannot run in the process runtime/);
    expect(processCommand(spec('java21', 'a.B::h'), { ...opts, java: { java: '/jvm/bin/java', classes: '/rt/java', channel: false } })).toMatchObject({ file: '/jvm/bin/java', args: expect.arrayContaining(['-cp', '/rt/java/client', 'esb.runtime.Bootstrap', '/code']) });
  });

  it('a Java function on a machine without a JVM fails its invocations naming what to install', async () => {
    const dirs = tempDirs();
    const logDir = dirs.makeSync('esb-no-java-');
    const agent = await createAgent({ runtime: 'process', javaHome: path.join(logDir, 'no-such-jdk'), logDir, log: pino({ level: 'silent' }), schedules: false, pinoFunctionLogs: false });
    try {
      agent.setFunctions(FunctionsFile.parse({ functions: { j: { runtime: 'java21', handler: 'a.B::handleRequest', code: logDir } } }));
      const r = await agent.invoke('j', Buffer.from('{}'));
      expect(r.error?.message).toMatch(/function j: runtime java21 needs a Java runtime: none found in .*no-such-jdk \(Debian: apt-get install default-jdk-headless; or set ESB_JAVA_HOME\)/);
    } finally {
      await agent.close();
      dirs.removeAll();
    }
  });
});

describe('runtime versions in the process runtime', () => {
  const dirs = tempDirs();
  afterAll(() => dirs.removeAll());

  it('warns when the function names another Node major or Python minor than the machine has', () => {
    const machine = { node: '20.20.2', python: '3.13' };
    expect(runtimeVersionWarning('nodejs20.x', machine)).toBeUndefined();
    expect(runtimeVersionWarning('python3.13', machine)).toBeUndefined();
    expect(runtimeVersionWarning('nodejs18.x', machine)).toMatch(/runtime nodejs18\.x runs on this machine's Node\.js 20\.20\.2/);
    expect(runtimeVersionWarning('python3.11', machine)).toMatch(/runtime python3\.11 runs on this machine's Python 3\.13/);
    expect(runtimeVersionWarning('python3.11', { node: '20.0.0' })).toBeUndefined(); // no python3 here: nothing to compare
    expect(runtimeVersionWarning('provided.al2023', machine)).toBeUndefined();
  });

  it('the agent logs the warning once per function and runtime', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    const logDir = dirs.makeSync('esb-versions-');
    const agent = await createAgent({ runtime: 'process', logDir, log: pino({ level: 'warn' }, sink), schedules: false, pinoFunctionLogs: false });
    try {
      const other = `nodejs${Number(process.versions.node.split('.')[0]) - 2}.x`;
      const file = (digest: string) =>
        FunctionsFile.parse({ functions: { old: { runtime: other, handler: 'index.handler', code: logDir, digest }, same: { runtime: `nodejs${process.versions.node.split('.')[0]}.x`, handler: 'index.handler', code: logDir } } });
      agent.setFunctions(file('a'));
      agent.setFunctions(file('b')); // redeployed: no second warning
      await new Promise((r) => setImmediate(r));
      const warnings = lines.filter((l) => /runs on this machine's/.test(l.msg)).map((l) => l.msg);
      expect(warnings).toEqual([`function old: runtime ${other} runs on this machine's Node.js ${process.versions.node} (process runtime)`]);
    } finally {
      await agent.close();
    }
  });
});

describe('spareStartEnv (docs/agent.md#spare-runtimes)', () => {
  const node = '/opt/node/bin/node';
  /** An instance's environment as the agent builds it for the process runtime, with the driver's own TMPDIR/HOME when given. */
  const instanceEnv = (runtime: string, own?: string) => ({
    ...buildInstanceEnv({
      functionName: 'fn',
      instanceId: 'abc',
      runtime,
      handler: 'index.handler',
      memoryMb: 128,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      endpoints: {},
      runtimeApi: '127.0.0.1:1',
      taskRoot: '/code',
      runtimeDir: '/rt',
      layerDirs: ['/layers/a'],
      path: processRuntimePath(node, ['/layers/a']),
      defaultsEnv: {},
      functionEnv: { MINE: 'x' },
      now: 0,
    }),
    ...(own ? { HOME: own, TMPDIR: own } : {}),
  });

  it("is an instance's base environment, its own TMPDIR and the channel's variables: nothing of a function", () => {
    expect(spareStartEnv('node', { node })).toEqual({ ...baseInstanceEnv({ runtime: 'nodejs', path: processRuntimePath(node) }), ESB_RUNTIME_CHANNEL: '3', ESB_SPARE: '1' });
    expect(spareStartEnv('python', { node, tmp: '/t/s1' })).toEqual({
      ...baseInstanceEnv({ runtime: 'python3', path: processRuntimePath(node), home: '/t/s1' }),
      TMPDIR: '/t/s1',
      ESB_RUNTIME_CHANNEL: '3',
      ESB_SPARE: '1',
    });
  });

  it('matches an instance of its runtime with no start-up variables of its own, isolated or not', () => {
    const cases: Array<[SpareRuntime, string]> = [
      ['node', 'nodejs20.x'],
      ['python', 'python3.12'],
    ];
    for (const [spare, runtime] of cases) {
      expect(spareMismatch({ runtime, env: instanceEnv(runtime), channel: true }, spareStartEnv(spare, { node }))).toBeUndefined();
      expect(spareMismatch({ runtime, env: instanceEnv(runtime, '/t/own'), channel: true }, spareStartEnv(spare, { node, tmp: '/t/own' }))).toBeUndefined();
    }
    // Python's flags are read at start-up: a Python spare's environment is not a Node instance's.
    expect(spareMismatch({ runtime: 'nodejs20.x', env: instanceEnv('nodejs20.x'), channel: true }, spareStartEnv('python', { node }))).toMatch(/^PYTHON/);
  });
});
