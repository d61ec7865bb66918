// `esb get deployments [-A] [-n NS] [-o yaml|json] [--workspace DIR]` and
// `esb describe deployment NAME [-n NS] [--workspace DIR]`: what the file backend's controller
// reported, read from the status records.
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { listStatusRecords, listManifests } from '@esb/controller';
import { parseManifest } from '@esb/controller';
import type { Command } from '../main.js';
import { processSettings } from '../settings.js';
import { deploymentsTable, describeDeployment, type DeploymentRow } from '../present.js';
import { workspacePaths } from '@esb/controller';
import { keyOf } from '@esb/controller';

const RESOURCE_NAMES = new Set(['deployments', 'deployment', 'deploy', 'esbd', 'deployments.esb.dev']);

/** Every Deployment the folder declares, with its status record (or none yet). */
export async function loadRows(workspace: string | undefined): Promise<DeploymentRow[]> {
  const settings = processSettings();
  const paths = workspacePaths(workspace ?? settings.workspace, settings.deploymentsDir);
  const rows = new Map<string, DeploymentRow>();
  for (const { request, record } of await listStatusRecords(paths.statusDir)) {
    rows.set(keyOf(request), { ...request, env: record.env, createdAt: record.createdAt, status: record.status, recentErrors: record.recentErrors, manifest: record.manifest });
  }
  // Manifests the controller has not seen yet still show, as Unknown.
  const { readFile } = await import('node:fs/promises');
  for (const file of await listManifests(paths.deploymentsDir)) {
    for (const entry of parseManifest(await readFile(file, 'utf8'), file)) {
      const key = keyOf(entry.request);
      if (!rows.has(key)) rows.set(key, { ...entry.request, env: 'deployment' in entry ? entry.deployment.spec.env : undefined, manifest: file });
    }
  }
  return [...rows.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

const options = {
  workspace: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const get: Command = {
  summary: 'list Deployments and whether they are Ready',
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
    if (values.help || positionals.length !== 1 || !RESOURCE_NAMES.has(positionals[0])) {
      process.stdout.write('usage: esb get deployments [-n NAMESPACE | -A] [-o yaml|json] [--workspace DIR]\n');
      return values.help ? 0 : 2;
    }
    const namespace = values.namespace ?? 'default';
    const rows = (await loadRows(values.workspace)).filter((r) => values['all-namespaces'] || r.namespace === namespace);
    if (values.output === 'json') process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else if (values.output === 'yaml') process.stdout.write(stringify(rows));
    else if (rows.length === 0) process.stdout.write(`No deployments found in ${values['all-namespaces'] ? 'any' : namespace} namespace.\n`);
    else process.stdout.write(`${deploymentsTable(rows, new Date(), values['all-namespaces'])}\n`);
    return 0;
  },
};

export const describe: Command = {
  summary: 'show one Deployment: conditions and recent errors',
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
    if (values.help || positionals.length !== 2 || !RESOURCE_NAMES.has(positionals[0])) {
      process.stdout.write('usage: esb describe deployment NAME [-n NAMESPACE] [--workspace DIR]\n');
      return values.help ? 0 : 2;
    }
    const namespace = values.namespace ?? 'default';
    const row = (await loadRows(values.workspace)).find((r) => r.namespace === namespace && r.name === positionals[1]);
    if (!row) {
      process.stderr.write(`esb: deployment "${positionals[1]}" not found in namespace ${namespace}\n`);
      return 1;
    }
    process.stdout.write(`${describeDeployment(row, new Date())}\n`);
    return 0;
  },
};
