// Where a custom resource's answer is found by what reads it (docs/provisioner.md "Custom
// resources"): provisioning writes its PhysicalResourceId and each Data attribute as an SSM
// parameter of the storage, and generate writes `!Ref` / `!GetAtt` of the resource as dynamic
// references to them, which functions' environments resolve when an instance starts and
// provisioning resolves in the properties of the custom resources created after it.
import { PARAMETER_NAME } from './secrets.js';

export const CUSTOM_RESOURCE_PARAMETERS = '/esb/custom-resources';

/** The SSM parameter of a custom resource's PhysicalResourceId (no attribute) or of one Data attribute; undefined for a name SSM refuses. */
export function customResourceParameter(stack: string, logicalId: string, attribute?: string): string | undefined {
  const name = `${CUSTOM_RESOURCE_PARAMETERS}/${stack}/${logicalId}/${attribute === undefined ? 'PhysicalResourceId' : `Data/${attribute}`}`;
  return PARAMETER_NAME.test(name) ? name : undefined;
}

/** The dynamic reference that stands for a parameter until it is resolved. */
export function ssmReference(parameter: string): string {
  return `{{resolve:ssm:${parameter}}}`;
}

const CUSTOM_REFERENCE = new RegExp(`\\{\\{resolve:ssm:(${CUSTOM_RESOURCE_PARAMETERS.replace(/\//g, '\\/')}/[a-zA-Z0-9_.\\-/]+)\\}\\}`, 'g');

/** Replaces the custom resource references in a text by what `valueOf` gives for their parameter (left as they are when it gives undefined). */
export function resolveCustomResourceReferences(text: string, valueOf: (parameter: string) => string | undefined): string {
  return text.replace(CUSTOM_REFERENCE, (whole, parameter: string) => valueOf(parameter) ?? whole);
}
