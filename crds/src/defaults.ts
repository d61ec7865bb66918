// The local account every part of esb pretends to be, in one place: the region, account id
// and credentials that SAM intrinsics, API Gateway events, function ARNs, the functions' SDKs
// and the provisioner use when nothing else is configured. They must agree: DynamoDB Local
// (without -sharedDb) keeps one database per access key and region, so a provisioner and a
// function with different keys would not see each other's tables.

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '123456789012';
// Not frozen: the AWS SDK marks the credentials object it is given (a frozen one makes it throw).
export const LOCAL_CREDENTIALS: Readonly<Credentials> = { accessKeyId: 'esb-local', secretAccessKey: 'esb-local' };

/**
 * The program a custom runtime starts (docs/agent.md "Custom runtimes"): `bootstrap` of the code
 * for provided.al2023 / provided.al2 / provided; for go1.x (deprecated) the executable its
 * Handler names, which aws-lambda-go runs against the Runtime API. Undefined for the runtimes esb
 * brings a client for.
 */
export function customRuntimeEntry(runtime: string | undefined, handler: string | undefined): string | undefined {
  if (runtime === undefined) return undefined;
  if (/^provided(\.al2|\.al2023)?$/.test(runtime)) return 'bootstrap';
  if (runtime === 'go1.x') return handler;
  return undefined;
}

/** The images esb's Docker runtime runs zip functions on, by runtime family (scripts/docker-base-image.sh builds them). */
export const RUNTIME_IMAGES = { python3: 'esb-runtime:python3', nodejs: 'esb-runtime:nodejs', java: 'esb-runtime:java' } as const;

/** The Java version a runtime names (java8, java8.al2 -> 8; java25 -> 25), or undefined. */
export function javaVersionOf(runtime?: string): number | undefined {
  const m = /^java(\d+)(\.al2)?$/.exec(runtime ?? '');
  return m ? Number(m[1]) : undefined;
}

/** java8, java8.al2, java11, java17, java21, java25 (docs/agent.md "Java"). */
export function isJavaRuntime(runtime?: string): boolean {
  return javaVersionOf(runtime) !== undefined;
}
