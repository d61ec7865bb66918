// AppSync's schema prelude (docs/appsync.md, "How it runs"): its scalars and directives, declared
// before a template's schema. Plain JavaScript in the contracts package, so that both the
// gateway's real-time endpoint (`@esb/contracts/appsync-schema`) and the built-in function
// deploy/runtime/appsync.mjs (which it ships beside, docs/generate.md) use this one file.
import { isIP } from 'node:net';
import { buildSchema, GraphQLError, Kind, parse, print, validateSchema } from 'graphql';

export const AUTH_DIRECTIVES = { aws_api_key: 'API_KEY', aws_iam: 'AWS_IAM', aws_cognito_user_pools: 'AMAZON_COGNITO_USER_POOLS', aws_auth: 'AMAZON_COGNITO_USER_POOLS', aws_oidc: 'OPENID_CONNECT', aws_lambda: 'AWS_LAMBDA' };
const WHERE = 'OBJECT | FIELD_DEFINITION | INTERFACE | INPUT_OBJECT | UNION | ENUM';
/** AppSync's own definitions, added to a schema unless it defines them itself. */
export const PRELUDE = {
  scalars: ['AWSDate', 'AWSTime', 'AWSDateTime', 'AWSTimestamp', 'AWSEmail', 'AWSJSON', 'AWSURL', 'AWSPhone', 'AWSIPAddress'],
  directives: {
    aws_api_key: `directive @aws_api_key on ${WHERE}`,
    aws_iam: `directive @aws_iam on ${WHERE}`,
    aws_oidc: `directive @aws_oidc on ${WHERE}`,
    aws_lambda: `directive @aws_lambda on ${WHERE}`,
    aws_cognito_user_pools: `directive @aws_cognito_user_pools(cognito_groups: [String]) on ${WHERE}`,
    aws_auth: `directive @aws_auth(cognito_groups: [String]) on ${WHERE}`,
    aws_subscribe: 'directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION',
    aws_publish: 'directive @aws_publish(subscriptions: [String]) on FIELD_DEFINITION',
  },
};

const invalid = (scalar, value) => new GraphQLError(`Unable to parse ${JSON.stringify(value)} as a valid ${scalar}`);
const checked = (scalar, test) => (value) => {
  if (typeof value !== 'string' || !test(value)) throw invalid(scalar, value);
  return value;
};
const DATE = '\\d{4}-\\d{2}-\\d{2}';
const TIME = '\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?';
const ZONE = '(Z|[+-]\\d{2}(:\\d{2}(:\\d{2})?)?)';
const parseJsonText = (value) => {
  if (typeof value !== 'string') throw invalid('AWSJSON', value);
  try {
    return JSON.parse(value);
  } catch {
    throw invalid('AWSJSON', value);
  }
};
const isUrl = (v) => {
  try {
    return Boolean(new URL(v).protocol);
  } catch {
    return false;
  }
};

/** How AppSync's scalars read inputs and write results (loosely validated strings but AWSJSON and AWSTimestamp). */
export const SCALARS = {
  AWSDate: checked('AWSDate', (v) => new RegExp(`^${DATE}${ZONE}?$`).test(v)),
  AWSTime: checked('AWSTime', (v) => new RegExp(`^${TIME}${ZONE}?$`).test(v)),
  AWSDateTime: checked('AWSDateTime', (v) => new RegExp(`^${DATE}T${TIME}${ZONE}$`).test(v)),
  AWSEmail: checked('AWSEmail', (v) => /^[^@\s]+@[^@\s]+$/.test(v)),
  AWSURL: checked('AWSURL', isUrl),
  AWSPhone: checked('AWSPhone', (v) => /^\+?[0-9][0-9 ().-]{2,}$/.test(v)),
  AWSIPAddress: checked('AWSIPAddress', (v) => isIP(v.split('/')[0]) !== 0),
};

export function patchScalars(schema) {
  for (const [name, check] of Object.entries(SCALARS)) {
    const type = schema.getType(name);
    if (!type || type.astNode?.kind !== Kind.SCALAR_TYPE_DEFINITION) continue;
    type.parseValue = check;
    type.parseLiteral = (ast) => (ast.kind === Kind.STRING ? check(ast.value) : (() => { throw invalid(name, print(ast)); })());
    type.serialize = (v) => (typeof v === 'string' ? v : String(v));
  }
  const json = schema.getType('AWSJSON');
  if (json) {
    json.parseValue = parseJsonText;
    json.parseLiteral = (ast) => (ast.kind === Kind.STRING ? parseJsonText(ast.value) : (() => { throw invalid('AWSJSON', print(ast)); })());
    json.serialize = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  }
  const ts = schema.getType('AWSTimestamp');
  if (ts) {
    const int = (v) => {
      if (!Number.isInteger(v)) throw invalid('AWSTimestamp', v);
      return v;
    };
    ts.parseValue = int;
    ts.parseLiteral = (ast) => (ast.kind === Kind.INT ? Number(ast.value) : int(print(ast)));
    ts.serialize = (v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : int(typeof v === 'number' ? Math.trunc(v) : v));
  }
}

/** The schema, with AppSync's definitions and scalars; throws when it does not build. */
export function buildApiSchema(sdl) {
  const doc = parse(sdl);
  const defined = new Set(doc.definitions.filter((d) => d.kind === Kind.SCALAR_TYPE_DEFINITION || d.kind === Kind.DIRECTIVE_DEFINITION).map((d) => d.name.value));
  const prelude = [...PRELUDE.scalars.filter((s) => !defined.has(s)).map((s) => `scalar ${s}`), ...Object.entries(PRELUDE.directives).filter(([n]) => !defined.has(n)).map(([, d]) => d)];
  const schema = buildSchema(`${prelude.join('\n')}\n${sdl}`);
  const errors = validateSchema(schema);
  if (errors.length) throw new Error(errors.map((e) => e.message).join('; '));
  patchScalars(schema);
  return schema;
}

/** The auth directives of a field or type: `[{mode, groups?}]`; empty when it has none. */
export function authOf(node) {
  const out = [];
  for (const d of node?.directives ?? []) {
    const mode = AUTH_DIRECTIVES[d.name.value];
    if (!mode) continue;
    const groups = d.arguments?.find((a) => a.name.value === 'cognito_groups')?.value;
    out.push({ mode, groups: groups?.kind === Kind.LIST ? groups.values.map((v) => v.value) : undefined });
  }
  return out;
}

/** The Subscription fields with `@aws_subscribe`: field name -> the mutations it gets the results of. */
export function subscribedMutations(schema) {
  const out = new Map();
  for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {})) {
    const d = field.astNode?.directives?.find((x) => x.name.value === 'aws_subscribe');
    const list = d?.arguments?.find((a) => a.name.value === 'mutations')?.value;
    if (list?.kind === Kind.LIST) out.set(field.name, list.values.filter((v) => v.kind === Kind.STRING).map((v) => v.value));
    else if (list?.kind === Kind.STRING) out.set(field.name, [list.value]);
  }
  return out;
}
