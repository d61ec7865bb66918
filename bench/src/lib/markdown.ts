// Prints a results JSON (bench/results/*.json) as a markdown table, for bench/README.md.
// Usage: node --conditions=esb-source --import tsx bench/src/lib/markdown.ts [bench/results/latest.json]
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { fmtNum, type Row, type RunReport, type Skip } from './report.js';

export function markdown(report: RunReport & { rows: Row[]; skips: Skip[] }): string {
  const m = report.machine;
  const lines = [
    `Run ${report.startedAt} (commit ${report.commit ?? '?'}), ${m.cpus} cores (${m.cpuModel}), Node ${m.node}; load average ${m.loadavg.join(' / ')} at the start, ${report.loadavgEnd.join(' / ')} at the end; ${report.durationS} s.`,
    '',
    '| bench | subject | metric | value | baseline (same run) | ratio | target | detail |',
    '|---|---|---|---:|---|---:|---|---|',
  ];
  for (const r of report.rows) {
    const ratio = r.ratio === undefined ? '' : `${r.ratio >= 10 ? r.ratio.toFixed(1) : r.ratio.toFixed(2)}x`;
    const target = r.target ? `${r.target}${r.met === undefined ? '' : r.met ? ' ✔' : ' ✘ missed'}` : '';
    const base = r.baseline ? `${r.baseline.name} ${fmtNum(r.baseline.value)} ${r.unit}` : '';
    lines.push(`| ${[r.bench, r.subject, r.metric, `${fmtNum(r.value)} ${r.unit}`, base, ratio, target, r.detail ?? ''].map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  for (const s of report.skips) lines.push('', `SKIPPED ${s.bench} / ${s.subject}: ${s.reason}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2] ?? 'bench/results/latest.json';
  process.stdout.write(`${markdown(JSON.parse(await readFile(file, 'utf8')))}\n`);
}
