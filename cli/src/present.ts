// kubectl-like presentation of Deployments: pure functions over status records.
import type { DeploymentStatus, StackOutput } from '@esb/contracts';

export interface DeploymentRow {
  namespace: string;
  name: string;
  env?: string;
  createdAt?: string;
  status?: DeploymentStatus;
  recentErrors?: Array<{ time: string; message: string }>;
  manifest?: string;
  /** metadata.generation: bumped by each spec change. */
  generation?: number;
  spec?: { template?: string; artifact?: string; env?: string; project?: string; parameters?: Record<string, string> };
}

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json';

/** A stack's Outputs as its CONFIG_DIR records them (docs/apply.md "Stacks and owners"), and the Deployment that applied them. */
export interface StackOutputs {
  stack: string;
  deployment?: string;
  outputs: Array<{ key: string } & Omit<StackOutput, 'placeholder'>>;
}

/** An API Gateway URL (`https://<id>.execute-api.<region>.amazonaws.com/...`), as templates' Outputs give their APIs. */
const EXECUTE_API_URL = /^(https?|wss?):\/\/[A-Za-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?(?::\d+)?(?=[/?#]|$)/;

/**
 * Where this gateway serves an output's API Gateway URL: the stack's own host, the path kept
 * (a stage prefix is served too, docs/gateway.md "Routing"); undefined for other values.
 */
export function localApiUrl(value: string | undefined, stackUrl: string): string | undefined {
  const m = value === undefined ? null : EXECUTE_API_URL.exec(value);
  if (!m) return undefined;
  const base = m[1].startsWith('ws') ? stackUrl.replace(/^http/, 'ws') : stackUrl;
  return `${base}${value!.slice(m[0].length) || '/'}`;
}

/** One output as `esb deploy` prints it: `Key = value (export Name)`, or why it has no value here; an API's URL with where it is served here. */
export function outputLine(o: StackOutputs['outputs'][number], stackUrl: string): string {
  const local = localApiUrl(o.value, stackUrl);
  return `${o.key} ${o.value !== undefined ? `= ${o.value}` : `has no value here (${o.problem ?? 'none'})`}${o.export ? ` (export ${o.export})` : ''}${local ? ` (here: ${local})` : ''}`;
}

/** `-o`: kubectl's formats; anything else is a clear error. */
export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if (value === 'wide' || value === 'yaml' || value === 'json') return value;
  throw new Error(`--output (-o): "${value}" is not one of wide, yaml, json`);
}

/** kubectl's age format: 45s, 12m, 3h, 5d. */
export function formatAge(from: string | undefined, now: Date): string {
  if (!from) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(from).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] + 3))).join('').trimEnd()).join('\n');
}

export function deploymentsHeader(allNamespaces = false, wide = false): string[] {
  return [...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'ENV', 'READY', 'REASON', 'AGE', ...(wide ? ['PROJECT', 'GENERATION', 'OBSERVED', 'FUNCTIONS', 'ROUTES', 'RESOURCES', 'TEMPLATE'] : [])];
}

/** One row's cells, as the header above names them. */
export function deploymentCells(item: DeploymentRow, now: Date, allNamespaces = false, wide = false): string[] {
  const ready = item.status?.conditions?.find((c) => c.type === 'Ready');
  const overridden = item.status?.conditions?.find((c) => c.type === 'Overridden' && c.status === 'True');
  const status = item.status;
  return [
    ...(allNamespaces ? [item.namespace] : []),
    item.name,
    item.env ?? '',
    ready?.status ?? 'Unknown',
    // Another Deployment took over part of this one (last write wins): shown beside the reason.
    [ready?.reason, overridden?.reason].filter(Boolean).join(','),
    formatAge(item.createdAt, now),
    ...(wide
      ? [
          item.spec?.project ?? '',
          item.generation === undefined ? '<none>' : String(item.generation),
          status?.observedGeneration === undefined ? '<none>' : String(status.observedGeneration),
          String(status?.functions ?? 0),
          String(status?.routes ?? 0),
          String(status?.resources ?? 0),
          item.spec?.template ?? item.spec?.artifact ?? '',
        ]
      : []),
  ];
}

export function deploymentsTable(items: DeploymentRow[], now: Date, allNamespaces = false, wide = false): string {
  return formatTable([deploymentsHeader(allNamespaces, wide), ...items.map((item) => deploymentCells(item, now, allNamespaces, wide))]);
}

/** A row under a header already printed (`-w`): padded to the header's widths, as kubectl's watch prints. */
export function alignedRow(cells: string[], widths: number[]): string {
  return cells.map((cell, col) => (col === cells.length - 1 ? cell : cell.padEnd(Math.max(widths[col] ?? 0, cell.length) + 3))).join('').trimEnd();
}

export function columnWidths(rows: string[][]): number[] {
  return rows[0].map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
}

/** What `-w` compares to decide that a Deployment changed (its age alone is no change). */
export function watchKey(item: DeploymentRow): string {
  return JSON.stringify([item.generation, item.spec, item.status, item.env]);
}

/** A Deployment as `kubectl get -o yaml|json` shows a resource. */
export function deploymentResource(item: DeploymentRow): Record<string, unknown> {
  return {
    apiVersion: 'esb.dev/v1alpha1',
    kind: 'Deployment',
    metadata: {
      name: item.name,
      namespace: item.namespace,
      ...(item.generation !== undefined ? { generation: item.generation } : {}),
      ...(item.createdAt ? { creationTimestamp: item.createdAt } : {}),
      ...(item.manifest ? { annotations: { 'esb.dev/manifest': item.manifest } } : {}),
    },
    spec: item.spec ?? (item.env ? { env: item.env } : {}),
    status: item.status ?? {},
  };
}

/** `kubectl get -o yaml|json` of several: a v1 List. */
export function deploymentList(items: DeploymentRow[]): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'List', items: items.map(deploymentResource), metadata: { resourceVersion: '' } };
}

/** `esb describe deployment`: `stackOutputs` is what CONFIG_DIR records of the Deployment's stack. */
export function describeDeployment(item: DeploymentRow, now: Date, stackOutputs?: StackOutputs): string {
  const status = item.status ?? {};
  const lines = [
    `Name:                 ${item.name}`,
    `Namespace:            ${item.namespace}`,
    `Env:                  ${item.env ?? ''}`,
    `Manifest:             ${item.manifest ?? ''}`,
    `Age:                  ${formatAge(item.createdAt, now)}`,
    `Observed generation:  ${status.observedGeneration ?? '<none>'}`,
    `Stack:                ${status.stackName ?? '<none>'}`,
    `Config dir:           ${status.configDir ?? '<none>'}`,
    `Artifact digest:      ${status.artifactDigest ?? '<none>'}`,
    `Deployed:             ${status.functions ?? 0} functions, ${status.routes ?? 0} routes, ${status.resources ?? 0} resources`,
    'Conditions:',
  ];
  const conditions = status.conditions ?? [];
  if (conditions.length === 0) lines.push('  <none>');
  else {
    const table = formatTable([
      ['Type', 'Status', 'Reason', 'Since', 'Message'],
      ...conditions.map((c) => [c.type, c.status, c.reason, formatAge(c.lastTransitionTime, now), c.message.replace(/\s+/g, ' ')]),
    ]);
    lines.push(...table.split('\n').map((l) => `  ${l}`));
  }
  lines.push('Outputs:');
  const outputs = stackOutputs?.outputs ?? [];
  const self = `${item.namespace}/${item.name}`;
  if (stackOutputs?.deployment !== undefined && stackOutputs.deployment !== self) lines.push(`  (stack ${stackOutputs.stack} was last applied by deployment ${stackOutputs.deployment})`);
  if (outputs.length === 0) lines.push('  <none>');
  else {
    const table = formatTable([['Key', 'Value', 'Export', 'Description'], ...outputs.map((o) => [o.key, o.value ?? `<none: ${o.problem ?? ''}>`, o.export ?? '', (o.description ?? '').replace(/\s+/g, ' ')])]);
    lines.push(...table.split('\n').map((l) => `  ${l}`));
  }
  if (status.warnings?.length) {
    lines.push('Warnings:');
    for (const w of status.warnings) lines.push(`  ${w}`);
  }
  lines.push('Recent errors:');
  const errors = item.recentErrors ?? [];
  if (errors.length === 0) lines.push('  <none>');
  for (const e of errors) lines.push(`  ${e.time}  ${e.message}`);
  return lines.join('\n');
}
