// `esb get deployments [-A] [-n NS] [-o wide|yaml|json] [-w] [--workspace DIR]` and
// `esb describe deployment NAME [-n NS] [--workspace DIR]`: what the file backend's controller
// reported, read from the status records (and, for describe, the stack's Outputs from its
// CONFIG_DIR's stacks.yml). `-w` prints a row again each time a Deployment changes, as
// kubectl's watch does (the status and manifest folders are watched, and read again every 2 s in case an event was lost).
import { mkdir, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { keyOf, listManifests, listStatusRecords, parseManifest, workspacePaths } from '@esb/controller/client';
import type { Command } from '../main.js';
import { processSettings } from '../settings.js';
import {
  alignedRow,
  columnWidths,
  deploymentCells,
  deploymentList,
  deploymentResource,
  deploymentsHeader,
  deploymentsTable,
  describeDeployment,
  parseOutputFormat,
  watchKey,
  type DeploymentRow,
  type OutputFormat,
} from '../present.js';

const RESOURCE_NAMES = new Set(['deployments', 'deployment', 'deploy', 'esbd', 'deployments.esb.dev']);

/**
 * Every Deployment the folder's manifests declare, with its status record (or none yet, shown
 * as Unknown). A record whose manifest was deleted is not listed. `warn` hears what the
 * manifests hold that is not used (other kinds, unknown fields, empty files).
 */
export async function loadRows(workspace: string | undefined, warn: (message: string) => void = () => {}): Promise<DeploymentRow[]> {
  const settings = processSettings();
  const paths = workspacePaths(workspace ?? settings.workspace, settings.deploymentsDir);
  const records = new Map((await listStatusRecords(paths.statusDir)).map(({ request, record }) => [keyOf(request), record]));
  const rows = new Map<string, DeploymentRow>();
  for (const file of await listManifests(paths.deploymentsDir)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // removed meanwhile
    }
    for (const entry of parseManifest(text, file, warn)) {
      const key = keyOf(entry.request);
      if (rows.has(key)) continue;
      const record = records.get(key);
      const spec = 'deployment' in entry ? entry.deployment.spec : undefined;
      rows.set(
        key,
        record
          ? { ...entry.request, env: record.env, createdAt: record.createdAt, status: record.status, recentErrors: record.recentErrors, manifest: record.manifest ?? file, generation: record.generation, spec }
          : { ...entry.request, env: spec?.env, manifest: file, spec },
      );
    }
  }
  return [...rows.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

/** kubectl's form of a warning, on stderr. */
const warnOnStderr = (message: string) => process.stderr.write(`Warning: ${message}\n`);
function printOnce(rows: DeploymentRow[], format: OutputFormat, allNamespaces: boolean, namespace: string): void {
  if (format === 'json') process.stdout.write(`${JSON.stringify(deploymentList(rows), null, 2)}\n`);
  else if (format === 'yaml') process.stdout.write(stringify(deploymentList(rows)));
  else if (rows.length === 0) process.stdout.write(`No deployments found in ${allNamespaces ? 'any' : namespace} namespace.\n`);
  else process.stdout.write(`${deploymentsTable(rows, new Date(), allNamespaces, format === 'wide')}\n`);
}

/** `-w`: the list, then one row (or object) per change until Ctrl-C. */
/** How often `-w` reads the list again without a file event (rows are printed only when they change). */
const WATCH_RESYNC_MS = 2000;

async function watchRows(load: () => Promise<DeploymentRow[]>, dirs: string[], format: OutputFormat, allNamespaces: boolean): Promise<number> {
  const wide = format === 'wide';
  const seen = new Map<string, string>();
  let widths: number[] | undefined;
  const print = (row: DeploymentRow) => {
    if (format === 'json') process.stdout.write(`${JSON.stringify(deploymentResource(row), null, 2)}\n`);
    else if (format === 'yaml') process.stdout.write(`---\n${stringify(deploymentResource(row))}`);
    else {
      const cells = deploymentCells(row, new Date(), allNamespaces, wide);
      if (!widths) {
        const header = deploymentsHeader(allNamespaces, wide);
        widths = columnWidths([header, cells]);
        process.stdout.write(`${alignedRow(header, widths)}\n`);
      }
      process.stdout.write(`${alignedRow(cells, widths)}\n`);
    }
  };
  const refresh = async () => {
    for (const row of await load()) {
      const key = `${row.namespace}/${row.name}`;
      const state = watchKey(row);
      if (seen.get(key) === state) continue;
      seen.set(key, state);
      print(row);
    }
  };
  for (const dir of dirs) await mkdir(dir, { recursive: true }); // watched from the start, even before the first deploy
  const { watch } = await import('chokidar'); // only -w watches
  const watcher = watch(dirs, { ignoreInitial: true, awaitWriteFinish: false });
  // The list is read once the watcher is ready: a change made before then is in the list, and
  // one made after is an event, so none falls between the two.
  await new Promise<void>((resolve, reject) => watcher.once('ready', resolve).once('error', reject));
  await refresh();
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  // A deploy writes its status several times in a row: one look every 20 ms while the writes
  // come (not one look once they stop), so its progress shows as it happens.
  const look = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = running.then(refresh).catch((err) => void process.stderr.write(`esb: ${err instanceof Error ? err.message : String(err)}\n`));
    }, 20);
  };
  watcher.on('all', look);
  // A change whose file event is lost (a rename the watcher coalesced, an overflowing queue)
  // still shows within the resync period, as an informer's resync does.
  const resync = setInterval(look, WATCH_RESYNC_MS);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(resync);
  clearTimeout(timer);
  await watcher.close();
  return 0;
}

const options = {
  workspace: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o' },
  watch: { type: 'boolean', short: 'w' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const get: Command = {
  summary: 'list Deployments and whether they are Ready',
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
    if (values.help || positionals.length !== 1 || !RESOURCE_NAMES.has(positionals[0])) {
      process.stdout.write('usage: esb get deployments [-n NAMESPACE | -A] [-o wide|yaml|json] [-w] [--workspace DIR]\n');
      return values.help ? 0 : 2;
    }
    const format = parseOutputFormat(values.output);
    const namespace = values.namespace ?? 'default';
    const allNamespaces = !!values['all-namespaces'];
    const load = async () => (await loadRows(values.workspace, warnOnStderr)).filter((r) => allNamespaces || r.namespace === namespace);
    if (values.watch) {
      const settings = processSettings();
      const paths = workspacePaths(values.workspace ?? settings.workspace, settings.deploymentsDir);
      return watchRows(load, [paths.statusDir, paths.deploymentsDir], format, allNamespaces);
    }
    printOnce(await load(), format, allNamespaces, namespace);
    return 0;
  },
};

export const describe: Command = {
  summary: "show one Deployment: conditions, its stack's Outputs and recent errors",
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
    if (values.help || positionals.length !== 2 || !RESOURCE_NAMES.has(positionals[0])) {
      process.stdout.write(
        "usage: esb describe deployment NAME [-n NAMESPACE] [--workspace DIR]\n\nIts status (conditions, warnings, recent errors) and its stack's Outputs: key, value, export name and\ndescription, as its CONFIG_DIR's stacks.yml records them (an output esb cannot resolve shows why).\n",
      );
      return values.help ? 0 : 2;
    }
    const namespace = values.namespace ?? 'default';
    const row = (await loadRows(values.workspace, warnOnStderr)).find((r) => r.namespace === namespace && r.name === positionals[1]);
    if (!row) {
      process.stderr.write(`esb: deployment "${positionals[1]}" not found in namespace ${namespace}\n`);
      return 1;
    }
    // Loaded here: stacks.yml's schema is in the full contracts, which `get` need not load.
    const { readStackOutputs } = await import('../stack-outputs.js');
    const stack = row.status?.configDir && row.status.stackName ? await readStackOutputs(row.status.configDir, row.status.stackName) : undefined;
    process.stdout.write(`${describeDeployment(row, new Date(), stack)}\n`);
    return 0;
  },
};
