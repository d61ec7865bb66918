// kubectl-like presentation of Deployments: pure functions over status records.
import type { DeploymentStatus } from '@esb/contracts';

export interface DeploymentRow {
  namespace: string;
  name: string;
  env?: string;
  createdAt?: string;
  status?: DeploymentStatus;
  recentErrors?: Array<{ time: string; message: string }>;
  manifest?: string;
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

export function deploymentsTable(items: DeploymentRow[], now: Date, allNamespaces = false): string {
  const header = [...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'ENV', 'READY', 'REASON', 'AGE'];
  const rows = items.map((item) => {
    const ready = item.status?.conditions?.find((c) => c.type === 'Ready');
    return [
      ...(allNamespaces ? [item.namespace] : []),
      item.name,
      item.env ?? '',
      ready?.status ?? 'Unknown',
      ready?.reason ?? '',
      formatAge(item.createdAt, now),
    ];
  });
  return formatTable([header, ...rows]);
}

export function describeDeployment(item: DeploymentRow, now: Date): string {
  const status = item.status ?? {};
  const lines = [
    `Name:                 ${item.name}`,
    `Namespace:            ${item.namespace}`,
    `Env:                  ${item.env ?? ''}`,
    `Manifest:             ${item.manifest ?? ''}`,
    `Age:                  ${formatAge(item.createdAt, now)}`,
    `Observed generation:  ${status.observedGeneration ?? '<none>'}`,
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
  lines.push('Recent errors:');
  const errors = item.recentErrors ?? [];
  if (errors.length === 0) lines.push('  <none>');
  for (const e of errors) lines.push(`  ${e.time}  ${e.message}`);
  return lines.join('\n');
}
