// `esb artifact apply --artifact <artifact.yml> --out <CONFIG_DIR> [--secret-env FILE] [--strict] [--json]`
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from '../main.js';
import { processSettings } from '../settings.js';
import { applyArtifact, ArtifactError, type ApplyReport, type KeyedChanges } from '@esb/deploy';
import { resolveConfigDir } from '@esb/deploy';
import { ArtifactFile, parseYaml, validate } from '@esb/contracts';

const HELP = `usage: esb artifact apply --artifact <artifact.yml> [--out <CONFIG_DIR>] [options]

Validates an artifact and merges it into CONFIG_DIR (last write wins, nothing deleted).

options:
  --artifact FILE      artifact.yml written by \`esb artifact generate\` (required)
  --out DIR            CONFIG_DIR to merge into; default $CONFIG_DIR, else
                       <cwd>/.esb/staging/<project>/<env>/config (project/env from artifact.yml)
  --secret-env FILE    KEY=VALUE lines filling \${KEY} placeholders in function environments
  --strict             digest mismatch and unfilled placeholders are errors
  --seed-dir DIR       config copied into an empty CONFIG_DIR before the first merge
  --lock-timeout SEC   how long to wait for another apply (default 30)
  --json               print the report as JSON
`;

function summary(label: string, c: KeyedChanges, out: string[]): void {
  if (c.added.length + c.replaced.length + c.unchanged.length + c.kept.length === 0) return;
  out.push(`  ${label}: ${c.added.length} added, ${c.replaced.length} replaced, ${c.unchanged.length} unchanged, ${c.kept.length} kept`);
  const list = (verb: string, keys: string[]) => {
    if (keys.length === 0) return;
    const shown = keys.slice(0, 20).join(', ');
    out.push(`    ${verb}: ${shown}${keys.length > 20 ? `, … (${keys.length - 20} more)` : ''}`);
  };
  list('added', c.added);
  list('replaced', c.replaced);
}

export function formatReport(r: ApplyReport): string {
  const out: string[] = [`applied ${r.artifact} (${r.project}/${r.env}) to ${r.configDir}`];
  if (r.initial === 'seeded') out.push('  CONFIG_DIR was empty: initialised from the seed');
  for (const e of r.entries) {
    out.push(`- ${e.artifact_root} (${e.digest.slice(0, 19)}…)${e.code.copied + e.code.reused ? `: ${e.code.copied} code folders copied, ${e.code.reused} already there` : ''}`);
    summary('functions', e.changes.functions, out);
    summary('routes', e.changes.routes, out);
    summary('apis', e.changes.apis, out);
    summary('websockets', e.changes.websockets, out);
    summary('rules', e.changes.rules, out);
    summary('subscriptions', e.changes.subscriptions, out);
    summary('state machines', e.changes.state_machines, out);
    summary('delivery streams', e.changes.delivery_streams, out);
    summary('bucket notifications', e.changes.bucket_notifications, out);
    summary('eventbridge buckets', e.changes.eventbridge_buckets, out);
    summary('dynamodb', e.changes.resources.dynamodb, out);
    summary('s3', e.changes.resources.s3, out);
    summary('sqs', e.changes.resources.sqs, out);
    summary('kinesis', e.changes.resources.kinesis, out);
    summary('secrets', e.changes.resources.secrets, out);
    summary('parameters', e.changes.resources.parameters, out);
    summary('layers', e.changes.resources.layers, out);
    if (e.changes.defaults.added.length) out.push(`  defaults added: ${e.changes.defaults.added.join(', ')}`);
    if (e.changes.defaults.kept.length) out.push(`  defaults kept (existing values win): ${e.changes.defaults.kept.join(', ')}`);
    if (e.changes.resources.skipped.length) out.push(`  skipped resource kinds: ${e.changes.resources.skipped.join(', ')}`);
  }
  out.push(r.changed ? `wrote ${r.written.join(', ')}` : 'nothing changed');
  return out.join('\n');
}

const command: Command = {
  summary: 'merge an artifact into CONFIG_DIR',
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          artifact: { type: 'string' },
          out: { type: 'string' },
          'secret-env': { type: 'string' },
          strict: { type: 'boolean', default: false },
          json: { type: 'boolean', default: false },
          'seed-dir': { type: 'string' },
          'lock-timeout': { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      process.stderr.write(`esb artifact apply: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (!values.artifact) {
      process.stderr.write(`esb artifact apply: --artifact is required\n\n${HELP}`);
      return 2;
    }
    let lockTimeoutMs: number | undefined;
    if (values['lock-timeout'] !== undefined) {
      const s = Number(values['lock-timeout']);
      if (!Number.isFinite(s) || s < 0) {
        process.stderr.write(`esb artifact apply: --lock-timeout must be a number of seconds\n`);
        return 2;
      }
      lockTimeoutMs = s * 1000;
    }
    const cwd = process.cwd();
    const artifactPath = resolve(cwd, values.artifact);
    let configDir: string;
    const settings = processSettings();
    if (values.out || settings.configDir) {
      configDir = resolveConfigDir({ out: values.out, configDirOverride: settings.configDir, workspace: cwd, project: 'esb', env: 'default' }).configDir;
    } else {
      // project/env come from artifact.yml (validated again, fully, by applyArtifact).
      const text = await readFile(artifactPath, 'utf8').catch((cause: NodeJS.ErrnoException) => {
        throw new ArtifactError(artifactPath, '', cause.code === 'ENOENT' ? 'artifact.yml not found' : `cannot read (${cause.code})`, { cause });
      });
      const a = validate(ArtifactFile, parseYaml(text, artifactPath) ?? {}, artifactPath);
      configDir = resolveConfigDir({ workspace: cwd, project: a.project, env: a.env }).configDir;
    }
    const report = await applyArtifact({
      artifactPath,
      configDir,
      secretEnvFile: values['secret-env'] ? resolve(cwd, values['secret-env']) : undefined,
      strict: values.strict,
      seedDir: values['seed-dir'] ? resolve(cwd, values['seed-dir']) : undefined,
      lockTimeoutMs,
      log: {
        warn: (m) => process.stderr.write(`warning: ${m}\n`),
        info: (m) => {
          if (!values.json) process.stderr.write(`${m}\n`);
        },
      },
    });
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    return 0;
  },
};

export default command;
