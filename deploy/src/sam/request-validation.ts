// Request validation of REST methods: the parameters a request must carry and the JSON Schema
// (draft 4) its body must match, when the method has a validator that asks for them. Three ways
// to write it, one result (a route's `validation`, docs/gateway.md "Request validation"):
//   SAM      Api `Models` + an Api event's `RequestModel {Model, ValidateBody, ValidateParameters}` and `RequestParameters`
//   OpenAPI  `x-amazon-apigateway-request-validators` / `-validator`, required `parameters`, the JSON request body's schema
//   raw      AWS::ApiGateway::RequestValidator + Model, a Method's RequestValidatorId, RequestModels, RequestParameters
// Pure: property values come in resolved. References between models are inlined here, and every
// schema is compiled once, so a bad one fails the deploy naming its field.
import { compileDraft4, type RequestValidation } from '@esb/contracts';
import type { ApiReadContext } from './cfn-apis.js';
import { isRecord } from './resolver.js';

type Ctx = Pick<ApiReadContext, 'warn' | 'fail'>;
type Schema = Record<string, unknown>;

/** API Gateway's `Empty` model: what a validated body matches when the method names no model. */
const EMPTY_MODEL: Schema = { type: 'object' };
const PARAMETER = /^method\.request\.(querystring|header|path)\.\S+$/;

/** The model a `$ref` names: `#/definitions/X`, `#/components/schemas/X` or API Gateway's `.../restapis/<api>/models/X`. */
function refName(ref: string): string | undefined {
  return /^#\/(?:definitions|components\/schemas)\/([^/]+)$/.exec(ref)?.[1] ?? /\/models\/([^/]+)$/.exec(ref)?.[1];
}

/** A schema with every `$ref` to a model replaced by that model (recursive models are refused). */
export function inlineSchema(ctx: Ctx, id: string, field: string, schema: unknown, models: (name: string) => unknown, seen: string[] = []): Schema {
  if (typeof schema === 'string') {
    try {
      schema = JSON.parse(schema);
    } catch {
      ctx.fail(id, field, 'must be a JSON Schema (an object, or JSON text of one)');
    }
  }
  if (!isRecord(schema)) ctx.fail(id, field, 'must be a JSON Schema (an object)');
  const walk = (node: unknown, stack: string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, stack));
    if (!isRecord(node)) return node;
    if (typeof node.$ref === 'string') {
      const name = refName(node.$ref);
      const target = name === undefined ? undefined : models(name);
      if (name === undefined || target === undefined) ctx.fail(id, field, `$ref ${JSON.stringify(node.$ref)} names no model of this API`);
      if (stack.includes(name)) ctx.fail(id, field, `models ${[...stack, name].join(' -> ')} refer to each other; recursive models are not supported`);
      const inlined = walk(typeof target === 'string' ? JSON.parse(target) : target, [...stack, name]) as Schema;
      const { $schema: _, ...rest } = inlined;
      return rest;
    }
    const out: Schema = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v, stack);
    return out;
  };
  // Read as draft 4 whatever `$schema` says (a model written for a later draft still deploys on AWS).
  const { $schema: _, ...inlined } = walk(schema, seen) as Schema;
  try {
    compileDraft4(inlined);
  } catch (err) {
    ctx.fail(id, field, `is not a valid JSON Schema (draft 4): ${(err as Error).message}`);
  }
  return inlined;
}

function validation(parameters: string[], body: Schema | undefined): RequestValidation | undefined {
  if (parameters.length === 0 && body === undefined) return undefined;
  return body === undefined ? { parameters } : { parameters, body };
}

// ------------------------------------------------------------------ SAM

/** An Api event's RequestModel / RequestParameters against its API's `Models`. */
export function samValidation(ctx: Ctx, fnId: string, field: string, props: Record<string, unknown>, models: Record<string, unknown> | undefined): RequestValidation | undefined {
  const model = props.RequestModel;
  const written = props.RequestParameters;
  if (model === undefined && written === undefined) return undefined;
  let validateBody = false;
  let validateParameters = false;
  let body: Schema | undefined;
  if (model !== undefined) {
    if (!isRecord(model) || typeof model.Model !== 'string') ctx.fail(fnId, `${field}.RequestModel.Model`, 'must name a model of the API (its Models)');
    validateBody = model.ValidateBody === true || model.ValidateBody === 'true';
    validateParameters = model.ValidateParameters === true || model.ValidateParameters === 'true';
    if (!models || !Object.hasOwn(models, model.Model)) ctx.fail(fnId, `${field}.RequestModel.Model`, `"${model.Model}" is not in the API's Models`);
    if (validateBody) body = inlineSchema(ctx, fnId, `${field}.RequestModel.Model`, models[model.Model], (n) => (Object.hasOwn(models, n) ? models[n] : undefined));
  }
  const required: string[] = [];
  if (written !== undefined) {
    if (!Array.isArray(written)) ctx.fail(fnId, `${field}.RequestParameters`, 'must be a list of method.request.* names (or {name: {Required}})');
    for (const [i, p] of written.entries()) {
      const [name, options] = typeof p === 'string' ? [p, {}] : isRecord(p) && Object.keys(p).length === 1 ? Object.entries(p)[0] : [undefined, undefined];
      if (typeof name !== 'string' || !PARAMETER.test(name)) ctx.fail(fnId, `${field}.RequestParameters[${i}]`, 'must be method.request.querystring|header|path.<name>, or a map of one of those to {Required, Caching}');
      if (isRecord(options) && (options.Required === true || options.Required === 'true')) required.push(name);
    }
  }
  return validation(validateParameters ? required : [], body);
}

// ------------------------------------------------------------------ OpenAPI

/** An OpenAPI operation's validation, under the document's validators and models. */
export function openApiValidation(ctx: Ctx, apiId: string, where: string, doc: Schema, pathItem: Schema, op: Schema): RequestValidation | undefined {
  const validators = isRecord(doc['x-amazon-apigateway-request-validators']) ? doc['x-amazon-apigateway-request-validators'] : {};
  const chosen = op['x-amazon-apigateway-request-validator'] ?? doc['x-amazon-apigateway-request-validator'];
  if (chosen === undefined) return undefined;
  const validator = typeof chosen === 'string' && Object.hasOwn(validators, chosen) ? validators[chosen] : undefined;
  if (!isRecord(validator)) return ctx.fail(apiId, `${where}.x-amazon-apigateway-request-validator`, `${JSON.stringify(chosen)} is not in x-amazon-apigateway-request-validators`);
  const schemas = (isRecord(doc.components) && isRecord(doc.components.schemas) ? doc.components.schemas : isRecord(doc.definitions) ? doc.definitions : {}) as Schema;
  const models = (n: string) => (Object.hasOwn(schemas, n) ? schemas[n] : undefined);

  const required: string[] = [];
  let bodySchema: unknown;
  const IN: Record<string, string> = { query: 'querystring', header: 'header', path: 'path' };
  for (const p of [...(Array.isArray(pathItem.parameters) ? pathItem.parameters : []), ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
    if (!isRecord(p)) continue;
    if (p.in === 'body') bodySchema = p.schema;
    else if (p.required === true && typeof p.name === 'string' && typeof p.in === 'string' && IN[p.in]) required.push(`method.request.${IN[p.in]}.${p.name}`);
  }
  if (isRecord(op.requestBody) && isRecord(op.requestBody.content)) {
    const content = op.requestBody.content as Schema;
    const json = content['application/json'] ?? content.$default;
    if (isRecord(json)) bodySchema = json.schema;
  }
  let body: Schema | undefined;
  if (validator.validateRequestBody === true) body = bodySchema === undefined ? EMPTY_MODEL : inlineSchema(ctx, apiId, `${where}.requestBody`, bodySchema, models);
  return validation(validator.validateRequestParameters === true ? required : [], body);
}

// ------------------------------------------------------------------ AWS::ApiGateway

export interface CfnValidationResources {
  /** RequestValidator logical id -> what it validates */
  validators: Map<string, { body: boolean; parameters: boolean }>;
  /** model name (and logical id) -> schema, per API */
  models: Map<string, Map<string, unknown>>;
}

/** The validators and models of raw resources (props resolved; a `!Ref` is the logical id). */
export function readCfnValidationResources(resources: Array<{ id: string; type: string; props: Record<string, unknown> }>): CfnValidationResources {
  const out: CfnValidationResources = { validators: new Map(), models: new Map() };
  for (const r of resources) {
    if (r.type === 'AWS::ApiGateway::RequestValidator') {
      out.validators.set(r.id, { body: r.props.ValidateRequestBody === true || r.props.ValidateRequestBody === 'true', parameters: r.props.ValidateRequestParameters === true || r.props.ValidateRequestParameters === 'true' });
    } else if (r.type === 'AWS::ApiGateway::Model' && typeof r.props.RestApiId === 'string') {
      const api = r.props.RestApiId.split('.')[0];
      const models = out.models.get(api) ?? out.models.set(api, new Map()).get(api)!;
      models.set(r.id, r.props.Schema);
      if (typeof r.props.Name === 'string') models.set(r.props.Name, r.props.Schema);
    }
  }
  return out;
}

/** A raw Method's validation. */
export function cfnMethodValidation(ctx: Ctx, api: string, method: { id: string; props: Record<string, unknown> }, known: CfnValidationResources): RequestValidation | undefined {
  const vid = method.props.RequestValidatorId;
  if (vid === undefined) return undefined;
  // `!Ref V` is its logical id; `!GetAtt V.RequestValidatorId` reads "V.RequestValidatorId".
  const validator = typeof vid === 'string' ? known.validators.get(vid.split('.')[0]) : undefined;
  if (!validator) return ctx.fail(method.id, 'RequestValidatorId', `${JSON.stringify(vid)} is not an AWS::ApiGateway::RequestValidator of this template`);
  const models = known.models.get(api) ?? new Map<string, unknown>();
  const required: string[] = [];
  const params = method.props.RequestParameters;
  if (isRecord(params)) {
    for (const [name, isRequired] of Object.entries(params)) {
      if (!PARAMETER.test(name)) ctx.fail(method.id, `RequestParameters.${name}`, 'must be method.request.querystring|header|path.<name>');
      if (isRequired === true || isRequired === 'true') required.push(name);
    }
  }
  let body: Schema | undefined;
  if (validator.body) {
    const named = isRecord(method.props.RequestModels) ? (method.props.RequestModels['application/json'] ?? method.props.RequestModels.$default) : undefined;
    if (named === undefined || named === 'Empty') body = EMPTY_MODEL;
    else {
      if (typeof named !== 'string' || !models.has(named)) ctx.fail(method.id, 'RequestModels', `${JSON.stringify(named)} is not an AWS::ApiGateway::Model of ${api}`);
      body = inlineSchema(ctx, method.id, 'RequestModels', models.get(named), (n) => models.get(n));
    }
  }
  return validation(validator.parameters ? required : [], body);
}
