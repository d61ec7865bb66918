// The AWS APIs the storage's SQS port takes but the agent answers, because the agent holds what
// they act on (docs/step-functions.md: executions; docs/firehose.md: delivery streams). The
// storage reads the request and hands it on as an ApiCall: a call in `esb dev`, `POST
// <url>/<action>` elsewhere (`esb storage --states-url`, `--firehose-url`); the answer goes back
// to the client as the service would send it.

/** One call of a forwarded API: the action of its X-Amz-Target and the JSON body. */
export interface ApiCall {
  action: string;
  input: unknown;
  /** The caller's X-Amzn-Trace-Id: how far its chain of invocations has come. */
  traceHeader?: string;
}

/** The answer to an ApiCall: the status and the JSON body the service would send (`{__type, message}` for an error). */
export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export type ApiCallHandler = (call: ApiCall) => Promise<ApiAnswer>;

/** The forwarded APIs, by the agent's path for them (`POST /<api>/<action>`). */
export type ForwardedApi = 'states' | 'firehose';

export interface ForwardedApiInfo {
  /** X-Amz-Target's prefix: `<prefix><Action>`. */
  targetPrefix: string;
  contentType: string;
  /** The service's name in messages. */
  service: string;
  /** `esb storage`'s option that names the agent's URL for it, and its environment variable. */
  option: string;
  env: string;
  doc: string;
  /** A larger request body than the server's usual limit (a PutRecordBatch of 4 MiB is ~5.5 MiB of base64). */
  maxBodyBytes?: number;
}

export const FORWARDED_APIS: Readonly<Record<ForwardedApi, ForwardedApiInfo>> = {
  states: { targetPrefix: 'AWSStepFunctions.', contentType: 'application/x-amz-json-1.0', service: 'Step Functions', option: 'states-url', env: 'ESB_STATES_URL', doc: 'docs/step-functions.md' },
  firehose: { targetPrefix: 'Firehose_20150804.', contentType: 'application/x-amz-json-1.1', service: 'Firehose', option: 'firehose-url', env: 'ESB_FIREHOSE_URL', doc: 'docs/firehose.md', maxBodyBytes: 8 * 1024 * 1024 },
};

/** Which forwarded API an X-Amz-Target belongs to; undefined for any other. */
export function forwardedApiOf(target: string | undefined): ForwardedApi | undefined {
  if (target === undefined) return undefined;
  for (const api of Object.keys(FORWARDED_APIS) as ForwardedApi[]) if (target.startsWith(FORWARDED_APIS[api].targetPrefix)) return api;
  return undefined;
}
