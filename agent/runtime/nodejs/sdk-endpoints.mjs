// The AWS SDKs pointed at esb's endpoints (docs/agent.md, "AWS SDKs"). aws-sdk v2 reads no
// AWS_ENDPOINT_URL_* variables (v3 does): when a handler loads v2, its global config gets the
// same endpoints v3 would use, so both reach the same storage; costs nothing unless v2 is loaded.
// Both SDKs send StartSyncExecution to `sync-<endpoint host>`: that name is made to find the host,
// as function URLs' `<label>.lambda-url.localhost` is made to find the gateway's.
// A custom resource's answer PUT to a hard-coded https port 443 reaches the ResponseURL's S3.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import Module, { syncBuiltinESMExports } from 'node:module';
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
 * Host names that name esb's own endpoints: the SDKs prefix the host of StartSyncExecution with
 * `sync-` (Step Functions serves it on its own host), and `sync-127.0.0.1` or `sync-queues` names
 * nothing, so `sync-<host of AWS_ENDPOINT_URL_SFN>` looks up that host (docs/step-functions.md);
 * a function URL, `<label>.lambda-url.localhost` (what a function's environment gets for
 * `!GetAtt FnUrl.FunctionUrl`), looks up the gateway's host, AWS_ENDPOINT_URL_LAMBDA's, which
 * serves it by that Host (docs/gateway.md, "Function URLs").
 */
export function installHostLookups(env = process.env) {
  const hostOf = (endpoint) => {
    try {
      return new URL(endpoint ?? '').hostname.replace(/^\[|\]$/g, '') || undefined;
    } catch {
      return undefined;
    }
  };
  const sfn = hostOf(env.AWS_ENDPOINT_URL_SFN ?? env.AWS_ENDPOINT_URL);
  const gateway = hostOf(env.AWS_ENDPOINT_URL_LAMBDA);
  if (!sfn && !gateway) return;
  const prefixed = sfn && `sync-${sfn}`.toLowerCase();
  const alias = (hostname) => {
    if (typeof hostname !== 'string') return hostname;
    const name = hostname.toLowerCase();
    if (name === prefixed) return sfn;
    if (gateway && name.endsWith(FUNCTION_URL_HOST_SUFFIX)) return gateway;
    return hostname;
  };
  const lookup = dns.lookup;
  dns.lookup = function (hostname, ...rest) {
    return lookup.call(this, alias(hostname), ...rest);
  };
  const promised = dns.promises.lookup;
  dns.promises.lookup = function (hostname, ...rest) {
    return promised.call(this, alias(hostname), ...rest);
  };
}

/** Where function URLs are served (FUNCTION_URL_HOST_SUFFIX in @esb/contracts). */
const FUNCTION_URL_HOST_SUFFIX = '.lambda-url.localhost';

/** Where a custom resource's ResponseURL points (CUSTOM_RESOURCE_BUCKET in provisioner/src/custom-resources.ts). */
const RESPONSES_PATH = '/esb-custom-resources/responses/';

/**
 * AWS's cfn-response module for Node, which many apps vendor, PUTs a custom resource's answer
 * with `https.request({ hostname, port: 443, path })`: the ResponseURL's scheme and port are
 * dropped, as on AWS they are always https and 443. Such a request for a ResponseURL path goes
 * where that URL points, the storage's S3 (AWS_ENDPOINT_URL_S3), with the Host it was signed
 * for; a request given the URL itself (fetch, urllib, `https.request(url)`) goes there too, over
 * http when the URL says http (docs/provisioner.md "Custom resources").
 */
export function installResponseUrlRedirect(env = process.env) {
  let target;
  try {
    target = new URL(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? '');
  } catch {
    return;
  }
  const plain = target.protocol === 'http:';
  const request = https.request;
  const redirected = (args) => {
    const [first, second] = args;
    if (typeof first === 'string' || first instanceof URL) {
      // https.request(url[, options][, callback]) with esb's own http ResponseURL: Node refuses http: there.
      let url;
      try {
        url = new URL(String(first));
      } catch {
        return undefined;
      }
      if (url.protocol !== 'http:' || !url.pathname.startsWith(RESPONSES_PATH)) return undefined;
      return http.request(url, ...args.slice(1));
    }
    if (!first || typeof first !== 'object' || typeof first.path !== 'string' || !first.path.startsWith(RESPONSES_PATH)) return undefined;
    if (first.port !== undefined && first.port !== null && Number(first.port) !== 443) return undefined;
    const options = { ...first, protocol: target.protocol, hostname: target.hostname.replace(/^\[|\]$/g, ''), host: undefined, port: target.port || (plain ? 80 : 443), agent: undefined, headers: { ...(first.headers ?? {}), host: target.host } };
    // The saved https.request: the patched one would take this request for a ResponseURL's again.
    return (plain ? http.request : request)(options, ...(typeof second === 'function' ? [second] : []));
  };
  https.request = function (...args) {
    return redirected(args) ?? request.apply(this, args);
  };
  syncBuiltinESMExports(); // `import { request } from 'node:https'` sees it too
}
