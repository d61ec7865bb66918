// esb artifact generate -t template.yml [-e env] [-p project] [-o outdir]
//   [--parameter-overrides K=V ...] [--base-image RUNTIME=IMAGE ...] [--build-images] [--json]
import type { Command } from '../main.js';
import { processSettings } from '../settings.js';
import { describeProgress, generateArtifact, type GenerateResult } from '@esb/deploy';

export const USAGE = `usage: esb artifact generate -t <template.yml> [options]

Renders a SAM template into an artifact (artifact.yml, runtime config, build contexts).

options:
  -t, --template <file>           SAM template (YAML or JSON)                  (required)
  -e, --env <name>                deploy environment                           (default: default)
  -p, --project <name>            project name                                 (default: esb)
  -o, --output-dir <dir>          folder for artifact.yml                      (default: ./.esb/artifacts/<stack>)
  -s, --stack-name <name>         stack name                                   (default: template file name)
      --parameter-overrides K=V   parameter values (several, or one "K=V K2=V2" string)
      --base-image RUNTIME=IMAGE  base image per runtime (python3.12=...) or family (python3=..., nodejs=...)
      --region <region>           AWS::Region                                  (default: us-east-1)
      --account-id <id>           AWS::AccountId                               (default: 123456789012)
      --build-dir <dir>           run SAM's builders first (npm, esbuild, pip, makefile, cargo, go, maven; docs/build.md) into <dir>
      --config-dir <dir>          the CONFIG_DIR it will be applied to: the exports of its stacks answer !ImportValue
      --build-images              also build the function images (needs the Docker runtime)
      --json                      print a machine-readable summary
  -h, --help                      this help

SOURCE_DATE_EPOCH, when set, becomes artifact.yml's generated_at.`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface GenerateArgs {
  template?: string;
  env?: string;
  project?: string;
  outDir?: string;
  stackName?: string;
  parameterOverrides: Record<string, string>;
  baseImages: Record<string, string>;
  region?: string;
  accountId?: string;
  buildImages: boolean;
  buildDir?: string;
  configDir?: string;
  json: boolean;
  help: boolean;
}

function keyValue(s: string, flag: string, into: Record<string, string>): void {
  // Accept K=V and SAM's ParameterKey=K,ParameterValue=V.
  const sam = /^ParameterKey=([^,]+),ParameterValue=(.*)$/.exec(s);
  if (sam) {
    into[sam[1]] = sam[2];
    return;
  }
  const eq = s.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag}: "${s}" is not KEY=VALUE`);
  into[s.slice(0, eq)] = s.slice(eq + 1);
}

export function parseGenerateArgs(argv: string[]): GenerateArgs {
  const args: GenerateArgs = { parameterOverrides: {}, baseImages: {}, buildImages: false, json: false, help: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('-')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    if (a.startsWith('--') && a.includes('=')) {
      inline = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    const take = (flag: string): string => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (a) {
      case '-t':
      case '--template':
      case '--template-file':
        args.template = take(a);
        break;
      case '-e':
      case '--env':
        args.env = take(a);
        break;
      case '-p':
      case '--project':
        args.project = take(a);
        break;
      case '-o':
      case '--output-dir':
      case '--out':
        args.outDir = take(a);
        break;
      case '-s':
      case '--stack-name':
        args.stackName = take(a);
        break;
      case '--region':
        args.region = take(a);
        break;
      case '--account-id':
        args.accountId = take(a);
        break;
      case '--parameter-overrides':
      case '--base-image': {
        const into = a === '--base-image' ? args.baseImages : args.parameterOverrides;
        const values: string[] = [];
        if (inline !== undefined) values.push(inline);
        else {
          while (argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) values.push(argv[++i]);
          if (values.length === 0) throw new UsageError(`${a} needs KEY=VALUE`);
        }
        for (const v of values) for (const part of v.split(/\s+/).filter(Boolean)) keyValue(part, a, into);
        break;
      }
      case '--build-images':
        args.buildImages = true;
        break;
      case '--build-dir':
        args.buildDir = take(a);
        break;
      case '--config-dir':
        args.configDir = take(a);
        break;
      case '--json':
        args.json = true;
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  return args;
}

export function formatSummary(r: GenerateResult): string {
  const s = r.summary;
  const lines = [
    `artifact: ${r.artifactPath}`,
    `digest:   ${r.digest}`,
    `stack ${s.stack}: ${s.functions} functions, ${s.routes} routes, ${s.tables} tables, ${s.buckets} buckets, ${s.queues} queues, ${s.layers} layers, ${s.warnings} warnings`,
  ];
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

/** The path of the agent's image builder, relative to this file. */
export class ImageBuildUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super(
      'image building needs the Docker runtime part (`@esb/deploy/build`), which could not be loaded; the artifact was rendered — run without --build-images, or build the images from <stack>/images.yml',
      options,
    );
    this.name = 'ImageBuildUnavailableError';
  }
}

export interface BuildReport {
  built: number;
  reused: number;
  images: Array<{ function: string; image: string; status: string }>;
}

type BuilderModule = Record<string, unknown>;
const loadBuilder = (): Promise<BuilderModule> => import('@esb/deploy/build') as Promise<BuilderModule>;

/** Builds the artifact's images with the deploy pipeline's image builder (`@esb/deploy/build`). */
export async function buildImages(result: GenerateResult, log: (line: string) => void, load: () => Promise<BuilderModule> = loadBuilder): Promise<BuildReport> {
  let mod: BuilderModule;
  try {
    mod = await load();
  } catch (cause) {
    throw new ImageBuildUnavailableError({ cause });
  }
  const build = mod.buildArtifactImages;
  if (typeof build !== 'function') throw new ImageBuildUnavailableError();
  type Builder = (root: string, builds: GenerateResult['builds'], opts: { log: { info(msg: string): void } }) => Promise<BuildReport>;
  return (build as Builder)(result.artifactRoot, result.builds, { log: { info: log } });
}

const command: Command = {
  summary: 'render a SAM template into an artifact (artifact.yml + runtime config + build contexts)',
  async run(argv) {
    let args: GenerateArgs;
    try {
      args = parseGenerateArgs(argv);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      process.stderr.write(`esb artifact generate: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (args.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (!args.template) {
      process.stderr.write(`esb artifact generate: -t <template> is required\n\n${USAGE}\n`);
      return 2;
    }
    const epoch = processSettings().sourceDateEpoch;
    const generatedAt = epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000).toISOString() : undefined;
    const result = await generateArtifact({
      templatePath: args.template,
      outDir: args.outDir,
      env: args.env,
      project: args.project,
      stackName: args.stackName,
      parameterOverrides: args.parameterOverrides,
      baseImages: args.baseImages,
      region: args.region,
      accountId: args.accountId,
      generatedAt,
      buildDir: args.buildDir,
      configDir: args.configDir,
      // Code may lie above the template, inside the folder esb runs in (docs/generate.md "Paths and symlinks").
      codeRoot: process.cwd(),
      onBuildProgress: (e) => process.stderr.write(`build: ${describeProgress(e)}\n`),
    });
    const report = args.buildImages ? await buildImages(result, (line) => process.stderr.write(`${line}\n`)) : undefined;
    if (args.json) {
      const out = { artifact: result.artifactPath, digest: result.digest, summary: result.summary, warnings: result.warnings, images: result.builds.map((b) => b.image), images_built: report ? { built: report.built, reused: report.reused } : false };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      process.stdout.write(`${formatSummary(result)}\n`);
      if (report) process.stdout.write(`images: ${report.built} built, ${report.reused} up to date\n`);
    }
    return 0;
  },
};

export default command;
