// JSON Schema draft 4, the dialect of API Gateway's models: compiled once, by the deploy (to
// refuse a bad schema) and by the gateway (to validate request bodies, docs/gateway.md
// "Request validation"). Formats are not checked; unknown keywords are ignored, as API Gateway does.
import ajvDraft04 from 'ajv-draft-04';

// A CommonJS module whose export is the class; TypeScript sees its `default` property.
const ajv = new ajvDraft04.default({ strict: false, validateFormats: false, allErrors: false, addUsedSchema: false });

export type BodyCheck = ((value: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null };

/** A checker for `schema`; throws when the schema is not valid draft 4. */
export function compileDraft4(schema: Record<string, unknown>): BodyCheck {
  return ajv.compile(schema) as BodyCheck;
}
