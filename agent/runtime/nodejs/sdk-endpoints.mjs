// The AWS SDKs pointed at esb's endpoints (docs/agent.md, "AWS SDKs"). aws-sdk v2 reads no
// AWS_ENDPOINT_URL_* variables (v3 does): when a handler loads v2, its global config gets the
// same endpoints v3 would use, so both reach the same storage; costs nothing unless v2 is loaded.
// Both SDKs send StartSyncExecution to `sync-<endpoint host>`: that name is made to find the host.
import dns from 'node:dns';
import Module from 'node:module';
import path from 'node:path';

const SERVICES = { dynamodb: 'DYNAMODB', dynamodbstreams: 'DYNAMODB_STREAMS', s3: 'S3', lambda: 'LAMBDA', sqs: 'SQS', eventbridge: 'EVENTBRIDGE', cloudwatchevents: 'EVENTBRIDGE', sns: 'SNS', ssm: 'SSM', secretsmanager: 'SECRETS_MANAGER', stepfunctions: 'SFN', firehose: 'FIREHOSE', scheduler: 'SCHEDULER' };
const V2 = /(^|[/\\])aws-sdk([/\\]|$)/;

export function installSdkV2Endpoints(env = process.env) {
  if (!Object.keys(env).some((k) => k.startsWith('AWS_ENDPOINT_URL'))) return;
  const configured = new WeakSet();
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const loaded = load.apply(this, arguments);
    if (typeof request === 'string' && V2.test(request)) {
      try {
        const at = request.lastIndexOf('aws-sdk');
        const pkg = path.isAbsolute(request) ? request.slice(0, at + 'aws-sdk'.length) : path.dirname(Module._resolveFilename('aws-sdk/package.json', parent));
        const core = load.call(this, path.join(pkg, 'lib', 'core.js'), parent, false);
        if (core?.config && !configured.has(core)) {
          configured.add(core);
          configure(core, env);
        }
      } catch {
        // Not the v2 SDK after all (a package named like it): leave it alone.
      }
    }
    return loaded;
  };
}

function configure(AWS, env) {
  const all = env.AWS_ENDPOINT_URL;
  for (const [service, suffix] of Object.entries(SERVICES)) {
    const endpoint = env[`AWS_ENDPOINT_URL_${suffix}`] ?? all;
    if (!endpoint) continue;
    // Service-specific config (AWS.config.<service>) is what every v2 client of that service reads.
    AWS.config[service] = { ...(AWS.config[service] ?? {}), endpoint, ...(service === 's3' ? { s3ForcePathStyle: true } : {}), ...(service === 'stepfunctions' ? { hostPrefixEnabled: false } : {}) };
  }
}

/**
 * The SDKs prefix the host of StartSyncExecution with `sync-` (Step Functions serves it on its own
 * host), and `sync-127.0.0.1` or `sync-queues` names nothing: a lookup of `sync-<host>` for the
 * host of AWS_ENDPOINT_URL_SFN looks up the host itself (docs/step-functions.md).
 */
export function installSyncHostLookup(env = process.env) {
  const endpoint = env.AWS_ENDPOINT_URL_SFN ?? env.AWS_ENDPOINT_URL;
  let host;
  try {
    host = new URL(endpoint ?? '').hostname.replace(/^\[|\]$/g, '');
  } catch {
    return;
  }
  const prefixed = `sync-${host}`.toLowerCase();
  const lookup = dns.lookup;
  dns.lookup = function (hostname, ...rest) {
    return lookup.call(this, typeof hostname === 'string' && hostname.toLowerCase() === prefixed ? host : hostname, ...rest);
  };
  const promised = dns.promises.lookup;
  dns.promises.lookup = function (hostname, ...rest) {
    return promised.call(this, typeof hostname === 'string' && hostname.toLowerCase() === prefixed ? host : hostname, ...rest);
  };
}
