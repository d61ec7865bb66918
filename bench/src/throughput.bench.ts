// Throughput and latency of a warm hello handler at concurrency 1 and 32, in one run, against
// the ceiling (bare fastify), the hop floor and the peer (serverless-offline):
//   (1) bare fastify hello, and the hop floor: fastify handing an esb-sized event to one child
//   process over a Unix socket (and to one worker thread) per request, the design floor
//   (node:http, the REST event, a JSON handler in a child process; hop-floor.ts) and the Lambda
//   floor (the same with one event at a time per child, as many children as cores), (2) esb dev, process runtime, Node and Python hello through the
//   gateway, (3) the same on the Docker runtime when an engine answers, (4) serverless-offline
//   with the same Node handler. Also: start times, serverless-offline cold start and restart
//   (its "deploy"), RSS of each server after load.
// Every server is a child process; autocannon runs here. Runs are interleaved (run 1 of every
// subject, then run 2, ...) so that a change of machine load hits all subjects alike; each
// measured run follows one unmeasured second of the same load.
// Run alone: node --conditions=esb-source --import tsx bench/src/throughput.bench.ts [--runs 3] [--duration 5] [--quick]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchResultLine, header, row, table, type BenchOutput, type Row, type Skip } from './lib/report.js';
import { load, rssTree, timedGet, type LoadResult, type Server } from './lib/servers.js';
import { machine, median, medianBy, round } from './lib/stats.js';
import { dockerAvailable, ensurePeer, FIXTURES, firstOk, startEsbAgent, startEsbDev, startFastify, startHopFloor, startServerlessOffline, TARGETS, floorUrl } from './lib/targets.js';
import { numberFlag } from './lib/args.js';
import { QUEUE_PLACES } from '@esb/agent';

export interface ThroughputOptions {
  runs: number;
  durationS: number;
  warmupS: number;
  /** serverless-offline is started this many times (start time and cold start are their median). */
  peerStarts: number;
  /** Skip the Docker runtime even when an engine answers. */
  noDocker?: boolean;
  noPeer?: boolean;
  /** Also measure the diagnostic variants (Node with at most 2 instances; logs at warn). */
  variants?: boolean;
  log?: (line: string) => void;
}

interface Subject {
  key: string;
  name: string;
  url: string;
  server: Server;
  results: Record<number, LoadResult[]>;
  rss?: ReturnType<typeof rssTree>;
}

const CONCURRENCY = [1, 32] as const;
const RUN_WARMUP_S = 1;
const lat = (r: LoadResult) => `p50 ${r.p50.toFixed(2)} / p90 ${r.p90.toFixed(2)} / p99 ${r.p99.toFixed(2)} ms`;

export async function runThroughput(opts: ThroughputOptions): Promise<BenchOutput> {
  const log = opts.log ?? (() => {});
  const work = await mkdtemp(path.join(tmpdir(), 'esb-bench-tp-'));
  const rows: Row[] = [];
  const skips: Skip[] = [];
  const servers: Server[] = [];
  const subjects: Subject[] = [];
  const raw: Record<string, unknown> = { workDir: work };
  const add = (key: string, name: string, url: string, server: Server) => subjects.push({ key, name, url, server, results: { 1: [], 32: [] } });
  try {
    // (1) the ceiling
    const fastify = await startFastify(work);
    servers.push(fastify.server);
    add('fastify', 'bare fastify hello', `${fastify.url}/hello/x`, fastify.server);
    log(`bare fastify up in ${fastify.startMs.toFixed(0)} ms`);
    // The floor under any design with the function in another process (or thread).
    const FLOORS = {
      unix: 'hop floor, child process (Unix socket)',
      worker: 'hop floor, worker thread',
      design: 'design floor: node:http + REST event + Unix socket + JSON handler',
      lambda: `Lambda floor: the design floor, one event at a time per child (${QUEUE_PLACES} more queued in it), children = cores`,
    } as const;
    for (const kind of Object.keys(FLOORS) as Array<keyof typeof FLOORS>) {
      const floor = await startHopFloor(work, kind);
      servers.push(floor.server);
      add(`floor-${kind}`, FLOORS[kind], floorUrl(floor.url, kind), floor.server);
    }

    // (2) esb, process runtime
    const template = path.join(FIXTURES, 'template.yml');
    const esbStarts: Record<string, number> = {};
    // Variants: logs at warn (what logging costs), and Node functions as worker threads of esb.
    const VARIANTS = { quiet: { env: { LOG_LEVEL: 'warn' }, label: 'LOG_LEVEL=warn' }, workers: { env: { ESB_NODE_WORKERS: 'on' }, label: 'in-process workers (ESB_NODE_WORKERS=on)' } } as const;
    const startEsb = async (runtime: 'process' | 'docker', variant?: keyof typeof VARIANTS) => {
      const tag = variant ? `${runtime}-${variant}` : runtime;
      const dev = await startEsbDev({ workspace: path.join(work, `ws-${tag}`), runtime, logDir: work, env: variant ? { ...VARIANTS[variant].env } : undefined });
      servers.push(dev.server);
      if (variant) {
        await dev.deploy('bench', template);
        await firstOk(`${dev.url}/hello/node`, 120_000, 10, dev.server);
        add(`esb-${tag}-node`, `esb ${runtime}, Node hello, ${VARIANTS[variant].label}`, `${dev.url}/hello/node`, dev.server);
        return;
      }
      esbStarts[runtime] = dev.startMs;
      const t0 = performance.now();
      await dev.deploy('bench', template);
      const node = await firstOk(`${dev.url}/hello/node`, 120_000, 10, dev.server);
      const python = await firstOk(`${dev.url}/hello/python`, 120_000, 10, dev.server);
      log(`esb dev (${runtime}) up in ${dev.startMs.toFixed(0)} ms; hello deployed and answering in ${(node.at - t0).toFixed(0)} ms (first Node request ${node.ms.toFixed(0)} ms, first Python ${python.ms.toFixed(0)} ms)`);
      raw[`esb-${runtime}-first`] = { deployToNodeMs: node.at - t0, firstNodeMs: node.ms, firstPythonMs: python.ms };
      add(`esb-${runtime}-node`, `esb ${runtime}, Node hello`, `${dev.url}/hello/node`, dev.server);
      add(`esb-${runtime}-python`, `esb ${runtime}, Python hello`, `${dev.url}/hello/python`, dev.server);
      if (runtime === 'process' && opts.variants) {
        await firstOk(`${dev.url}/hello/node-capped`, 120_000, 10, dev.server);
        add(`esb-${runtime}-node-capped`, `esb ${runtime}, Node hello, max 2 instances`, `${dev.url}/hello/node-capped`, dev.server);
      }
    };
    await startEsb('process');
    // Variants that say where the time goes: access + function logs off (LOG_LEVEL=warn).
    if (opts.variants) {
      await startEsb('process', 'quiet');
      await startEsb('process', 'workers');
    }

    // (3) esb, Docker runtime
    const docker = opts.noDocker ? ({ ok: false, reason: 'disabled (--no-docker)' } as const) : await dockerAvailable();
    if (docker.ok) {
      try {
        await startEsb('docker');
      } catch (err) {
        skips.push({ bench: 'throughput', subject: 'esb docker', reason: `failed to start or deploy: ${String(err).split('\n')[0]}` });
      }
    } else skips.push({ bench: 'throughput', subject: 'esb docker runtime', reason: docker.reason });

    // (4) the peer: started peerStarts times (start time, cold start); the last one serves the load.
    const peer: { startMs: number[]; coldMs: number[]; restartToServeMs: number[] } = { startMs: [], coldMs: [], restartToServeMs: [] };
    if (!opts.noPeer) {
      try {
        await ensurePeer(log);
        for (let i = 0; i < opts.peerStarts; i++) {
          const t0 = performance.now();
          const s = await startServerlessOffline(work, String(i));
          const first = await timedGet(`${s.url}/hello/node`, 60_000);
          if (first.status !== 200) throw new Error(`serverless-offline: GET /hello/node answered ${first.status}: ${first.body.slice(0, 200)}\n${await s.server.tail()}`);
          peer.startMs.push(s.startMs);
          peer.coldMs.push(first.ms);
          peer.restartToServeMs.push(performance.now() - t0);
          log(`serverless-offline start ${i + 1}/${opts.peerStarts}: listening in ${s.startMs.toFixed(0)} ms, first request (cold) ${first.ms.toFixed(0)} ms`);
          if (i === opts.peerStarts - 1) {
            servers.push(s.server);
            add('peer-node', 'serverless-offline, Node hello', `${s.url}/hello/node`, s.server);
          } else await s.server.stop();
        }
      } catch (err) {
        skips.push({ bench: 'throughput', subject: 'serverless-offline', reason: String(err).split('\n').slice(0, 3).join(' | ') });
      }
    } else skips.push({ bench: 'throughput', subject: 'serverless-offline', reason: 'disabled (--no-peer)' });
    raw.peer = peer;
    raw.esbStartMs = esbStarts;

    // Warm-up at the higher concurrency (fills the warm pools), then interleaved measured runs.
    // A subject that fails it is tried once more with a longer warm-up; then the optional ones
    // (the peer, the Docker runtime) are skipped with the reason, the others fail the benchmark.
    for (const s of [...subjects]) {
      let w = await load(s.url, 32, opts.warmupS);
      const failed = () => w.requests === 0 || w.non2xx + w.errors > w.requests / 2;
      if (failed()) {
        log(`${s.name}: warm-up failed (${w.requests} requests, ${w.non2xx} non-2xx, ${w.errors} errors/timeouts); again with ${opts.warmupS * 3} s`);
        w = await load(s.url, 32, opts.warmupS * 3);
      }
      if (!failed()) continue;
      const reason = `warm-up failed twice (${w.requests} requests, ${w.non2xx} non-2xx, ${w.errors} errors/timeouts at c=32)`;
      if (s.key !== 'peer-node' && !s.key.startsWith('esb-docker')) throw new Error(`${s.name}: ${reason}`);
      skips.push({ bench: 'throughput', subject: s.name, reason });
      subjects.splice(subjects.indexOf(s), 1);
    }
    for (const c of CONCURRENCY) {
      for (let r = 0; r < opts.runs; r++) {
        for (const s of subjects) {
          // Each measured run follows a short unmeasured one of the same subject and concurrency:
          // interleaving leaves every server idle while the others are measured, and the first
          // second back from idle (cold caches, a heap shrunk while idle) is not the warm state
          // this measures. Servers shared by several subjects would otherwise favour the later ones.
          await load(s.url, c, RUN_WARMUP_S);
          const res = await load(s.url, c, opts.durationS);
          s.results[c].push(res);
          log(`  c=${c} run ${r + 1}/${opts.runs} ${s.name.padEnd(32)} ${res.rps.toFixed(0).padStart(6)} req/s  ${lat(res)}${res.errors || res.non2xx ? `  errors ${res.errors} non-2xx ${res.non2xx}` : ''}`);
        }
      }
    }
    for (const s of subjects) s.rss = rssTree(s.server.pid);
    // The agent alone (`esb agent`, the split topology's agent) on the same CONFIG_DIR, after one invoke of each function.
    let agentRss: ReturnType<typeof rssTree> | undefined;
    try {
      const agent = await startEsbAgent(path.join(work, 'ws-process', '.esb', 'staging', 'esb', 'default', 'config'), work);
      servers.push(agent.server);
      for (const fn of ['bench-hello-node', 'bench-hello-python']) {
        const status = await agent.invoke(fn);
        if (status !== 200) throw new Error(`esb agent: invoke ${fn} answered ${status}`);
      }
      agentRss = rssTree(agent.server.pid);
      await agent.server.stop();
    } catch (err) {
      skips.push({ bench: 'memory', subject: 'esb agent alone', reason: String(err).split('\n')[0] });
    }

    // Rows: rps and latency per subject and concurrency, ratios against bare fastify.
    const med = (s: Subject, c: number) => medianBy(s.results[c], (x) => x.rps);
    const base = subjects[0];
    raw.runs = Object.fromEntries(subjects.map((s) => [s.key, s.results]));
    for (const c of CONCURRENCY) {
      const b = med(base, c);
      for (const s of subjects) {
        const m = med(s, c);
        const isEsbNode = s.key === 'esb-process-node';
        rows.push(
          row({
            bench: 'throughput',
            subject: s.name,
            metric: `req/s c=${c}`,
            value: m.rps,
            unit: 'req/s',
            baseline: s === base ? undefined : { name: 'fastify', value: b.rps },
            target: isEsbNode && c === 32 ? TARGETS.esbVsFastifyC32.text : undefined,
            met: isEsbNode && c === 32 ? TARGETS.esbVsFastifyC32.met(m.rps / b.rps) : undefined,
            runs: s.results[c].length,
            detail: `${lat(m)}${m.errors + m.non2xx ? `; errors ${m.errors}, non-2xx ${m.non2xx}` : ''}`,
          }),
        );
      }
    }
    // Added latency at c=1 over a baseline subject (median run of each): mean, p50, p99.
    const addedLatency = (s: Subject, subject: string, base: Subject, baseName: string, target?: { text: string; met(addedMs: number): boolean }): Row => {
      const m = med(s, 1);
      const b = med(base, 1);
      return row({
        bench: 'throughput',
        subject,
        metric: 'added latency c=1 (mean)',
        value: m.mean - b.mean,
        unit: 'ms',
        baseline: { name: baseName, value: b.mean },
        ratio: round(m.mean / b.mean, 3),
        target: target?.text,
        met: target?.met(m.mean - b.mean),
        runs: s.results[1].length,
        detail: `p50 +${(m.p50 - b.p50).toFixed(3)} ms, p99 +${(m.p99 - b.p99).toFixed(3)} ms`,
      });
    };
    for (const s of subjects.slice(1)) rows.push(addedLatency(s, s.name, base, 'fastify mean', s.key === 'esb-process-node' ? TARGETS.esbAddedOverFastifyC1 : undefined));
    // esb against the hop floor (Unix socket): c=32 req/s, and the mean latency added at c=1.
    const floor = subjects.find((s) => s.key === 'floor-unix');
    if (floor) {
      const f32 = med(floor, 32);
      for (const s of subjects.filter((x) => x.key.startsWith('esb-'))) {
        const isEsbNode = s.key === 'esb-process-node';
        const m32 = med(s, 32);
        rows.push(
          row({
            bench: 'throughput',
            subject: `${s.name} vs hop floor`,
            metric: 'req/s c=32',
            value: m32.rps,
            unit: 'req/s',
            baseline: { name: 'floor (Unix socket)', value: f32.rps },
            target: isEsbNode ? TARGETS.esbVsFloorC32.text : undefined,
            met: isEsbNode ? TARGETS.esbVsFloorC32.met(m32.rps / f32.rps) : undefined,
            runs: s.results[32].length,
          }),
          addedLatency(s, `${s.name} vs hop floor`, floor, 'floor (Unix socket) mean', isEsbNode ? TARGETS.esbAddedOverFloorC1 : undefined),
        );
      }
    }
    // esb's warm Node hello against the design floors (what its design could reach; no target).
    const esbNode = subjects.find((s) => s.key === 'esb-process-node');
    for (const [key, name] of [['floor-design', 'design floor'], ['floor-lambda', 'Lambda floor']] as const) {
      const design = subjects.find((s) => s.key === key);
      if (!design || !esbNode) continue;
      rows.push(
        row({
          bench: 'throughput',
          subject: `${esbNode.name} vs ${name}`,
          metric: 'req/s c=32',
          value: med(esbNode, 32).rps,
          unit: 'req/s',
          baseline: { name, value: med(design, 32).rps },
          runs: esbNode.results[32].length,
        }),
        addedLatency(esbNode, `${esbNode.name} vs ${name}`, design, `${name} mean`, undefined),
      );
    }
    // esb against the peer.
    const peerSubject = subjects.find((s) => s.key === 'peer-node');
    if (peerSubject) {
      for (const key of ['esb-process-node', 'esb-docker-node']) {
        const s = subjects.find((x) => x.key === key);
        if (!s) continue;
        for (const c of CONCURRENCY) {
          rows.push(
            row({
              bench: 'throughput',
              subject: `${s.name} vs peer`,
              metric: `req/s c=${c}`,
              value: med(s, c).rps,
              unit: 'req/s',
              baseline: { name: 'serverless-offline', value: med(peerSubject, c).rps },
              target: c === 32 && key === 'esb-process-node' ? TARGETS.esbVsPeerC32.text : undefined,
              met: c === 32 && key === 'esb-process-node' ? TARGETS.esbVsPeerC32.met(med(s, c).rps / med(peerSubject, c).rps) : undefined,
              runs: s.results[c].length,
            }),
          );
        }
      }
      rows.push(
        row({ bench: 'cold start', subject: 'serverless-offline, Node hello', metric: 'first request after start', value: median(peer.coldMs), unit: 'ms', runs: peer.coldMs.length, detail: peer.coldMs.map((x) => x.toFixed(0)).join(', ') }),
        row({ bench: 'start', subject: 'serverless-offline', metric: 'spawn -> listening', value: median(peer.startMs), unit: 'ms', runs: peer.startMs.length }),
        row({
          bench: 'deploy',
          subject: 'serverless-offline',
          metric: 'restart -> new code answers',
          value: median(peer.restartToServeMs),
          unit: 'ms',
          runs: peer.restartToServeMs.length,
          note: 'serverless-offline has no hot deploy: a new function means a restart; this is its deploy-to-serve',
        }),
      );
    }
    for (const [runtime, ms] of Object.entries(esbStarts)) {
      rows.push(row({ bench: 'start', subject: `esb dev (${runtime})`, metric: 'spawn -> /health answers', value: ms, unit: 'ms', runs: 1, detail: 'storage + agent + gateway + controller' }));
    }
    // Memory after load.
    const fastRss = base.rss!.selfMb;
    const seen = new Set<number>();
    for (const s of subjects) {
      if (seen.has(s.server.pid)) continue;
      seen.add(s.server.pid);
      const r = s.rss!;
      const name = s.key.startsWith('esb-') ? `esb dev (${s.key.split('-').slice(1, -1).join(', ')}): gateway+agent+controller+storage` : s.name.replace(/, Node hello| hello/, '');
      rows.push(
        row({
          bench: 'memory',
          subject: name,
          metric: 'RSS after load',
          value: r.selfMb,
          unit: 'MB',
          baseline: s === base ? undefined : { name: 'fastify', value: fastRss },
          runs: 1,
          detail: r.children ? `+ ${r.children} child processes ${r.childrenMb.toFixed(1)} MB (function instances / workers)` : undefined,
        }),
      );
    }
    if (agentRss) {
      rows.push(row({ bench: 'memory', subject: 'esb agent alone (1 Node + 1 Python instance)', metric: 'RSS after 1 invoke each', value: agentRss.selfMb, unit: 'MB', baseline: { name: 'fastify', value: fastRss }, runs: 1, detail: `+ ${agentRss.children} child processes ${agentRss.childrenMb.toFixed(1)} MB; the gateway alone is in the scale rows` }));
    }
    return { rows, skips, raw };
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => {});
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

export function throughputArgs(argv: string[]): ThroughputOptions {
  const get = (flag: string, dflt: number) => numberFlag(argv, flag, dflt);
  const quick = argv.includes('--quick');
  return {
    runs: Math.max(quick ? 1 : 3, get('--runs', 3)),
    durationS: get('--duration', quick ? 2 : 5),
    warmupS: quick ? 1 : 2,
    peerStarts: get('--peer-starts', quick ? 1 : 3),
    noDocker: argv.includes('--no-docker'),
    noPeer: argv.includes('--no-peer'),
    variants: !argv.includes('--no-variants'),
    log: (l) => process.stderr.write(`${l}\n`),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await runThroughput(throughputArgs(process.argv.slice(2)));
  process.stdout.write(`${header(machine())}\n${table(out.rows, out.skips)}\n`);
  if (process.env.BENCH_JSON === '1') process.stdout.write(`${benchResultLine(out)}\n`);
}
