// `esb invoke <function> [-e FILE | --event-json TEXT] [--stack-name S] [--async]`: runs a
// deployed function once through the running esb dev's Lambda Invoke API, as `sam local invoke`
// runs a template's function: the payload it returned on stdout, the invocation's log lines
// (START ... REPORT) on stderr (docs/gateway.md "Lambda Invoke API").
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { workspacePaths } from '@esb/controller/client';
import type { Command } from '../main.js';
import { processSettings } from '../settings.js';
import { readDevInfo } from '../dev-info.js';
import { functionKeys, stackOf } from './function-names.js';

const HELP = `usage: esb invoke <function> [-e EVENT_FILE | --event-json JSON] [--stack-name S] [-t TEMPLATE]
                  [--async] [--workspace DIR]

Invokes a function deployed into the running esb dev once, through its Lambda Invoke API, and
prints what the function returned; the invocation's log (START, what it printed, END, REPORT)
goes to stderr.

<function>: its key (<stack>-<LogicalId>, the name esb deploy gives it, or its FunctionName), or
its logical id in the stack of --stack-name, else of the samconfig stack_name or template.yaml
(-t) of this folder, named as esb deploy names it.
-e, --event FILE: the event, JSON (- reads it from stdin); --event-json: the event inline;
neither: {}.
--async: InvocationType Event: accepted (202) and run in the background; its log is in esb logs.
Exit status 0; 1 when the function failed (its error document is printed) or was not found.`;

/** The answer of the Invoke API. */
interface Invoked {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One call of the Invoke API (no keep-alive: a pooled socket would hold this short process). */
function invokeOnce(gateway: string, name: string, payload: string, async: boolean): Promise<Invoked> {
  // $LATEST, as `sam local invoke` runs the code as it is; Lambda takes a durable function only by a qualified name.
  const url = new URL(`/2015-03-31/functions/${encodeURIComponent(name)}/invocations?Qualifier=%24LATEST`, gateway);
  const headers = { 'content-type': 'application/json', 'x-amz-invocation-type': async ? 'Event' : 'RequestResponse', ...(async ? {} : { 'x-amz-log-type': 'Tail' }) };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function readEvent(values: { event?: string; 'event-json'?: string }): Promise<string> {
  if (values.event !== undefined && values['event-json'] !== undefined) throw new Error('give the event with -e or --event-json, not both');
  let text = values['event-json'];
  if (values.event === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } else if (values.event !== undefined) {
    text = await readFile(values.event, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new Error(`-e: cannot read ${values.event} (${err.code ?? err.message})`);
    });
  }
  if (text === undefined || text.trim() === '') return '{}';
  try {
    JSON.parse(text);
  } catch (err) {
    throw new Error(`${values.event === undefined ? '--event-json' : values.event === '-' ? 'the event on stdin' : values.event}: not JSON (${(err as Error).message})`);
  }
  return text;
}

export const invoke: Command = {
  summary: 'invoke a deployed function once (the Lambda Invoke API of esb dev)',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        event: { type: 'string', short: 'e' },
        'event-json': { type: 'string' },
        'stack-name': { type: 'string' },
        template: { type: 'string', short: 't' },
        async: { type: 'boolean' },
        workspace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
    if (values.help || positionals.length !== 1) {
      process.stdout.write(`${HELP}\n`);
      return values.help ? 0 : 2;
    }
    const [name] = positionals;
    const settings = processSettings();
    const paths = workspacePaths(values.workspace ?? settings.workspace, settings.deploymentsDir);
    const dev = await readDevInfo(paths.runtimeFile);
    if (!dev) throw new Error(`no esb dev runs in ${paths.workspace} (start one with esb dev, or name its folder with --workspace)`);
    const payload = await readEvent(values);
    const stack = await stackOf(values);
    const candidates = functionKeys(name, stack);
    for (const candidate of candidates) {
      const answer = await invokeOnce(dev.gateway, candidate, payload, values.async === true).catch((err: Error) => {
        throw new Error(`the gateway at ${dev.gateway} does not answer (${err.message}); is esb dev still running?`);
      });
      if (answer.status === 404) continue;
      const log = answer.headers['x-amz-log-result'];
      if (typeof log === 'string') process.stderr.write(Buffer.from(log, 'base64').toString('utf8'));
      if (answer.status === 202) {
        process.stderr.write(`${candidate}: accepted (InvocationType Event); its log: esb logs ${candidate}\n`);
        return 0;
      }
      if (answer.status !== 200) {
        process.stderr.write(`${candidate}: the Invoke API answered ${answer.status}: ${answer.body.slice(0, 2000)}\n`);
        return 1;
      }
      process.stdout.write(`${answer.body}\n`);
      return answer.headers['x-amz-function-error'] === undefined ? 0 : 1;
    }
    throw new Error(`no function ${candidates.map((c, i) => (i === 0 ? c : `(nor ${c})`)).join(' ')} is deployed in ${paths.workspace}${stack ? '' : '; name its stack with --stack-name'}`);
  },
};
