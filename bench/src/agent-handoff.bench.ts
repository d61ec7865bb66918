// The agent's hand-off alone (no gateway): warm Node and Python hello through agent.invoke(),
// HTTP Runtime API vs the instance channel (docs/agent.md#the-instance-channel), and the
// instance policy (warm instances ~ cores vs one per concurrent request), interleaved runs.
// Reports req/s and CPU per request in the agent's process and in the instances (/proc).
// Run: node --conditions=esb-source --import tsx bench/src/agent-handoff.bench.ts [--runs 3] [--ms 2000] [--c 32] [--printing]
// (--printing: the handlers print one line per invocation, as most real ones log something)
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { FunctionsFile } from '@esb/contracts';
import { type Agent, type AgentOptions, createAgent } from '@esb/agent';
import { numberFlag } from './lib/args.js';

const arg = (name: string, dflt: number) => numberFlag(process.argv, name, dflt);
const RUNS = arg('--runs', 3);
const MS = arg('--ms', 2000);
const C = arg('--c', 32);
const TICK_US = 1e6 / 100; // USER_HZ

const cpuOf = (pid: number): number => {
  if (pid < 0) return 0; // a worker thread: its CPU is the agent process's
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_US;
  } catch {
    return 0;
  }
};

interface Subject {
  name: string;
  opts: Partial<AgentOptions>;
  fn: string;
}

async function main() {
  const dir = await mkdtemp(path.join(tmpdir(), 'esb-bench-handoff-'));
  await mkdir(path.join(dir, 'node'));
  await mkdir(path.join(dir, 'py'));
  const printing = process.argv.includes('--printing');
  await writeFile(
    path.join(dir, 'node', 'index.mjs'),
    `import { threadId } from "node:worker_threads";\nexport const hello = async () => {\n${printing ? '  console.log("hello handler");\n' : ''}  return { statusCode: 200, body: "hello", pid: process.pid, tid: threadId };\n};\n`,
  );
  await writeFile(path.join(dir, 'py', 'app.py'), `import os\ndef hello(event, context):\n${printing ? '    print("hello handler")\n' : ''}    return {"statusCode": 200, "body": "hello", "pid": os.getpid()}\n`);
  const extra = process.argv.includes('--policy');
  const subjects: Subject[] = [
    { name: 'node http', opts: { runtimeChannel: false }, fn: 'node' },
    { name: 'node channel', opts: { runtimeChannel: true }, fn: 'node' },
    { name: 'python http', opts: { runtimeChannel: false }, fn: 'py' },
    { name: 'python channel', opts: { runtimeChannel: true }, fn: 'py' },
  ];
  if (process.argv.includes('--workers')) subjects.push({ name: 'node worker threads', opts: { nodeWorkers: true } as Partial<AgentOptions>, fn: 'node' });
  if (process.argv.includes('--only-node')) subjects.splice(2, 2);
  if (extra) {
    subjects.push({ name: 'node channel, 10 warm', opts: { runtimeChannel: true, warmInstances: 10 } as Partial<AgentOptions>, fn: 'node' });
  }
  const agents = new Map<Subject, Agent>();
  for (const s of subjects) {
    const a = await createAgent({ runtime: 'process', logDir: path.join(dir, `logs-${agents.size}`), log: pino({ level: 'silent' }), pinoFunctionLogs: false, schedules: false, ...s.opts });
    a.setFunctions(
      FunctionsFile.parse({
        functions: {
          node: { runtime: 'nodejs20.x', handler: 'index.hello', code: path.join(dir, 'node') },
          py: { runtime: 'python3.12', handler: 'app.hello', code: path.join(dir, 'py') },
        },
      }),
    );
    agents.set(s, a);
  }
  const payload = Buffer.from(JSON.stringify({ path: '/hello', httpMethod: 'GET', headers: { host: 'x', 'user-agent': 'bench' }, body: null, requestContext: { requestId: 'r' } }));
  const load = async (agent: Agent, fn: string, c: number, ms: number) => {
    const pids = new Set<number>();
    const end = performance.now() + ms;
    let n = 0;
    const lat: number[] = [];
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          const r = await agent.invoke(fn, payload);
          lat.push(performance.now() - t);
          if (r.error) throw new Error(r.error.message);
          const b = JSON.parse(r.payload.toString());
          pids.add(b.tid ? -b.tid : b.pid);
          n++;
        }
      }),
    );
    return { n, pids, lat };
  };
  const results = new Map<string, Array<{ rps: number; agentUs: number; instUs: number; instances: number; mean: number }>>();
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' / ')} at the start; c=${C}, ${MS} ms per run, ${RUNS} runs`);
  for (const c of [1, C]) {
    // Warm-up: fill the pools the way the load will use them.
    for (const [s, a] of agents) await load(a, s.fn, c, 300);
    for (let run = 0; run < RUNS; run++) {
      for (const [s, a] of agents) {
        const warm = await load(a, s.fn, c, 100);
        const before = [...warm.pids].map(cpuOf).reduce((x, y) => x + y, 0);
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await load(a, s.fn, c, MS);
        const wall = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        const pids = new Set([...warm.pids, ...r.pids]);
        const after = [...pids].map(cpuOf).reduce((x, y) => x + y, 0);
        const key = `${s.name} c=${c}`;
        const row = { rps: (r.n / wall) * 1000, agentUs: (cpu.user + cpu.system) / r.n, instUs: (after - before) / r.n, instances: r.pids.size, mean: r.lat.reduce((x, y) => x + y, 0) / r.lat.length };
        (results.get(key) ?? results.set(key, []).get(key)!).push(row);
        console.log(`  run ${run + 1} ${key.padEnd(32)} ${row.rps.toFixed(0).padStart(6)} req/s  mean ${row.mean.toFixed(3)} ms  agent ${row.agentUs.toFixed(0)} µs/req  instances ${row.instances} ${row.instUs.toFixed(0)} µs/req`);
      }
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\nmedians (load average ${loadavg().map((x) => x.toFixed(2)).join(' / ')} at the end)`);
  for (const [key, rows] of results) {
    console.log(
      `${key.padEnd(34)} ${med(rows.map((r) => r.rps)).toFixed(0).padStart(6)} req/s  mean ${med(rows.map((r) => r.mean)).toFixed(3)} ms  agent ${med(rows.map((r) => r.agentUs)).toFixed(0)} µs/req  instances ${med(rows.map((r) => r.instUs)).toFixed(0)} µs/req (${med(rows.map((r) => r.instances))})`,
    );
  }
  await Promise.all([...agents.values()].map((a) => a.close()));
  await rm(dir, { recursive: true, force: true });
}

await main();
