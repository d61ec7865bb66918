// Runs one of the per-part benchmarks (written by each part's owner) in this child process and
// prints its result as one final `BENCH_RESULT <json>` line, so that run-all can aggregate them
// without touching their files or sharing an event loop with them.
// Usage: node --conditions=esb-source --import tsx bench/src/lib/part.ts <gateway|agent|generate|apply|provision|compose> [--quick]
// (auth.bench.ts is a plain script: runPart runs it directly with BENCH_JSON=1.)
import { benchResultLine } from './report.js';

const name = process.argv[2];
const quick = process.argv.includes('--quick');

async function main(): Promise<unknown> {
  switch (name) {
    case 'gateway':
      return (await import('../gateway.bench.js')).runGatewayBench({ quick });
    case 'agent':
      return (await import('../agent.bench.js')).runAgentBench(quick ? { warm: 500, cold: 3 } : { warm: 3000, cold: 7 });
    case 'generate':
      return (await import('../generate.bench.js')).runGenerateBench(quick ? 3 : 5);
    case 'apply':
      return (await import('../apply.bench.js')).benchApply(3);
    case 'provision':
      return (await import('../provision.bench.js')).runProvisionBench(quick ? 10 : 50);
    case 'compose':
      return (await import('../compose.bench.js')).runComposeBench(quick ? 10 : 50);
    default:
      throw new Error(`unknown part benchmark "${name}" (gateway, agent, generate, apply, provision, compose)`);
  }
}

const result = await main();
process.stdout.write(`\n${benchResultLine(result)}\n`);
process.exit(0);
