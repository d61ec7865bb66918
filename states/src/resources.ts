// What a Task state's Resource names (docs/step-functions.md "Tasks"): a Lambda function, one of the
// service integrations esb runs (and how the task waits: for the call, a task token, or a child
// execution's end), or something esb does not run and why. Pure: the agent's task runner does the
// calls; the deploy warns of what would fail.

/** The services an `aws-sdk:<service>:<action>` task may call here (the SDK clients the agent holds). */
const SDK_SERVICE_NAMES: readonly string[] = ['dynamodb', 'sqs', 'sns', 'eventbridge', 's3', 'lambda', 'kinesis', 'firehose'];

/** The optimized integrations (`arn:aws:states:::<service>:<action>`) esb runs, and the SDK service behind each. */
const OPTIMIZED: Record<string, { service: string; actions: string[] }> = {
  dynamodb: { service: 'dynamodb', actions: ['getItem', 'putItem', 'updateItem', 'deleteItem'] },
  sqs: { service: 'sqs', actions: ['sendMessage'] },
  sns: { service: 'sns', actions: ['publish'] },
  events: { service: 'eventbridge', actions: ['putEvents'] },
};

export type TaskPattern = 'response' | 'token' | 'sync' | 'sync2';

/** A Task's Resource taken apart: what it calls and how it waits, or why esb does not run it. */
export type TaskResource =
  | { kind: 'function'; functionName: string }
  | { kind: 'lambda-invoke'; pattern: TaskPattern }
  | { kind: 'start-execution'; pattern: TaskPattern }
  /** `apigateway:invoke`: an HTTP request to an API of the gateway (docs/step-functions.md "Tasks"). */
  | { kind: 'apigateway-invoke'; pattern: TaskPattern }
  | { kind: 'sdk'; service: string; action: string; optimized: boolean; pattern: TaskPattern }
  | { kind: 'unsupported'; why: string };

export function parseTaskResource(resource: string): TaskResource {
  const fn = /^arn:aws[a-z-]*:lambda:[a-z0-9-]*:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/.exec(resource);
  if (fn) return { kind: 'function', functionName: fn[1] };
  if (/^arn:aws[a-z-]*:states:[a-z0-9-]*:\d{12}:activity:/.test(resource)) return { kind: 'unsupported', why: 'activities (workers that poll GetActivityTask) are not emulated' };
  const m = /^arn:aws[a-z-]*:states:[a-z0-9-]*:(?:\d{12})?:(aws-sdk:)?([a-z0-9-]+):([A-Za-z0-9]+)(\.waitForTaskToken|\.sync(?::2)?)?$/.exec(resource);
  if (!m) {
    return { kind: 'unsupported', why: 'it is neither a Lambda function ARN nor a Step Functions service integration' };
  }
  const [, sdk, service, action, suffix] = m;
  const pattern: TaskPattern = suffix === '.waitForTaskToken' ? 'token' : suffix === '.sync' ? 'sync' : suffix === '.sync:2' ? 'sync2' : 'response';
  if (!sdk && service === 'lambda' && action === 'invoke') return pattern === 'sync' || pattern === 'sync2' ? unsupported(resource) : { kind: 'lambda-invoke', pattern };
  if (!sdk && service === 'states' && action === 'startExecution') return { kind: 'start-execution', pattern };
  if (sdk && service === 'sfn' && action === 'startExecution') return { kind: 'start-execution', pattern };
  if (!sdk && service === 'apigateway' && action === 'invoke') return pattern === 'sync' || pattern === 'sync2' ? unsupported(resource) : { kind: 'apigateway-invoke', pattern };
  if (sdk && service === 'lambda' && action === 'invoke') return { kind: 'lambda-invoke', pattern };
  if (pattern === 'sync' || pattern === 'sync2') return unsupported(resource);
  if (sdk) {
    if (!SDK_SERVICE_NAMES.includes(service)) return { kind: 'unsupported', why: `esb does not emulate the ${service} service (it runs DynamoDB, SQS, SNS, EventBridge, S3, Lambda, Kinesis, Firehose and Step Functions)` };
    return { kind: 'sdk', service, action, optimized: false, pattern };
  }
  const optimized = OPTIMIZED[service];
  if (!optimized?.actions.includes(action)) return unsupported(resource);
  return { kind: 'sdk', service: optimized.service, action, optimized: true, pattern };
}

function unsupported(resource: string): TaskResource {
  return { kind: 'unsupported', why: `esb does not emulate the integration ${resource.replace(/^arn:aws[a-z-]*:states:[a-z0-9-]*:\d*:/, '')}` };
}

/** Every Task of a definition, nested Parallel branches and Map processors included, with where it is (`States.P.Branches[0].States.A`). */
export function tasksOf(definition: unknown): Array<{ path: string; resource: string }> {
  const out: Array<{ path: string; resource: string }> = [];
  const walk = (machine: unknown, at: string) => {
    const states = (machine as { States?: unknown } | null)?.States;
    if (typeof states !== 'object' || states === null) return;
    for (const [name, state] of Object.entries(states as Record<string, Record<string, unknown>>)) {
      const path = `${at}States.${name}`;
      if (state?.Type === 'Task' && typeof state.Resource === 'string') out.push({ path, resource: state.Resource });
      if (Array.isArray(state?.Branches)) state.Branches.forEach((b, i) => walk(b, `${path}.Branches[${i}].`));
      if (state?.ItemProcessor) walk(state.ItemProcessor, `${path}.ItemProcessor.`);
      if (state?.Iterator) walk(state.Iterator, `${path}.Iterator.`);
    }
  };
  walk(definition, '');
  return out;
}
