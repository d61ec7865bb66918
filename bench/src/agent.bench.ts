// Agent speed, process runtime: warm invoke overhead (agent -> Runtime API -> trivial Node
// handler -> back; target p50 under 1 ms) and cold start of a Python hello handler (target
// under 150 ms), plus Node and Java cold starts for reference (Java against a bare JVM's start
// with the same options, when a JDK is installed).
// Run: node --conditions=esb-source --import tsx bench/src/agent.bench.ts
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { FunctionsFile } from '@esb/contracts';
import { chooseJavaHome, compileAgainstCore, createAgent, findJavaHomes, jvmOptions } from '@esb/agent';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'agent', 'test', 'fixtures');

export interface AgentBenchResult {
  warm: { n: number; p50: number; p90: number; p99: number; perSecond: number };
  pythonCold: { n: number; p50: number; max: number };
  nodeCold: { n: number; p50: number; max: number };
  /** Undefined without a JDK. `contextP50`: a RequestHandler taking the Context. */
  javaCold?: { n: number; p50: number; max: number; bareJvmP50: number; contextP50: number };
  warmP50Under1ms: boolean;
  pythonColdUnder150ms: boolean;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export async function runAgentBench(opts: { warm?: number; cold?: number } = {}): Promise<AgentBenchResult> {
  const logDir = await mkdtemp(path.join(tmpdir(), 'esb-bench-agent-'));
  const agent = await createAgent({ runtime: 'process', logDir, log: pino({ level: 'silent' }), pinoFunctionLogs: false, schedules: false });
  const javaClasses = compileJavaHello(logDir);
  try {
    const fns = (gen: number) =>
      FunctionsFile.parse({
        functions: {
          ...(javaClasses
            ? {
                javacold: { runtime: 'java21', handler: 'hello.Hello::handle', code: javaClasses, digest: `java-${gen}` },
                javactx: { runtime: 'java21', handler: 'hello.HelloContext::handleRequest', code: javaClasses, digest: `java-${gen}` },
              }
            : {}),
          hello: { runtime: 'nodejs20.x', handler: 'index.hello', code: `${FIX}/node-esm` },
          pyhello: { runtime: 'python3.11', handler: 'app.hello', code: `${FIX}/python`, layers: [{ name: 'l', path: `${FIX}/layer-py` }], digest: `py-${gen}` },
          nodecold: { runtime: 'nodejs20.x', handler: 'index.hello', code: `${FIX}/node-esm`, digest: `node-${gen}` },
        },
      });
    agent.setFunctions(fns(0));
    const payload = Buffer.from('{}');
    const check = (r: { error?: { message: string } }) => {
      if (r.error) throw new Error(r.error.message);
    };
    // Warm: one instance, sequential invokes.
    for (let i = 0; i < 300; i++) check(await agent.invoke('hello', payload));
    const n = opts.warm ?? 3000;
    const times: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      check(await agent.invoke('hello', payload));
      times.push(performance.now() - t);
    }
    const total = performance.now() - t0;
    // Cold: a new digest each round replaces the instance; the first invoke pays the start.
    const cold = async (fn: string) => {
      const xs: number[] = [];
      for (let i = 1; i <= (opts.cold ?? 10); i++) {
        agent.setFunctions(fns(i));
        await new Promise((r) => setTimeout(r, 50)); // let the old instance go
        const t = performance.now();
        check(await agent.invoke(fn, payload));
        xs.push(performance.now() - t);
      }
      return xs;
    };
    const py = await cold('pyhello');
    const nd = await cold('nodecold');
    let javaCold: AgentBenchResult['javaCold'];
    if (javaClasses) {
      await cold('javacold'); // the first one also compiles esb's Java client once
      const jv = await cold('javacold');
      const ctx = await cold('javactx');
      const bare = bareJvmStarts(opts.cold ?? 10);
      javaCold = { n: jv.length, p50: pct(jv, 50), max: Math.max(...jv), bareJvmP50: pct(bare, 50), contextP50: pct(ctx, 50) };
    }
    const warm = { n, p50: pct(times, 50), p90: pct(times, 90), p99: pct(times, 99), perSecond: (n / total) * 1000 };
    return {
      warm,
      pythonCold: { n: py.length, p50: pct(py, 50), max: Math.max(...py) },
      nodeCold: { n: nd.length, p50: pct(nd, 50), max: Math.max(...nd) },
      ...(javaCold ? { javaCold } : {}),
      warmP50Under1ms: warm.p50 < 1,
      pythonColdUnder150ms: pct(py, 50) < 150,
    };
  } finally {
    await agent.close();
    await rm(logDir, { recursive: true, force: true });
  }
}

/**
 * The Java hello fixtures compiled into `dir`, or undefined when there is no javac; against esb's
 * copy of the aws-lambda-java-core interfaces, which the runtime provides (not packaged).
 */
function compileJavaHello(dir: string): string | undefined {
  const out = path.join(dir, 'java-hello');
  const sources = path.join(FIX, 'java-hello', 'hello');
  try {
    compileAgainstCore(out, [path.join(sources, 'Hello.java'), path.join(sources, 'HelloContext.java')]);
    return out;
  } catch {
    return undefined;
  }
}

/** Wall time of `java -version` on the JVM a java21 function gets, with the options esb starts it with: the JVM's own start. */
function bareJvmStarts(n: number): number[] {
  const home = chooseJavaHome('java21', findJavaHomes())?.home.home;
  const java = home ? path.join(home, 'bin', 'java') : 'java';
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    execFileSync(java, [...jvmOptions(128), '-version'], { stdio: 'ignore' });
    xs.push(performance.now() - t);
  }
  return xs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runAgentBench();
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  process.stdout.write(
    [
      'agent bench (process runtime)',
      `  warm invoke, trivial Node handler (${r.warm.n} sequential): p50 ${ms(r.warm.p50)}, p90 ${ms(r.warm.p90)}, p99 ${ms(r.warm.p99)}, ${r.warm.perSecond.toFixed(0)}/s — ${r.warmP50Under1ms ? 'p50 under 1 ms: OK' : 'p50 NOT under 1 ms'}`,
      `  cold start, Python hello (${r.pythonCold.n} runs): p50 ${ms(r.pythonCold.p50)}, max ${ms(r.pythonCold.max)} — ${r.pythonColdUnder150ms ? 'under 150 ms: OK' : 'NOT under 150 ms'}`,
      `  cold start, Node hello (${r.nodeCold.n} runs): p50 ${ms(r.nodeCold.p50)}, max ${ms(r.nodeCold.max)}`,
      ...(r.javaCold ? [`  cold start, Java hello (${r.javaCold.n} runs): p50 ${ms(r.javaCold.p50)}, max ${ms(r.javaCold.max)}; taking the Context p50 ${ms(r.javaCold.contextP50)}; bare JVM start (java -version) p50 ${ms(r.javaCold.bareJvmP50)}`] : []),
    ].join('\n') + '\n',
  );
  if (!r.warmP50Under1ms || !r.pythonColdUnder150ms) process.exitCode = 1;
}
