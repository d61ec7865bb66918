// Scale: 1,000 functions / 5,000 routes in the gateway — reload time, route lookup, gateway RSS —
// and the gateway's own overhead (an in-process trivial invoker instead of the agent) against
// bare fastify. Aggregates the gateway owner's bench (bench/src/gateway.bench.ts), run in a child.
// Run alone: node --conditions=esb-source --import tsx bench/src/scale.bench.ts [--quick]   (or the gateway bench itself)
import { pathToFileURL } from 'node:url';
import { benchResultLine, header, row, table, type BenchOutput, type Row } from './lib/report.js';
import { machine } from './lib/stats.js';
import { runPart, TARGETS } from './lib/targets.js';

interface GatewayBench {
  lookup: { routes: number; p50Us: number; p99Us: number; meanBatchedUs: number };
  reload: { parseValidateCompileMs: number; compileOnlyMs: number; watcherEndToEndMs: number; yamlBytes: number };
  memory: { emptyGatewayMb: number; gateway5kRoutesMb: number; gateway5kLoadedMb: number; emptyLoadedMb: number; from: string };
  throughput: { rows: Array<{ name: string; c: number; rps: number; p50: number; p99: number; errors: number; non2xx: number; cpuUsPerRequest: number }>; rssAfterLoadMb: Record<string, number> };
}

export async function runScale(opts: { quick?: boolean } = {}): Promise<BenchOutput> {
  const g = await runPart<GatewayBench>('gateway', { quick: opts.quick });
  const runs = opts.quick ? 3 : 7;
  const rows: Row[] = [
    row({ bench: 'scale', subject: 'gateway, 1,000 fns / 5,000 routes', metric: 'reload (rename -> new table serves)', value: g.reload.watcherEndToEndMs, unit: 'ms', baseline: { name: 'target', value: 200 }, target: '< 200 ms', met: g.reload.watcherEndToEndMs < 200, runs: Math.min(runs, 5), detail: `parse+validate+compile ${g.reload.parseValidateCompileMs.toFixed(1)} ms (compile ${g.reload.compileOnlyMs.toFixed(1)} ms), ${(g.reload.yamlBytes / 1024).toFixed(0)} KiB YAML` }),
    row({ bench: 'scale', subject: `gateway, ${g.lookup.routes} routes`, metric: 'route lookup p50', value: g.lookup.p50Us, unit: 'µs', baseline: { name: 'target', value: 5 }, target: '< 5 µs', met: g.lookup.p50Us < 5, detail: `p99 ${g.lookup.p99Us.toFixed(2)} µs (timer incl.), batched mean ${g.lookup.meanBatchedUs.toFixed(3)} µs` }),
    row({ bench: 'scale', subject: 'gateway, 5,000 routes', metric: 'RSS', value: g.memory.gateway5kRoutesMb, unit: 'MB', baseline: { name: 'empty gateway', value: g.memory.emptyGatewayMb }, target: '< 150 MB', met: g.memory.gateway5kRoutesMb < 150, runs: 1, detail: `esb gateway --agent-url (${g.memory.from}), once the parse thread has ended; ${g.memory.gateway5kLoadedMb.toFixed(1)} MB right after loading (empty ${g.memory.emptyLoadedMb.toFixed(1)} MB)` }),
  ];
  for (const c of [1, 32]) {
    const base = g.throughput.rows.find((r) => r.c === c && r.name.includes('baseline'));
    for (const r of g.throughput.rows.filter((x) => x.c === c && !x.name.includes('baseline'))) {
      const judged = c === 32 && r.name.includes('access log on') && base !== undefined;
      rows.push(
        row({
          bench: 'scale',
          subject: r.name.replace('gateway', 'gateway only (trivial invoker)'),
          metric: `req/s c=${c}`,
          value: r.rps,
          unit: 'req/s',
          baseline: base ? { name: 'fastify', value: base.rps } : undefined,
          target: judged ? TARGETS.gatewayAloneVsFastifyC32.text : undefined,
          met: judged ? TARGETS.gatewayAloneVsFastifyC32.met(r.rps / base.rps) : undefined,
          runs: opts.quick ? 1 : 3,
          detail: `p50 ${r.p50} / p99 ${r.p99} ms (autocannon, 1 ms resolution); server CPU ${r.cpuUsPerRequest.toFixed(0)} µs/request${base ? ` (fastify ${base.cpuUsPerRequest.toFixed(0)})` : ''}`,
        }),
      );
    }
  }
  return { rows, skips: [], raw: { gateway: g } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await runScale({ quick: process.argv.includes('--quick') });
  process.stdout.write(`${header(machine())}\n${table(out.rows, out.skips)}\n`);
  if (process.env.BENCH_JSON === '1') process.stdout.write(`${benchResultLine(out)}\n`);
}
