// The Deployment resource (esb.dev/v1alpha1): what `kubectl apply`, a dropped manifest or
// `esb deploy` hands the controller, and the status it reports. Apart from the artifact's files
// (contracts.ts) so that a client such as `esb get` loads only these schemas (docs/design.md, "Build").
import { z } from 'zod';

/** A project or env name. */
export const LowerName = z.string().regex(/^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$/, 'must be lower-case letters, digits, "-" or "_"');
export const StringMap = z.record(z.string(), z.string());

// Kubernetes' name rules (docs/security.md "Names and paths"): they keep every folder esb builds
// from a name (status records, artifacts) a single path segment, never "." or "..".
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const ObjectName = z
  .string()
  .max(253, 'must be at most 253 characters (a DNS-1123 subdomain)')
  .regex(DNS1123_SUBDOMAIN, 'must be a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit');
export const NamespaceName = z
  .string()
  .max(63, 'must be at most 63 characters (a DNS-1123 label)')
  .regex(DNS1123_LABEL, 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit');

// Overridden: another Deployment took over a route, function, table or bucket this one deployed.
export const ConditionType = z.enum(['Generated', 'ImagesReady', 'Applied', 'Provisioned', 'Ready', 'Overridden']);
export type ConditionType = z.infer<typeof ConditionType>;

export const Condition = z.object({
  type: ConditionType,
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, 'must be CamelCase'),
  message: z.string(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type Condition = z.infer<typeof Condition>;

/** A stack name as CloudFormation takes it (at most 128 characters). */
export const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const DeploymentSpec = z
  .object({
    template: z.string().min(1).optional(),
    artifact: z.string().min(1).optional(),
    env: LowerName.default('default'),
    project: LowerName.default('esb'),
    parameters: StringMap.optional(),
    /** SAM CLI's --env-vars: `Parameters` for every function, a function's logical id (or name) for it; only declared variables change (docs/generate.md). */
    envVars: z.record(z.string(), StringMap).optional(),
    // The app's identity: keys its functions, tables and buckets (see docs/generate.md).
    stackName: z
      .string()
      .max(128)
      .regex(STACK_NAME, 'must be letters, digits, ".", "-", "_"')
      .optional(),
  })
  .refine((s) => (s.template === undefined) !== (s.artifact === undefined), {
    message: 'exactly one of spec.template or spec.artifact must be set',
  });
export type DeploymentSpec = z.infer<typeof DeploymentSpec>;

/** One of the stack's Outputs in a Deployment's status, as describe-stacks lists them. */
export const DeploymentOutput = z.object({
  key: z.string().min(1),
  value: z.string().optional(),
  /** Why esb has no value for it (a resource it does not emulate, an attribute it cannot know). */
  problem: z.string().optional(),
  description: z.string().optional(),
  exportName: z.string().optional(),
});
export type DeploymentOutput = z.infer<typeof DeploymentOutput>;

export const DeploymentStatus = z.object({
  observedGeneration: z.number().int().min(0).optional(),
  conditions: z.array(Condition).optional(),
  artifactDigest: z.string().optional(),
  // Digest of everything the deploy read (template, code, parameters, env, project): equal to
  // what `esb deploy` computes when the controller has handled exactly that input.
  inputsDigest: z.string().optional(),
  /** The fingerprint of the controller's generator, which inputsDigest counts (docs/design.md, "Build"). */
  generator: z.string().optional(),
  configDir: z.string().optional(),
  functions: z.number().int().min(0).optional(),
  routes: z.number().int().min(0).optional(),
  resources: z.number().int().min(0).optional(),
  stackName: z.string().optional(),
  /** What the deploy could not do as the template asks (unreachable functions, take-overs, ...). */
  warnings: z.array(z.string()).optional(),
  /** The stack's Outputs as the last successful deploy resolved them, in template order. */
  outputs: z.array(DeploymentOutput).optional(),
});
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

export const Deployment = z.object({
  apiVersion: z.literal('esb.dev/v1alpha1'),
  kind: z.literal('Deployment'),
  metadata: z.object({
    name: ObjectName,
    namespace: NamespaceName.optional(),
    generation: z.number().int().optional(),
    resourceVersion: z.string().optional(),
    uid: z.string().optional(),
    creationTimestamp: z.string().optional(),
    labels: StringMap.optional(),
    annotations: StringMap.optional(),
  }),
  spec: DeploymentSpec,
  status: DeploymentStatus.optional(),
});
export type Deployment = z.infer<typeof Deployment>;
