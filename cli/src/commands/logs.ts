// `esb logs <function> [-f] [--stack-name S] [--workspace DIR]`: the function's log (lines with request ids,
// START/END/REPORT), written by the agent to <workspace>/.esb/logs/<function>.log.
import { createReadStream, existsSync, statSync, watch } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { parseArgs } from 'node:util';
import { logFileName } from '@esb/agent';
import type { Command } from '../main.js';
import { loadSettings } from '../settings.js';
import { workspacePaths } from '@esb/controller';
import { functionKeys, stackOf } from './function-names.js';

export const HELP = `usage: esb logs <function> [-f] [--stack-name S] [-t TEMPLATE] [--workspace DIR] [--log-dir DIR]

Prints a function's log: what it printed (with the request id), and Lambda's START, END and
REPORT lines.

<function>: its key (<stack>-<LogicalId>, the name esb deploy gives it, or its FunctionName), or
its logical id in the stack of --stack-name, else of the samconfig stack_name or template.yaml
here (as sam logs -n); or a log group: one that functions' LoggingConfig.LogGroup names (the
lines of all of them), or one that rules write to (as sam logs --cw-log-group).

  -f, --follow       keep printing new lines until interrupted
  --stack-name S     the stack a logical id belongs to
  -t, --template F   the template whose stack a logical id belongs to (default: template.yaml here)
  --workspace DIR    the workspace of \`esb dev\` (default: $ESB_WORKSPACE or the current folder)
  --log-dir DIR      read the logs from DIR instead (e.g. the agent's $LOG_DIR)`;

/**
 * A multi-line log event is one line of the file whose newlines are carriage returns (docs/agent.md,
 * "Log lines"): printed, they are newlines again.
 */
const carriageReturnsAsNewlines = () =>
  new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let copy: Buffer | undefined;
      for (let at = chunk.indexOf(13); at >= 0; at = chunk.indexOf(13, at + 1)) (copy ??= Buffer.from(chunk))[at] = 10;
      done(null, copy ?? chunk);
    },
  });

/** Copies bytes [from, to) of a file to `out`. */
function copyRange(file: string, from: number, to: number, out: NodeJS.WritableStream): Promise<void> {
  if (to <= from) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = createReadStream(file, { start: from, end: to - 1 });
    const lines = carriageReturnsAsNewlines();
    s.on('error', reject);
    lines.on('end', resolve);
    s.pipe(lines).pipe(out, { end: false });
  });
}

export async function runLogs(argv: string[], env: Record<string, string | undefined>, out: NodeJS.WritableStream = process.stdout, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      follow: { type: 'boolean', short: 'f' },
      'stack-name': { type: 'string' },
      template: { type: 'string', short: 't' },
      workspace: { type: 'string' },
      'log-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    out.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new Error(`expected one function name\n\n${HELP}`);
  const settings = loadSettings(env);
  const dir = values['log-dir'] ?? settings.logDir ?? workspacePaths(values.workspace ?? settings.workspace).logDir;
  // The first of the names it may have that has a log; to follow one that has none yet, the last
  // (a logical id's key in its stack).
  const files = functionKeys(positionals[0], await stackOf(values)).map((key) => path.join(dir, logFileName(key)));
  const file = files.find((f) => existsSync(f)) ?? files.at(-1)!;
  if (!existsSync(file) && !values.follow) {
    process.stderr.write(`no logs for function ${positionals[0]} yet (${files.join(', nor ')})\n`);
    return 1;
  }
  let pos = 0;
  const drain = async () => {
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size < pos) pos = 0; // truncated or replaced
    await copyRange(file, pos, size, out);
    pos = size;
  };
  await drain();
  if (!values.follow) return 0;
  await new Promise<void>((resolve) => {
    let busy = Promise.resolve();
    const tick = () => {
      busy = busy.then(drain).catch(() => {});
    };
    const timer = setInterval(tick, 500);
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(dir, () => tick());
    } catch {
      /* the folder may not exist yet: polling covers it */
    }
    const stop = () => {
      clearInterval(timer);
      watcher?.close();
      process.off('SIGINT', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  return 0;
}

const command: Command = {
  summary: "show a function's log (-f to follow)",
  run: (argv) => runLogs(argv, process.env),
};
export default command;
