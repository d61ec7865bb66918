// The names of an SQS queue in each form code meets them (docs/agent.md, "SQS queues"): a
// template's `!Ref Queue` is the queue URL and `!GetAtt Queue.Arn` its ARN, as CloudFormation
// gives them; the agent turns the URL into one on esb's SQS endpoint for the functions, and the
// SQS server and the poller find a queue by the last segment of any URL or ARN naming it.
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './defaults.js';

export const SQS_DEFAULT_PORT = 9324;

/** `arn:aws:sqs:<region>:<account>:<name>` */
export function queueArn(name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:sqs:${region}:${account}:${name}`;
}

/** The URL CloudFormation gives for `!Ref Queue`: `https://sqs.<region>.amazonaws.com/<account>/<name>`. */
export function awsQueueUrl(name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
}

/** The queue's URL on an SQS endpoint (`http://127.0.0.1:9324` -> `http://127.0.0.1:9324/<account>/<name>`). */
export function localQueueUrl(endpoint: string, name: string, account = LOCAL_ACCOUNT_ID): string {
  return `${endpoint.replace(/\/+$/, '')}/${account}/${name}`;
}

const AWS_QUEUE_URL_PARTS = /^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com\/(\d{12})\/([A-Za-z0-9_.-]+)$/;

/**
 * A value naming a queue the way CloudFormation does (an env var set to `!Ref Queue`), made to
 * name it on `endpoint`; any other value is returned as it is.
 */
export function rebaseQueueUrl(value: string, endpoint: string): string {
  const m = AWS_QUEUE_URL_PARTS.exec(value);
  return m ? localQueueUrl(endpoint, m[2], m[1]) : value;
}

/** True when SQS said the queue does not exist (its error name in the JSON protocol, its code in the query protocol). */
export function isMissingQueue(err: unknown): boolean {
  const e = (err ?? {}) as { name?: string; Code?: string };
  return e.name === 'QueueDoesNotExist' || e.name === 'AWS.SimpleQueueService.NonExistentQueue' || e.Code === 'AWS.SimpleQueueService.NonExistentQueue';
}

/** The queue name in a queue URL (any host) or ARN; undefined when the text is neither. */
export function queueNameOf(urlOrArn: string): string | undefined {
  const arn = /^arn:aws[a-z-]*:sqs:[a-z0-9-]*:\d{12}:([A-Za-z0-9_.-]+)$/.exec(urlOrArn);
  if (arn) return arn[1];
  const url = /^https?:\/\/[^/]+\/(?:queue\/|\d{12}\/)?([A-Za-z0-9_.-]+)\/?$/.exec(urlOrArn);
  return url?.[1];
}
