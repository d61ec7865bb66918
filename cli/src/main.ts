// Dispatches `esb <command> [subcommand] ...` to a command module, loaded lazily so that a
// command pays only for what it uses.
import { readFileSync } from 'node:fs';

export interface Command {
  summary: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

type Loader = () => Promise<Command>;

/** ESB_DEBUG, read without failing: a malformed setting must not hide the error being printed. */
async function debugRequested(): Promise<boolean> {
  try {
    const { processSettings } = await import('./settings.js'); // not loaded for --help or --version
    return processSettings().debug;
  } catch {
    return false;
  }
}

// Key: the command words. Each module's default export is a Command.
const commands: Record<string, Loader> = {
  provision: () => import('./commands/provision.js').then((m) => m.default),
  storage: () => import('./commands/storage.js').then((m) => m.default),
  controller: () => import('./commands/controller.js').then((m) => m.controller),
  build: () => import('./commands/build.js').then((m) => m.build),
  deploy: () => import('./commands/deploy.js').then((m) => m.deploy),
  dev: () => import('./commands/dev.js').then((m) => m.dev),
  get: () => import('./commands/get.js').then((m) => m.get),
  describe: () => import('./commands/get.js').then((m) => m.describe),
  'artifact generate': () => import('./commands/artifact-generate.js').then((m) => m.default),
  'artifact apply': () => import('./commands/artifact-apply.js').then((m) => m.default),
  agent: () => import('./commands/agent.js').then((m) => m.default),
  gateway: () => import('./commands/gateway.js').then((m) => m.default),
  logs: () => import('./commands/logs.js').then((m) => m.default),
  invoke: () => import('./commands/invoke.js').then((m) => m.invoke),
};

export function usage(): string {
  const lines = Object.keys(commands)
    .sort()
    .map((key) => `  esb ${key}`);
  return `usage: esb <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun \`esb <command> --help\` for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  // The longest matching prefix of words names the command ("artifact generate" before "artifact").
  for (let words = Math.min(2, argv.length); words >= 1; words--) {
    const key = argv.slice(0, words).join(' ');
    const load = commands[key];
    if (load) {
      const command = await load();
      try {
        return await command.run(argv.slice(words));
      } catch (err) {
        process.stderr.write(`esb ${key}: ${err instanceof Error ? err.message : String(err)}\n`);
        if ((await debugRequested()) && err instanceof Error) process.stderr.write(`${err.stack}\n`);
        return 1;
      }
    }
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    // cli/package.json: one folder up from src/ and from the compiled dist/ alike.
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`esb ${version}\n`);
    return 0;
  }
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${usage()}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  process.stderr.write(`esb: unknown command "${argv.join(' ')}"\n\n${usage()}\n`);
  return 2;
}
