// JSON Schema draft 4, the dialect of API Gateway's models: compiled once, by the deploy (to
// refuse a bad schema) and by the gateway (to validate request bodies, docs/gateway.md
// "Request validation"). Formats are not checked; unknown keywords are ignored, as API Gateway does.
// The validator is loaded on first use: every esb command imports this package, few validate.
import { createRequire } from 'node:module';
import type { default as Ajv } from 'ajv-draft-04';

const require = createRequire(import.meta.url);
let ajv: InstanceType<typeof Ajv.default> | undefined;

export type BodyCheck = ((value: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null };

/** A checker for `schema`; throws when the schema is not valid draft 4. */
export function compileDraft4(schema: Record<string, unknown>): BodyCheck {
  // A CommonJS module whose export is the class itself.
  ajv ??= new (require('ajv-draft-04') as typeof Ajv.default)({ strict: false, validateFormats: false, allErrors: false, addUsedSchema: false });
  return ajv.compile(schema) as BodyCheck;
}
