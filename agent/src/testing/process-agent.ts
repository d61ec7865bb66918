// For the agent's integration tests: function code written to a temporary folder, and an agent
// on the process runtime serving it quietly.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { FunctionsFile } from '@esb/contracts';
import { type Agent, type AgentOptions, createAgent } from '../agent.js';

/** A new temporary folder holding `files` (path inside it -> text); a file named `bootstrap` is executable. */
export function codeFolder(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    if (path.basename(file) === 'bootstrap') chmodSync(file, 0o755);
  }
  return dir;
}

/** An agent on the process runtime (silent, logs under `dir`/logs, no schedules) serving `functions` (functions.yml's `functions`). */
export async function processAgent(dir: string, functions: Record<string, unknown>, options: Pick<AgentOptions, 'clock'> = {}): Promise<Agent> {
  const agent = await createAgent({ runtime: 'process', logDir: path.join(dir, 'logs'), log: pino({ level: 'silent' }), pinoFunctionLogs: false, schedules: false, ...options });
  agent.setFunctions(FunctionsFile.parse({ functions }));
  return agent;
}
