// `esb dev`'s one-screen summary when stdout is a terminal: deployments, routes and the last
// requests, redrawn in place (docs/console.md). A pure renderer: data in, screen text out.
import type { DeploymentView, InvocationView, RouteView } from '@esb/console';
import { formatAge } from './present.js';

export interface SummaryInput {
  title: string;
  /** `label value` pairs under the title: gateway, console, logs. */
  links: Array<[string, string]>;
  deployments: DeploymentView[];
  routes: RouteView[];
  recent: InvocationView[];
  /** The last log lines (already formatted). */
  log: string[];
}

export interface ScreenSize {
  width: number;
  height: number;
}

const ESC = '\x1b[';
const COLORS = { green: `${ESC}32m`, red: `${ESC}31m`, yellow: `${ESC}33m`, dim: `${ESC}2m`, bold: `${ESC}1m`, cyan: `${ESC}36m` } as const;
type Color = keyof typeof COLORS;
type Segment = [text: string, color?: Color];

/** Segments cut to `width` visible characters, coloured when `color`. */
function fit(segments: Segment[], width: number, color: boolean): string {
  let out = '';
  let left = width;
  for (const [text, c] of segments) {
    if (left <= 0) break;
    const piece = text.length > left ? `${text.slice(0, Math.max(0, left - 1))}…` : text;
    left -= piece.length;
    out += color && c ? `${COLORS[c]}${piece}${ESC}0m` : piece;
  }
  return out;
}

function columns(rows: string[][]): number[] {
  return rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
}

const statusColor = (s: string): Color => (s === 'True' ? 'green' : s === 'False' ? 'red' : 'yellow');
const httpColor = (code: number): Color => (code >= 500 ? 'red' : code >= 400 ? 'yellow' : 'green');
const ms = (v: number) => (v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);

/** A table: header dimmed, cells padded, some coloured, each row cut to the width. */
function table(header: string[], rows: Array<Array<Segment>>, width: number, color: boolean): string[] {
  const widths = columns([header, ...rows.map((r) => r.map(([t]) => t))]);
  const pad = (cells: Segment[]) => cells.map(([t, c], i) => [i === cells.length - 1 ? t : t.padEnd(widths[i] + 2), c] as Segment);
  return [fit([[pad(header.map((h) => [h] as Segment)).map(([t]) => t).join(''), 'dim']], width, color), ...rows.map((r) => fit(pad(r), width, color))];
}

export function renderSummary(input: SummaryInput, now: Date, size: ScreenSize, color: boolean): string {
  const { width, height } = size;
  const lines: string[] = [];
  const clock = now.toISOString().slice(11, 19);
  lines.push(fit([[input.title, 'bold'], [`   ${clock}`, 'dim']], width, color));
  lines.push(fit(input.links.flatMap(([k, v], i) => [[`${i ? '   ' : ''}${k} `, 'dim'], [v, 'cyan']] as Segment[]), width, color));

  const section = (name: string, count: number) => {
    lines.push('');
    lines.push(fit([[name, 'bold'], [count ? ` (${count})` : '', 'dim']], width, color));
  };
  // Rows left for each section: the screen minus titles, split so that every section shows.
  const fixed = 2 + 3 * 3 + 1; // title, links, three section headings with their blank line and table header, the footer
  const budget = Math.max(3, height - fixed);
  const take = (wanted: number, share: number) => Math.max(1, Math.min(wanted, Math.floor(budget * share)));

  section('DEPLOYMENTS', input.deployments.length);
  if (input.deployments.length === 0) lines.push(fit([['  none yet: esb deploy -t template.yml', 'dim']], width, color));
  else {
    const shown = input.deployments.slice(0, take(input.deployments.length, 0.3));
    lines.push(
      ...table(
        ['NAME', 'ENV', 'READY', 'REASON', 'GEN', 'AGE', 'ERROR'],
        shown.map((d) => {
          const ready = d.conditions.find((c) => c.type === 'Ready');
          const status = ready?.status ?? 'Unknown';
          const error = d.lastError ? (d.lastError.location ? `${d.lastError.location} ${d.lastError.message.replace(`${d.lastError.location}: `, '')}` : d.lastError.message) : '';
          return [
            [d.name],
            [d.env ?? ''],
            [status, statusColor(status)],
            [ready?.reason ?? ''],
            [`${d.observedGeneration ?? '-'}/${d.generation ?? '-'}`],
            [formatAge(d.createdAt, now)],
            [error.replace(/\s+/g, ' '), 'red'],
          ];
        }),
        width,
        color,
      ),
    );
  }

  section('ROUTES', input.routes.length);
  if (input.routes.length === 0) lines.push(fit([['  none', 'dim']], width, color));
  else {
    const shown = input.routes.slice(0, take(input.routes.length, 0.35));
    lines.push(
      ...table(
        ['METHOD', 'PATH', 'FUNCTION', 'REQUESTS', 'P50', 'P95'],
        shown.map((r) => [[r.method], [r.path], [r.function], [String(r.count)], [r.count ? ms(r.p50) : '-'], [r.count ? ms(r.p95) : '-']]),
        width,
        color,
      ),
    );
    if (shown.length < input.routes.length) lines.push(fit([[`  … ${input.routes.length - shown.length} more (esb console: ${input.links.find(([k]) => k === 'console')?.[1] ?? '/_esb/'})`, 'dim']], width, color));
  }

  section('LAST REQUESTS', input.recent.length);
  if (input.recent.length === 0) lines.push(fit([['  none yet', 'dim']], width, color));
  else {
    const shown = input.recent.slice(-take(input.recent.length, 0.35)).reverse();
    lines.push(
      ...table(
        ['TIME', 'METHOD', 'PATH', 'STATUS', 'DURATION', 'FUNCTION', 'REQUEST ID'],
        shown.map((i) => [
          [new Date(i.time).toISOString().slice(11, 19)],
          [i.route === 'lambda:Invoke' ? 'INVOKE' : i.method],
          [i.path],
          [String(i.status), httpColor(i.status)],
          [ms(i.durationMs)],
          [i.function],
          [i.requestId, 'dim'],
        ]),
        width,
        color,
      ),
    );
  }

  // What is left of the screen: the last log lines.
  const room = height - lines.length - 3;
  if (room > 0 && input.log.length) {
    lines.push('');
    lines.push(fit([['LOG', 'bold']], width, color));
    for (const l of input.log.slice(-room)) lines.push(fit([[l, /ERROR|WARN/.test(l) ? 'yellow' : 'dim']], width, color));
  }
  lines.push(fit([['Ctrl-C stops esb dev', 'dim']], width, color));
  return lines.slice(0, Math.max(1, height)).join('\n');
}
