// HTTP API integrations that call an AWS service directly (IntegrationSubtype; docs/gateway.md,
// "Service integrations"), and the REST API route of a SAM state machine's Api event
// (docs/step-functions.md): esb serves each with a built-in function, so the gateway routes to it
// as to any function. This reads and checks the integration and describes that function.
// Pure: property values come in resolved.
import type { ApiReadContext } from './cfn-apis.js';
import type { FunctionModel } from './model.js';
import { isRecord } from './resolver.js';

/** The built-in handler's file under deploy/runtime/, and how Lambda names it. */
const SERVICE_INTEGRATION_CODE = { file: 'service-integration.mjs', handler: 'service-integration.handler', runtime: 'nodejs20.x' } as const;

/** Request parameters each served subtype takes: the required ones first. */
const SUBTYPES: Record<string, { required: string[]; optional: string[] }> = {
  'SQS-SendMessage': { required: ['QueueUrl', 'MessageBody'], optional: ['DelaySeconds', 'MessageAttributes', 'MessageDeduplicationId', 'MessageGroupId', 'MessageSystemAttributes', 'Region'] },
  'SQS-ReceiveMessage': { required: ['QueueUrl'], optional: ['AttributeNames', 'MaxNumberOfMessages', 'MessageAttributeNames', 'ReceiveRequestAttemptId', 'VisibilityTimeout', 'WaitTimeSeconds', 'Region'] },
  'SQS-DeleteMessage': { required: ['QueueUrl', 'ReceiptHandle'], optional: ['Region'] },
  'SQS-PurgeQueue': { required: ['QueueUrl'], optional: ['Region'] },
  'EventBridge-PutEvents': { required: ['Detail', 'DetailType', 'Source'], optional: ['EventBusName', 'Resources', 'Time', 'TraceHeader', 'Region'] },
  'Kinesis-PutRecord': { required: ['StreamName', 'Data', 'PartitionKey'], optional: ['SequenceNumberForOrdering', 'ExplicitHashKey', 'Region'] },
  'StepFunctions-StartExecution': { required: ['StateMachineArn'], optional: ['Name', 'Input', 'Region', 'TraceHeader'] },
  'StepFunctions-StartSyncExecution': { required: ['StateMachineArn'], optional: ['Name', 'Input', 'Region', 'TraceHeader'] },
  'StepFunctions-StopExecution': { required: ['ExecutionArn'], optional: ['Cause', 'Error', 'Region'] },
};

/** Without TimeoutInMillis: enough for one call to esb's own SQS, EventBridge, Kinesis or Step Functions. */
const DEFAULT_TIMEOUT_SECONDS = 10;
/** HTTP APIs' longest integration timeout: a longer TimeoutInMillis is cut to it. */
const MAX_TIMEOUT_SECONDS = 30;

export interface ServiceIntegration {
  subtype: string;
  /** Parameter name -> fixed text or selection expression, as the built-in function takes them. */
  parameters: Record<string, string>;
  timeoutSeconds: number;
}

/** Where an integration is written, for errors and warnings. */
export interface IntegrationSite {
  logicalId: string;
  /** The integration's own field prefix: '' for an AWS::ApiGatewayV2::Integration, the OpenAPI operation's path otherwise. */
  field: string;
  /** RequestParameters / requestParameters, TimeoutInMillis / timeoutInMillis as the form spells them. */
  parametersField: string;
  timeoutField: string;
}

export function isServedSubtype(subtype: unknown): subtype is string {
  return typeof subtype === 'string' && Object.hasOwn(SUBTYPES, subtype);
}

/** Reads an integration of a served subtype: its parameters checked (a missing required one fails), unknown ones dropped with a warning. */
export function readServiceIntegration(ctx: Pick<ApiReadContext, 'warn' | 'fail'>, site: IntegrationSite, subtype: string, parameters: unknown, timeoutMillis: unknown): ServiceIntegration {
  const at = (f: string) => (site.field ? `${site.field}.${f}` : f);
  const { required, optional } = SUBTYPES[subtype];
  const takes = [...required, ...optional];
  if (parameters !== undefined && !isRecord(parameters)) ctx.fail(site.logicalId, at(site.parametersField), `must be a map of ${subtype}'s parameters (${takes.join(', ')})`);
  const given = (parameters ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (!takes.includes(name)) {
      ctx.warn(`${site.logicalId}.${at(`${site.parametersField}.${name}`)}: not a parameter of ${subtype} (it takes ${takes.join(', ')}); ignored`);
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') ctx.fail(site.logicalId, at(`${site.parametersField}.${name}`), 'must be text: a fixed value or a selection expression such as $request.body');
    out[name] = String(value);
  }
  for (const name of required) {
    if (out[name] === undefined || out[name] === '') ctx.fail(site.logicalId, at(`${site.parametersField}.${name}`), `is required by ${subtype} (a fixed value or a selection expression such as $request.body)`);
  }
  return { subtype, parameters: out, timeoutSeconds: timeoutSeconds(ctx, site.logicalId, at(site.timeoutField), timeoutMillis) };
}

/** TimeoutInMillis in whole seconds (Lambda's unit), rounded up. */
function timeoutSeconds(ctx: Pick<ApiReadContext, 'fail'>, logicalId: string, field: string, millis: unknown): number {
  if (millis === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const n = typeof millis === 'string' && millis.trim() !== '' ? Number(millis) : millis;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) ctx.fail(logicalId, field, `must be a whole number of milliseconds (50 to ${MAX_TIMEOUT_SECONDS * 1000}), not ${JSON.stringify(millis)}`);
  return Math.min(Math.ceil(n / 1000), MAX_TIMEOUT_SECONDS);
}

/**
 * The name an OpenAPI operation's integration is known by, as a logical id would be:
 * `<ApiId><Method><Path>Integration` (`MyApi` `post` `/orders/{id}` -> `MyApiPostOrdersIdIntegration`).
 */
export function operationIntegrationName(apiId: string, method: string, path: string): string {
  const words = (s: string) => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1));
  const pathPart = path === '$default' ? 'Default' : words(path).join('') || 'Root';
  return `${apiId}${words(method.toLowerCase()).join('')}${pathPart}Integration`;
}

/**
 * What SAM's Api event of a state machine integrates: StartExecution of the machine with the
 * request's body as the input (SAM's request template passes the body; an empty one starts the
 * execution with `{}`, which the built-in function sees to).
 */
export function stateMachineApiIntegration(stateMachineArn: string): ServiceIntegration {
  return { subtype: 'StepFunctions-StartExecution', parameters: { StateMachineArn: stateMachineArn, Input: '$request.body' }, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS };
}

/** The built-in function that serves an integration, under `key`; `resourceType` is what the template wrote it as. */
export function serviceIntegrationFunction(key: string, name: string, integration: ServiceIntegration, resourceType = 'AWS::ApiGatewayV2::Integration'): FunctionModel {
  return {
    key,
    logicalId: name,
    resourceType,
    packageType: 'Zip',
    runtime: SERVICE_INTEGRATION_CODE.runtime,
    handler: SERVICE_INTEGRATION_CODE.handler,
    code: { kind: 'builtin', file: SERVICE_INTEGRATION_CODE.file },
    timeout: integration.timeoutSeconds,
    memorySize: 128,
    environment: { ESB_SERVICE_INTEGRATION: JSON.stringify({ subtype: integration.subtype, parameters: integration.parameters }) },
    scaling: {},
    layers: [],
    events: [],
  };
}
