// Where the CPU goes, by process: CPU time per request of the load generator, the `esb dev`
// process and each function instance, from /proc, over a warm autocannon run, with how often each
// went to sleep (voluntary context switches: each one a wake-up another process pays for). Throughput on
// a shared 2-core machine is noisy; CPU per request is steadier and shows what a change saves.
// Run: node --conditions=esb-source --import tsx bench/src/cpu-split.ts [node|python|node-capped|java|floor:<kind>] [connections] [seconds] [runs]
// (floor:<kind> measures a floor of bench/src/hop-floor.ts: unix, worker, design or lambda; java
// needs a JDK and compiles bench/fixtures/java-app)
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileAgainstCore } from '@esb/agent';
import { load } from './lib/servers.js';
import { type EsbDev, FIXTURES, firstOk, floorUrl, startEsbDev, startHopFloor } from './lib/targets.js';
import type { FloorKind } from './hop-floor.js';

interface Proc {
  ppid: number;
  /** user + system CPU, ms */
  cpuMs: number;
  sysMs: number;
  /** minor page faults */
  minorFaults: number;
  /** voluntary context switches of the main thread (each a sleep: a wake-up to come) */
  switches: number;
  cmd: string;
}

const TICK_MS = 10; // USER_HZ = 100 on Linux

function processes(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const switches = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1] ?? 0);
      out.set(Number(d), { ppid: Number(f[1]), cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS, sysMs: Number(f[12]) * TICK_MS, minorFaults: Number(f[7]), switches, cmd });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

function descendants(root: number, procs: Map<number, Proc>): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, p] of procs) if (p.ppid === out[i]) out.push(pid);
  return out;
}

/** The Java hello compiled into `work`/java-app, and a template serving it at /hello/java. */
async function javaTemplate(work: string): Promise<string> {
  const classes = path.join(work, 'java-app');
  compileAgainstCore(classes, [path.join(FIXTURES, 'java-app', 'hello', 'Hello.java')]);
  const template = path.join(work, 'java-template.yml');
  await writeFile(
    template,
    `Transform: AWS::Serverless-2016-10-31\nResources:\n  HelloJava:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: bench-hello-java\n      Runtime: java21\n      CodeUri: ${classes}\n      Handler: hello.Hello::handleRequest\n      MemorySize: 512\n      Events:\n        Hello: { Type: Api, Properties: { Path: /hello/java, Method: get } }\n`,
  );
  return template;
}

const [fn = 'node', conns = '32', seconds = '5', runs = '2'] = process.argv.slice(2);
const work = await mkdtemp(path.join(tmpdir(), 'esb-cpu-split-'));
// `floor:<kind>` measures a floor of bench/src/hop-floor.ts instead of esb dev.
const floorKind = fn.startsWith('floor:') ? (fn.slice(6) as FloorKind) : undefined;
const target = floorKind ? await startHopFloor(work, floorKind) : await startEsbDev({ workspace: path.join(work, 'ws'), runtime: 'process', logDir: work });
const serverName = floorKind ? `floor (${floorKind}): the front` : 'esb dev';
try {
  let url: string;
  if (floorKind) url = floorUrl(target.url, floorKind);
  else {
    const dev = target as EsbDev;
    await dev.deploy('bench', fn === 'java' ? await javaTemplate(work) : path.join(FIXTURES, 'template.yml'));
    url = `${dev.url}/hello/${fn}`;
  }
  await firstOk(url, 60_000, 10, target.server);
  await load(url, Number(conns), 2); // warm: fills the pool
  for (let k = 0; k < Number(runs); k++) {
    const before = processes();
    const self0 = process.cpuUsage();
    const r = await load(url, Number(conns), Number(seconds));
    const self = process.cpuUsage(self0);
    const after = processes();
    const perReq = (ms: number) => ((ms * 1000) / r.requests).toFixed(0).padStart(5);
    const faults = (n: number) => (n / r.requests).toFixed(2);
    const lines = [`c=${conns} ${fn}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms — CPU µs per request (system part) [minor page faults, sleeps per request]:`];
    lines.push(`${perReq((self.user + self.system) / 1000)} (${perReq(self.system / 1000).trim()})  load generator (this process)`);
    let instances = 0;
    let instancesSys = 0;
    let instancesFaults = 0;
    let instancesSwitches = 0;
    let count = 0;
    for (const pid of descendants(target.server.pid, after)) {
      const a = after.get(pid)!;
      const b = before.get(pid);
      const cpu = a.cpuMs - (b?.cpuMs ?? 0);
      const sys = a.sysMs - (b?.sysMs ?? 0);
      const minor = a.minorFaults - (b?.minorFaults ?? 0);
      const switches = a.switches - (b?.switches ?? 0);
      if (pid === target.server.pid) lines.push(`${perReq(cpu)} (${perReq(sys).trim()}) [${faults(minor)}, ${faults(switches)}]  ${serverName}`);
      else if (floorKind ? /--peer/.test(a.cmd) : /bootstrap\.(mjs|py)|esb\.runtime\.Bootstrap/.test(a.cmd)) {
        instances += cpu;
        instancesSys += sys;
        instancesFaults += minor;
        instancesSwitches += switches;
        count++;
      }
    }
    lines.push(`${perReq(instances)} (${perReq(instancesSys).trim()}) [${faults(instancesFaults)}, ${faults(instancesSwitches)}]  ${floorKind ? 'child processes' : 'function instances'}, all together (${count} processes)`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
} finally {
  await target.server.stop();
  await rm(work, { recursive: true, force: true });
}
