// `esb provision [--config-dir DIR]`: creates the tables, buckets, queues, Kinesis streams, secrets and SSM parameters of resources.yml on
// the configured endpoints (DYNAMODB_ENDPOINT / AWS_ENDPOINT_URL_DYNAMODB, S3_ENDPOINT /
// AWS_ENDPOINT_URL_S3, SQS_ENDPOINT / AWS_ENDPOINT_URL_SQS). Also the provisioner image's entrypoint (`docker compose run --rm
// provisioner`). Exit 0 on success (existing resources included), 1 on failure.
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';
import { loadResources, provision, resourcesPath, type ProvisionReport } from '@esb/provisioner';
import { loadSettings } from '../settings.js';

export const HELP = `usage: esb provision [--config-dir DIR] [--retry-attempts N]

Creates the DynamoDB tables, S3 buckets, SQS queues, Kinesis streams, Secrets Manager secrets
and SSM parameters declared in resources.yml (idempotent: what exists already is left as it is,
but for bucket lifecycle rules, queue attributes, stream retention and parameter values, which are
set to the declared ones; a secret's value is made once and never overwritten; Kinesis, Secrets
Manager and SSM are served on the SQS endpoint).

  --config-dir DIR     read DIR/resources.yml (default: $RESOURCES_YML, else $CONFIG_DIR/resources.yml)
  --retry-attempts N   attempts per request while a server is still starting (default 8)

environment: DYNAMODB_ENDPOINT or AWS_ENDPOINT_URL_DYNAMODB, S3_ENDPOINT or AWS_ENDPOINT_URL_S3,
SQS_ENDPOINT or AWS_ENDPOINT_URL_SQS, AWS_REGION (default us-east-1), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (default: dummy).`;

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The command with its environment passed in (testable). Throws on failure; main prints it and exits 1. */
export async function runProvision(argv: string[], env: Record<string, string | undefined>, io: Io = processIo, signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'config-dir': { type: 'string' }, 'retry-attempts': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const attempts = values['retry-attempts'] !== undefined ? Number(values['retry-attempts']) : undefined;
  if (attempts !== undefined && !(Number.isInteger(attempts) && attempts >= 1)) throw new Error(`--retry-attempts must be a whole number >= 1, not "${values['retry-attempts']}"`);
  const settings = loadSettings(env);
  const file = resourcesPath({ configDirFlag: values['config-dir'], resourcesYml: settings.resourcesYml, configDir: settings.configDir });
  const loaded = await loadResources(file);
  const log = { info: (m: string) => io.out(m), warn: (m: string) => io.err(`warning: ${m}`) };
  if (loaded.missing) {
    log.warn(`${file} does not exist: nothing is deployed yet, nothing to provision`);
    return 0;
  }
  const report: ProvisionReport = await provision(loaded.resources, {
    dynamodbEndpoint: settings.endpoints.dynamodb,
    s3Endpoint: settings.endpoints.s3,
    sqsEndpoint: settings.endpoints.sqs,
    region: settings.region,
    credentials: settings.credentials,
    // Custom resources run through the gateway's Invoke API (docs/provisioner.md "Custom resources").
    lambdaEndpoint: settings.endpoints.lambda,
    log,
    source: file,
    signal,
    ...(attempts !== undefined ? { retry: { attempts } } : {}),
  });
  void report;
  return 0;
}

const command: Command = {
  summary: 'create the DynamoDB tables, S3 buckets, SQS queues, Kinesis streams, secrets and parameters of resources.yml and run its custom resources (idempotent)',
  async run(argv) {
    const ac = new AbortController();
    const onSignal = () => ac.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
    try {
      return await runProvision(argv, process.env, processIo, ac.signal);
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }
  },
};
export default command;
