// Deploy-to-serve on a running `esb dev` (process runtime, a child process): a Deployment
// manifest is written into deployments/ (atomic rename) -> the new route answers 200. Each
// deploy adds new functions (a Node and a Python hello), so the answering request also pays
// their cold start, which is reported as the cold start through the gateway. p50 over several
// deploys (target < 500 ms). Then an unchanged re-apply: the reconcile of an unchanged
// Deployment (target < 50 ms, a no-op), `esb deploy` run again with the same template (CLI wall
// time, process start included; target <= 500 ms), and `esb get deployments` against `node -e 0`
// run alternately (target <= 3x; both from the compiled JavaScript when the build is fresh).
// Run alone: node --conditions=esb-source --import tsx bench/src/deploy.bench.ts [--deploys 5] [--quick]
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { FileStore } from '@esb/controller';
import { stagingConfigDir } from '@esb/deploy';
import { DeploymentReconciler } from '@esb/controller';
import { createDeploySteps } from '@esb/controller';
import { workspacePaths } from '@esb/controller';
import { benchResultLine, header, row, table, type BenchOutput, type Row, type Skip } from './lib/report.js';
import { sleep, timedGet } from './lib/servers.js';
import { machine, median } from './lib/stats.js';
import { FIXTURES, REPO, firstOk, startEsbDev, timeCliAgainstNode } from './lib/targets.js';

const run = promisify(execFile);

export interface DeployOptions {
  deploys: number;
  noopRuns: number;
  cliRuns: number;
  /** `esb get deployments` runs (each alternating with a `node -e 0`). */
  getRuns: number;
  log?: (line: string) => void;
}

export function helloTemplate(k: number, codeDir: string): string {
  const fn = (id: string, name: string, runtime: string, p: string) =>
    [
      `  ${id}:`,
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      `      FunctionName: ${name}`,
      `      Runtime: ${runtime}`,
      `      CodeUri: ${codeDir}`,
      '      Handler: hello.handler',
      '      Events:',
      `        Hello: { Type: Api, Properties: { Path: ${p}, Method: get } }`,
    ].join('\n');
  return [
    "AWSTemplateFormatVersion: '2010-09-09'",
    'Transform: AWS::Serverless-2016-10-31',
    'Resources:',
    fn(`Node${k}`, `bench-d${k}-node`, 'nodejs20.x', `/d${k}/node`),
    fn(`Python${k}`, `bench-d${k}-python`, 'python3.11', `/d${k}/python`),
    '',
  ].join('\n');
}

export async function runDeploy(opts: DeployOptions): Promise<BenchOutput> {
  const log = opts.log ?? (() => {});
  const work = await mkdtemp(path.join(tmpdir(), 'esb-bench-deploy-'));
  const workspace = path.join(work, 'ws');
  const templates = path.join(work, 'templates');
  await mkdir(templates, { recursive: true });
  await cp(path.join(FIXTURES, 'app'), path.join(templates, 'app'), { recursive: true }); // CodeUri must stay inside the template's folder
  const dev = await startEsbDev({ workspace, runtime: 'process', logDir: work });
  const rows: Row[] = [];
  try {
    const deploymentsDir = path.join(workspace, 'deployments');
    const toServe: number[] = [];
    const routeLive: number[] = [];
    const coldNode: number[] = [];
    const coldPython: number[] = [];
    for (let k = 0; k < opts.deploys; k++) {
      const template = path.join(templates, `d${k}.yml`);
      await writeFile(template, helloTemplate(k, 'app/'));
      await sleep(300); // quiet period: the previous deploy's follow-up work is done
      const t0 = performance.now();
      // Same spec as `esb deploy --name d<k>` writes (template relative to deployments/), so the CLI re-run below is unchanged.
      await dev.deploy(`d${k}`, path.relative(deploymentsDir, template));
      const node = await firstOk(`${dev.url}/d${k}/node`, 60_000, 5, dev.server);
      const py = await timedGet(`${dev.url}/d${k}/python`);
      if (py.status !== 200) throw new Error(`deploy ${k}: /d${k}/python answered ${py.status}: ${py.body.slice(0, 200)}`);
      toServe.push(node.at - t0);
      routeLive.push(node.at - node.ms - t0); // when the answering request was sent (5 ms poll)
      coldNode.push(node.ms);
      coldPython.push(py.ms);
      log(`deploy ${k + 1}/${opts.deploys}: manifest -> route answers ${(node.at - t0).toFixed(0)} ms (that first Node request ${node.ms.toFixed(0)} ms; first Python request ${py.ms.toFixed(0)} ms)`);
    }

    // Unchanged re-apply: reconcile of the unchanged Deployment d0 (what the controller does on a
    // re-sent manifest or a resync), here in this process against the same workspace.
    const paths = workspacePaths(workspace);
    const store = new FileStore({ deploymentsDir: paths.deploymentsDir, statusDir: paths.statusDir });
    const reconciler = new DeploymentReconciler({
      store,
      steps: createDeploySteps({ runtime: 'process' }),
      workspace,
      configDirFor: (p, e) => stagingConfigDir({ workspace, project: p, env: e }),
    });
    const statusFile = path.join(paths.statusDir, 'default', 'd0.yaml');
    const before = await readFile(statusFile, 'utf8').catch(() => '');
    const noop: number[] = [];
    const request = { namespace: 'default', name: 'd0' };
    await reconciler.reconcile(request, new AbortController().signal); // first read of the store
    for (let i = 0; i < opts.noopRuns; i++) {
      const t0 = performance.now();
      await reconciler.reconcile(request, new AbortController().signal);
      noop.push(performance.now() - t0);
    }
    const after = await readFile(statusFile, 'utf8').catch(() => '');
    const wasNoop = before !== '' && before === after;
    log(`unchanged reconcile: ${noop.map((x) => x.toFixed(1)).join(', ')} ms (${wasNoop ? 'status untouched: a no-op' : 'status CHANGED: not a no-op'})`);

    // `esb deploy` with the same template again: a user's no-op, wall time of the CLI process.
    // One run first, not timed: the CLI's manifest also names the stack, which the one written
    // above does not, so that run is a real (small) re-deploy; the timed runs are unchanged.
    const cli: number[] = [];
    const skips: Skip[] = [];
    const cliDeploy = () =>
      run(process.execPath, [path.join(REPO, 'cli', 'bin', 'esb.js'), 'deploy', '-t', path.join(templates, 'd0.yml'), '--name', 'd0', '--workspace', workspace, '-m', 'process', '--json', '--timeout', '60s'], { cwd: REPO, timeout: 90_000 });
    let beforeCli = '';
    try {
      await cliDeploy();
      await sleep(300); // the controller's follow-up of that deploy is done
      beforeCli = await readFile(statusFile, 'utf8').catch(() => '');
      for (let i = 0; i < opts.cliRuns; i++) {
        const t0 = performance.now();
        await cliDeploy();
        cli.push(performance.now() - t0);
      }
    } catch (err) {
      cli.length = 0;
      const e = err as { stderr?: string; message: string };
      skips.push({ bench: 'deploy', subject: 'esb deploy CLI (unchanged re-deploy)', reason: `the CLI failed: ${(e.stderr || e.message).trim().split('\n')[0]}` });
    }
    if (cli.length) log(`esb deploy (unchanged) wall: ${cli.map((x) => x.toFixed(0)).join(', ')} ms`);
    // `esb get deployments` on the same workspace, alternating with `node -e 0`.
    const get = await timeCliAgainstNode(['get', 'deployments', '--workspace', workspace], opts.getRuns);
    log(`esb get deployments wall: ${get.esb.map((x) => x.toFixed(0)).join(', ')} ms; node -e 0: ${get.node.map((x) => x.toFixed(0)).join(', ')} ms (${get.from})`);
    const afterCli = await readFile(statusFile, 'utf8').catch(() => '');
    const cliNoop = beforeCli !== '' && afterCli === beforeCli;

    rows.push(
      row({
        bench: 'deploy',
        subject: 'esb dev (process)',
        metric: 'deploy-to-serve p50',
        value: median(toServe),
        unit: 'ms',
        target: '< 500 ms',
        met: median(toServe) < 500,
        runs: toServe.length,
        detail: `manifest written -> new route 200, incl. cold start; all: ${toServe.map((x) => x.toFixed(0)).join(', ')}`,
      }),
      row({
        bench: 'deploy',
        subject: 'esb dev (process)',
        metric: 'manifest -> route live p50',
        value: median(routeLive),
        unit: 'ms',
        runs: routeLive.length,
        detail: `deploy-to-serve minus the cold start (5 ms poll); all: ${routeLive.map((x) => x.toFixed(0)).join(', ')}`,
      }),
      row({
        bench: 'deploy',
        subject: 'esb controller',
        metric: 'unchanged re-apply (reconcile)',
        value: median(noop),
        unit: 'ms',
        target: '< 50 ms no-op',
        met: median(noop) < 50 && wasNoop,
        runs: noop.length,
        detail: wasNoop ? 'status untouched (no-op verified)' : 'status file changed: NOT a no-op',
      }),
      row({ bench: 'cold start', subject: 'esb process, Node hello', metric: 'first request via gateway', value: median(coldNode), unit: 'ms', runs: coldNode.length, detail: coldNode.map((x) => x.toFixed(0)).join(', ') }),
      row({ bench: 'cold start', subject: 'esb process, Python hello', metric: 'first request via gateway', value: median(coldPython), unit: 'ms', runs: coldPython.length, detail: coldPython.map((x) => x.toFixed(0)).join(', ') }),
    );
    if (cli.length) {
      rows.push(
        row({
          bench: 'deploy',
          subject: 'esb deploy CLI',
          metric: 'unchanged re-deploy (wall)',
          value: median(cli),
          unit: 'ms',
          runs: cli.length,
          target: '<= 500 ms',
          met: median(cli) <= 500,
          detail: `${cliNoop ? 'no-op' : 'status changed'}; process start included; all: ${cli.map((x) => x.toFixed(0)).join(', ')}`,
        }),
      );
    }
    const getRatio = median(get.esb) / median(get.node);
    rows.push(
      row({
        bench: 'deploy',
        subject: 'esb get deployments',
        metric: 'CLI wall',
        value: median(get.esb),
        unit: 'ms',
        baseline: { name: 'node -e 0', value: median(get.node) },
        target: '<= 3x node -e 0',
        met: getRatio <= 3,
        runs: get.esb.length,
        detail: `alternating with node -e 0; ran the ${get.from}`,
      }),
    );
    return { rows, skips, raw: { toServe, routeLive, coldNode, coldPython, noop, cli, getEsb: get.esb, getNode: get.node, esbStartMs: dev.startMs } };
  } finally {
    await dev.server.stop();
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

export function deployArgs(argv: string[]): DeployOptions {
  const i = argv.indexOf('--deploys');
  const quick = argv.includes('--quick');
  return {
    deploys: Math.max(3, i >= 0 ? Number(argv[i + 1]) : quick ? 3 : 7),
    noopRuns: quick ? 5 : 15,
    cliRuns: quick ? 3 : 5,
    getRuns: quick ? 5 : 11,
    log: (l) => process.stderr.write(`${l}\n`),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await runDeploy(deployArgs(process.argv.slice(2)));
  process.stdout.write(`${header(machine())}\n${table(out.rows, out.skips)}\n`);
  if (process.env.BENCH_JSON === '1') process.stdout.write(`${benchResultLine(out)}\n`);
}
