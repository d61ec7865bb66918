// The function esb runs for a REST API method whose integration calls an AWS service, or invokes
// a Lambda function, with Velocity mapping templates (integration type AWS; docs/gateway.md "AWS
// integrations (REST APIs)"), calls an HTTP endpoint (HTTP, and HTTP_PROXY, which passes the
// request and the answer through untouched) or answers by itself (MOCK; docs/gateway.md "HTTP and
// MOCK integrations"). It does what API Gateway does between the method and the service:
// picks the request template by Content-Type (or passes the body through, or refuses it, as
// PassthroughBehavior says), renders it with $input, $util, $context and $stageVariables, maps
// RequestParameters, calls the service on esb's own endpoint (AWS_ENDPOINT_URL_*, signed with
// SigV4; Lambda through its Invoke API), picks the integration response whose SelectionPattern
// matches the service's status (Lambda: a failed function's errorMessage), renders its template
// and sets its headers. The integration is in ESB_AWS_INTEGRATION (deploy/src/sam/aws-integrations.ts):
// {service, action | path | function (+ qualifier) | url, proxy?, httpMethod, requestTemplates, passthroughBehavior, requestParameters,
//  responses: [{selectionPattern?, statusCode, responseTemplates, responseParameters}], resourcePath}.
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { base64Decode, base64Encode, boundedVelocity, escapeJavaScript, Tool, urlDecode, urlEncode } from './velocity-java.mjs';

const integration = JSON.parse(process.env.ESB_AWS_INTEGRATION ?? '{}');

/** How each service is reached: its endpoint variable, SigV4 name, and for JSON protocols the target prefix and version. */
const SERVICES = {
  dynamodb: { endpoint: 'AWS_ENDPOINT_URL_DYNAMODB', json: { target: 'DynamoDB_20120810', version: '1.0' } },
  states: { endpoint: 'AWS_ENDPOINT_URL_SFN', json: { target: 'AWSStepFunctions', version: '1.0' } },
  events: { endpoint: 'AWS_ENDPOINT_URL_EVENTBRIDGE', json: { target: 'AWSEvents', version: '1.1' } },
  sns: { endpoint: 'AWS_ENDPOINT_URL_SNS' },
  sqs: { endpoint: 'AWS_ENDPOINT_URL_SQS' },
  kinesis: { endpoint: 'AWS_ENDPOINT_URL_KINESIS', json: { target: 'Kinesis_20131202', version: '1.1' } },
  s3: { endpoint: 'AWS_ENDPOINT_URL_S3', raw: true },
  lambda: { endpoint: 'AWS_ENDPOINT_URL_LAMBDA' },
  // Not AWS: an HTTP endpoint of the integration's URL, and API Gateway answering by itself.
  http: {},
  mock: {},
};
/** This integration's service; undefined for one esb does not emulate. */
const SERVICE = SERVICES[integration.service];

/** `$input.json` / `$input.path` over a body that is not JSON. */
class BodyNotJsonError extends Error {}

const answer = (statusCode, body, headers = {}) => ({ statusCode, headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const INTERNAL_ERROR = () => answer(500, { message: 'Internal server error' });

// ------------------------------------------------------------------ JSONPath

/** The steps of a JSONPath (`$.a.b[0]`, `$['a b']`, `$.items[*].id`, `$..id`); a path without `$` is taken from the root. */
function jsonPathSteps(expression) {
  let text = String(expression ?? '$').trim();
  if (!text.startsWith('$')) text = `$.${text}`;
  const steps = [];
  let i = 1;
  while (i < text.length) {
    if (text.startsWith('..', i)) {
      i += 2;
      const m = /^(\*|[^.[]+)/.exec(text.slice(i));
      if (!m) throw new Error(`JSONPath ${expression}: a name must follow ..`);
      steps.push({ deep: true, key: m[1] === '*' ? '*' : m[1] });
      i += m[1].length;
    } else if (text[i] === '.') {
      const m = /^(\*|[^.[]+)/.exec(text.slice(i + 1));
      if (!m) throw new Error(`JSONPath ${expression}: a name must follow .`);
      steps.push({ key: m[1] });
      i += 1 + m[1].length;
    } else if (text[i] === '[') {
      const end = text.indexOf(']', i);
      if (end < 0) throw new Error(`JSONPath ${expression}: [ is not closed`);
      const inner = text.slice(i + 1, end).trim();
      if (inner === '*') steps.push({ key: '*' });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^(['"]).*\1$/.test(inner)) steps.push({ key: inner.slice(1, -1) });
      else throw new Error(`JSONPath ${expression}: [${inner}] is not supported (names, indexes and * are)`);
      i = end + 1;
    } else throw new Error(`JSONPath ${expression}: unexpected ${JSON.stringify(text[i])}`);
  }
  return steps;
}

/** The value at a JSONPath: one value (undefined when absent), or a list when the path has * or ... */
function jsonPath(root, expression) {
  const steps = jsonPathSteps(expression);
  let nodes = [root];
  const children = (v) => (Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.values(v) : []);
  const pick = (v, step) => {
    if (step.index !== undefined) return Array.isArray(v) ? [v.at(step.index)].filter((x) => x !== undefined) : [];
    if (step.key === '*') return children(v);
    return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, step.key) ? [v[step.key]] : [];
  };
  for (const step of steps) {
    const next = [];
    for (const node of nodes) {
      if (!step.deep) {
        next.push(...pick(node, step));
        continue;
      }
      const walk = [node];
      while (walk.length) {
        const v = walk.shift();
        next.push(...pick(v, step));
        walk.push(...children(v));
      }
    }
    nodes = next;
  }
  return steps.some((s) => s.deep || s.key === '*') ? nodes : nodes[0];
}

// ------------------------------------------------------------------ the template variables

const headerOf = (headers, name) => {
  const wanted = String(name).toLowerCase();
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : headers[key];
};

/** $input: a body (the request's, or the service's answer) and the request's parameters. */
class Input extends Tool {
  #parsed;
  constructor(body, request) {
    super();
    this.body = body;
    this.request = request;
  }
  #root() {
    if (this.#parsed === undefined) {
      if (this.body.trim() === '') this.#parsed = { value: {} };
      else {
        try {
          this.#parsed = { value: JSON.parse(this.body) };
        } catch (err) {
          throw new BodyNotJsonError(err.message);
        }
      }
    }
    return this.#parsed.value;
  }
  path(expression) {
    const v = jsonPath(this.#root(), expression);
    return v === undefined ? '' : v;
  }
  json(expression) {
    const v = jsonPath(this.#root(), expression);
    return v === undefined ? '' : JSON.stringify(v);
  }
  params(name) {
    const { path, querystring, header } = this.request;
    if (name === undefined) return { path: { ...path }, querystring: { ...querystring }, header: { ...header } };
    return path[name] ?? querystring[name] ?? headerOf(header, name) ?? '';
  }
}

class Util extends Tool {
  escapeJavaScript(value) {
    return escapeJavaScript(value);
  }
  parseJson(text) {
    return JSON.parse(String(text));
  }
  /** URLEncoder.encode: spaces as +, only letters, digits and . - * _ kept. */
  urlEncode(value) {
    return urlEncode(value);
  }
  urlDecode(value) {
    return urlDecode(value);
  }
  base64Encode(value) {
    return base64Encode(value);
  }
  base64Decode(value) {
    return base64Decode(value);
  }
}
const UTIL = new Util();

// ------------------------------------------------------------------ rendering, bounded

/** The bounded Velocity compiler (velocity-java.mjs), made at the first template. */
let engine;
const loadEngine = () => (engine ??= boundedVelocity('API Gateway').then((render) => ({ render })));

// ------------------------------------------------------------------ the request

/** What the REST proxy event says of the request, as templates and parameter mappings read it. */
function requestOf(event) {
  const body = event.body == null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const rc = event.requestContext ?? {};
  return {
    body,
    path: { ...(event.pathParameters ?? {}) },
    querystring: { ...(event.queryStringParameters ?? {}) },
    header: { ...(event.headers ?? {}) },
    multiQuerystring: event.multiValueQueryStringParameters ?? {},
    multiHeader: event.multiValueHeaders ?? {},
    stageVariables: { ...(event.stageVariables ?? {}) },
    context: {
      ...rc,
      httpMethod: rc.httpMethod ?? event.httpMethod,
      resourcePath: rc.resourcePath ?? integration.resourcePath,
      identity: { ...(rc.identity ?? {}) },
      authorizer: { ...(rc.authorizer ?? {}) },
    },
  };
}

/** A media type without its parameters, lower-cased. */
const mediaType = (value) => (typeof value === 'string' && value.trim() !== '' ? value.split(';')[0].trim().toLowerCase() : undefined);

/** A dotted name under an object (`identity.sourceIp`). */
const dotted = (root, name) => name.split('.').reduce((v, k) => (v !== null && typeof v === 'object' && Object.hasOwn(v, k) ? v[k] : undefined), root);

const asText = (v) => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** The value at a JSONPath of a JSON text, as text; undefined when the text is not JSON (or the path not supported). */
function jsonPathText(text, path) {
  try {
    return asText(jsonPath(JSON.parse(text), path));
  } catch {
    return undefined;
  }
}

/** The value of a source both mappings take: a 'literal', context.<name> or stageVariables.<name>; undefined otherwise. */
function commonParameter(source, request) {
  if (source.startsWith("'")) return source.slice(1, -1);
  let m = /^context\.(.+)$/.exec(source);
  if (m) return asText(dotted(request.context, m[1]));
  if ((m = /^stageVariables\.(.+)$/.exec(source))) return request.stageVariables[m[1]];
  return undefined;
}

/** The value of a RequestParameters source for this request; undefined when the request has none. */
function requestParameter(source, request) {
  let m = /^method\.request\.(path|querystring|header|multivaluequerystring|multivalueheader)\.(.+)$/.exec(source);
  if (m) {
    const [, where, name] = m;
    if (where === 'path') return request.path[name];
    if (where === 'querystring') return request.querystring[name];
    if (where === 'header') return headerOf(request.header, name);
    const values = where === 'multivalueheader' ? headerOf(request.multiHeader, name) : request.multiQuerystring[name];
    return Array.isArray(values) ? values.join(',') : undefined;
  }
  if (source === 'method.request.body') return request.body;
  if ((m = /^method\.request\.body\.(.+)$/.exec(source))) return jsonPathText(request.body || '{}', m[1]);
  return commonParameter(source, request);
}

/** RequestParameters as [kind, name, source], read once: a target that is not integration.request.header|querystring|path.<name> is left out. */
const REQUEST_PARAMETERS = Object.entries(integration.requestParameters ?? {}).flatMap(([target, source]) => {
  const m = /^integration\.request\.(header|querystring|path)\.(.+)$/.exec(target);
  return m ? [[m[1], m[2], source]] : [];
});

/** The integration request's parameters as RequestParameters map them from this request (a source it lacks is left out). */
function mappedParameters(request) {
  const params = { header: {}, querystring: {}, path: {} };
  for (const [kind, name, source] of REQUEST_PARAMETERS) {
    const value = requestParameter(source, request);
    if (value !== undefined) params[kind][name] = value;
  }
  return params;
}

/** The template for the request's content type, 'passthrough', or 'unsupported' (415), as PassthroughBehavior says. */
function requestTemplate(request) {
  const templates = integration.requestTemplates ?? {};
  const type = mediaType(headerOf(request.header, 'content-type')) ?? 'application/json';
  const key = Object.keys(templates).find((k) => k.toLowerCase() === type);
  if (key !== undefined) return templates[key] === '' ? 'passthrough' : { text: templates[key] };
  const behavior = integration.passthroughBehavior ?? 'WHEN_NO_MATCH';
  if (behavior === 'WHEN_NO_MATCH' || (behavior === 'WHEN_NO_TEMPLATES' && Object.keys(templates).length === 0)) return 'passthrough';
  return 'unsupported';
}

// ------------------------------------------------------------------ the call

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();
const rfc3986 = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Signature Version 4 headers for a request (esb's servers take any key, but tell SNS from SQS by the signature's service). */
function signed(method, url, headers, body, service) {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const accessKey = process.env.AWS_ACCESS_KEY_ID || 'local';
  const secret = process.env.AWS_SECRET_ACCESS_KEY || 'local';
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = now.slice(0, 8);
  const out = { ...headers, host: url.host, 'x-amz-date': now };
  if (process.env.AWS_SESSION_TOKEN) out['x-amz-security-token'] = process.env.AWS_SESSION_TOKEN;
  const names = Object.keys(out).sort();
  const query = [...url.searchParams].map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).sort().join('&');
  const canonical = [method, url.pathname || '/', query, names.map((n) => `${n}:${String(out[n]).trim().replace(/\s+/g, ' ')}\n`).join(''), names.join(';'), sha256(body)].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  let key = hmac(`AWS4${secret}`, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(['AWS4-HMAC-SHA256', now, scope, sha256(canonical)].join('\n')).digest('hex');
  out.authorization = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return out;
}

/** API Gateway's limit on an integration's answer (10 MB): a bigger one is not read on. */
const MAX_ANSWER_BYTES = 10 * 1024 * 1024;

/** One HTTP exchange; resolves with the status, lower-cased headers, raw header pairs and body bytes. */
function exchangeBytes(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, { method, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (c) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) {
          req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One HTTP exchange; resolves with the status, lower-cased headers and body text. */
async function exchange(method, url, headers, body) {
  const reply = await exchangeBytes(method, url, headers, body);
  return { ...reply, body: reply.body.toString('utf8') };
}

/** A path parameter's value in a URL: each segment encoded, the slashes of a greedy path kept (an S3 key's, a proxied path's). */
const encodedPath = (value) => String(value ?? '').split('/').map(encodeURIComponent).join('/');

/** The integration's URL with `{name}` (and `{name+}`) filled from the path parameters. */
function integrationUrl(path) {
  return new URL(integration.url.replace(/\{([^}+]+)\+?\}/g, (_, name) => encodedPath(path[name])));
}

/** Headers that belong to one hop (RFC 9110 7.6.1), never passed on. */
const HOP_BY_HOP = /^(connection|keep-alive|proxy-connection|transfer-encoding|te|trailer|upgrade|host|content-length)$/i;

/** A MOCK integration's "call": the status its request template names (`{"statusCode": 404}`), else 200, and no body. */
function mockReply(body) {
  let status = 200;
  try {
    const doc = JSON.parse(body);
    const n = Number(doc?.statusCode);
    if (Number.isInteger(n) && n >= 100 && n <= 599) status = n;
  } catch {}
  return { status, headers: {}, body: '' };
}

/** An HTTP integration's call: the rendered body to the URL, with the mapped parameters, unsigned. */
async function callHttp(body, params, request) {
  const url = integrationUrl(params.path);
  if (integration.qualifier !== undefined) url.searchParams.set('Qualifier', integration.qualifier);
  for (const [name, value] of Object.entries(params.querystring)) url.searchParams.set(name, value);
  const headers = {};
  for (const [name, value] of Object.entries(params.header)) if (!HOP_BY_HOP.test(name)) headers[name.toLowerCase()] = value;
  const method = integration.httpMethod === 'ANY' ? request.context.httpMethod : integration.httpMethod;
  headers['content-type'] ??= headerOf(request.header, 'content-type') ?? 'application/json';
  const sent = method === 'GET' || method === 'HEAD' ? '' : body;
  return exchange(method, url, headers, sent);
}

/** The service call the integration request describes, made on esb's endpoint for the service. */
async function callService(body, params, request) {
  if (integration.service === 'mock') return mockReply(body);
  if (integration.service === 'http') return callHttp(body, params, request);
  const endpoint = process.env[SERVICE.endpoint] ?? process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error(`no ${SERVICE.endpoint} (the ${integration.service} endpoint) in the function's environment`);
  let path = '/';
  if (integration.function !== undefined) path += `2015-03-31/functions/${encodeURIComponent(integration.function)}/invocations`;
  else if (integration.path !== undefined) path += integration.path.replace(/^\/+/, '').replace(/\{([^}+]+)\+?\}/g, (_, name) => encodedPath(params.path[name]));
  const url = new URL(path, endpoint.replace(/\/*$/, '/'));
  if (!SERVICE.json && integration.action) url.searchParams.set('Action', integration.action);
  if (integration.qualifier !== undefined) url.searchParams.set('Qualifier', integration.qualifier);
  for (const [name, value] of Object.entries(params.querystring)) url.searchParams.set(name, value);
  const headers = {};
  for (const [name, value] of Object.entries(params.header)) if (!/^(host|content-length|authorization|x-amz-date)$/i.test(name)) headers[name.toLowerCase()] = value;
  if (SERVICE.json) {
    headers['content-type'] = `application/x-amz-json-${SERVICE.json.version}`;
    headers['x-amz-target'] = `${SERVICE.json.target}.${integration.action}`;
  } else headers['content-type'] ??= integration.service === 'lambda' || integration.service === 's3' ? 'application/json' : 'application/x-www-form-urlencoded';
  const method = integration.httpMethod ?? 'POST';
  const sent = method === 'GET' || method === 'HEAD' ? '' : body;
  // S3 wants the payload's hash among the signed headers.
  if (integration.service === 's3') headers['x-amz-content-sha256'] = sha256(sent);
  const reply = await exchange(method, url, signed(method, url, headers, sent, integration.service), sent);
  // Query-protocol services answer XML; API Gateway's callers get their JSON form unless they ask for XML.
  if (!SERVICE.json && !SERVICE.raw && /xml/.test(String(reply.headers['content-type'] ?? '')) && !/xml/.test(headers.accept ?? '')) {
    try {
      reply.body = JSON.stringify(xmlToJson(reply.body));
      reply.headers['content-type'] = 'application/json';
    } catch {}
  }
  return reply;
}

const ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const unescapeXml = (s) => s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (all, e) => (e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e] ?? all)));

/**
 * A query-protocol answer as the service's JSON form: `{"SendMessageResponse": {"SendMessageResult": {...}, ...}}`,
 * an element of text as its text, repeated elements as a list; an `<ErrorResponse>` as its `{"Error": ..., "RequestId": ...}`.
 */
function xmlToJson(xml) {
  const root = { name: '', children: [], text: '' };
  const stack = [root];
  const tokens = /<\?[^]*?\?>|<!--[^]*?-->|<!\[CDATA\[([^]*?)\]\]>|<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>|([^<]+)/g;
  for (let m = tokens.exec(xml); m; m = tokens.exec(xml)) {
    const [, cdata, closing, name, selfClosing, text] = m;
    const top = stack[stack.length - 1];
    if (cdata !== undefined) top.text += cdata;
    else if (text !== undefined) top.text += unescapeXml(text);
    else if (name !== undefined && closing) {
      if (top.name !== name || stack.length === 1) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
    } else if (name !== undefined) {
      const node = { name, children: [], text: '' };
      top.children.push(node);
      if (!selfClosing) stack.push(node);
    }
  }
  if (stack.length !== 1 || root.children.length !== 1) throw new Error('not one XML document');
  const value = (node) => {
    if (node.children.length === 0) return node.text;
    const out = {};
    for (const child of node.children) {
      const v = value(child);
      out[child.name] = Object.hasOwn(out, child.name) ? [].concat(out[child.name], [v]) : v;
    }
    return out;
  };
  const [doc] = root.children;
  return doc.name === 'ErrorResponse' ? value(doc) : { [doc.name]: value(doc) };
}

// ------------------------------------------------------------------ the answer

/** The integration responses, each SelectionPattern compiled once (to match a selector whole). */
const RESPONSES = (integration.responses ?? []).map((r) => ({ ...r, selector: r.selectionPattern === undefined ? undefined : new RegExp(`^(?:${r.selectionPattern})$`) }));

/**
 * The integration response for `selector` (the service's status; a failed function's
 * errorMessage): the first whose SelectionPattern matches it whole, else the default. No
 * selector (a function that succeeded): the default.
 */
function responseMatching(selector) {
  const matched = selector === undefined ? undefined : RESPONSES.find((r) => r.selector?.test(selector));
  return matched ?? RESPONSES.find((r) => r.selectionPattern === undefined);
}

/**
 * The integration response for a function's answer, as API Gateway picks it for Lambda custom
 * integrations: a failed function's errorMessage is matched against the patterns; a success
 * takes the default response.
 */
function lambdaResponseFor(reply) {
  if (reply.headers['x-amz-function-error'] === undefined) return responseMatching(undefined);
  let message = '';
  try {
    const doc = JSON.parse(reply.body);
    if (doc !== null && typeof doc === 'object' && doc.errorMessage !== undefined && doc.errorMessage !== null) message = String(doc.errorMessage);
  } catch {}
  return responseMatching(message);
}

/** The response template for the caller's Accept: the type it asks for, else application/json, else the first. */
function responseTemplate(templates, accept) {
  const keys = Object.keys(templates);
  const wanted = String(accept ?? '').split(',').map(mediaType).filter(Boolean);
  const key = wanted.map((w) => keys.find((k) => k.toLowerCase() === w)).find((k) => k !== undefined) ?? keys.find((k) => k.toLowerCase() === 'application/json') ?? keys[0];
  return key === undefined || templates[key] === '' ? undefined : { type: key, text: templates[key] };
}

/** The value of a ResponseParameters source; undefined when there is none. */
function responseParameter(source, reply, request) {
  let m = /^integration\.response\.(?:header|multivalueheader)\.(.+)$/.exec(source);
  if (m) return asText(headerOf(reply.headers, m[1]));
  if (source === 'integration.response.body') return reply.body;
  if ((m = /^integration\.response\.body\.(.+)$/.exec(source))) return jsonPathText(reply.body, m[1]);
  return commonParameter(source, request);
}

const variables = (input, request, context) => ({ input, util: UTIL, context, stageVariables: request.stageVariables });

/**
 * HTTP_PROXY: the request as it came (a REST 1.0 or an HTTP API 2.0 event) to the integration's
 * URL, and the endpoint's answer back as it is: status, headers (but those of one hop) and body,
 * as text when it is UTF-8, else base64 (which REST APIs turn back into bytes only for their
 * binary media types, as API Gateway does).
 */
async function proxy(event, request) {
  const v2 = event.version === '2.0';
  const params = mappedParameters(request);
  const url = integrationUrl({ ...request.path, ...params.path });
  if (v2) {
    if (event.rawQueryString) url.search = event.rawQueryString;
  } else {
    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) for (const v of values ?? []) url.searchParams.append(name, v);
  }
  if (integration.qualifier !== undefined) url.searchParams.set('Qualifier', integration.qualifier);
  for (const [name, value] of Object.entries(params.querystring)) url.searchParams.set(name, value);
  const headers = {};
  const incoming = v2 ? event.headers ?? {} : Object.fromEntries(Object.entries(event.multiValueHeaders ?? {}).map(([k, v]) => [k, (v ?? []).join(', ')]));
  for (const [name, value] of Object.entries(incoming)) if (!HOP_BY_HOP.test(name)) headers[name.toLowerCase()] = value;
  if (v2 && Array.isArray(event.cookies) && event.cookies.length) headers.cookie = event.cookies.join('; ');
  for (const [name, value] of Object.entries(params.header)) if (!HOP_BY_HOP.test(name)) headers[name.toLowerCase()] = value;
  const method = integration.httpMethod === 'ANY' ? (v2 ? event.requestContext?.http?.method : event.httpMethod) : integration.httpMethod;
  const body = event.body == null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  let reply;
  try {
    reply = await exchangeBytes(method, url, headers, method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : body);
  } catch (err) {
    console.error(`HTTP_PROXY ${method} ${url.origin}${url.pathname}: ${err?.message ?? err}`);
    return INTERNAL_ERROR();
  }
  const text = reply.body.toString('utf8');
  const binary = !Buffer.from(text, 'utf8').equals(reply.body);
  const out = { statusCode: reply.status, body: binary ? reply.body.toString('base64') : text, isBase64Encoded: binary };
  const pairs = [];
  for (let i = 0; i + 1 < reply.rawHeaders.length; i += 2) if (!HOP_BY_HOP.test(reply.rawHeaders[i])) pairs.push([reply.rawHeaders[i].toLowerCase(), reply.rawHeaders[i + 1]]);
  if (v2) {
    out.headers = {};
    out.cookies = [];
    for (const [name, value] of pairs) {
      if (name === 'set-cookie') out.cookies.push(value);
      else out.headers[name] = out.headers[name] === undefined ? value : `${out.headers[name]}, ${value}`;
    }
  } else {
    out.multiValueHeaders = {};
    for (const [name, value] of pairs) (out.multiValueHeaders[name] ??= []).push(value);
  }
  return out;
}

export const handler = async (event) => {
  if (integration.proxy) return proxy(event, requestOf(event));
  if (!SERVICE) {
    console.error(`esb does not emulate AWS integrations with ${integration.service}`);
    return INTERNAL_ERROR();
  }
  const request = requestOf(event);
  const where = `${integration.service} ${integration.action ?? integration.path ?? integration.function ?? integration.url ?? ''} (${event.httpMethod ?? request.context.httpMethod} ${integration.resourcePath})`;
  const velocity = await loadEngine();

  // The integration request: the body as its template makes it, and its parameters.
  const chosen = requestTemplate(request);
  if (chosen === 'unsupported') return answer(415, { message: 'Unsupported Media Type' });
  const requestContext = { ...request.context, requestOverride: { header: {}, querystring: {}, path: {} } };
  let body = request.body;
  if (chosen !== 'passthrough') {
    try {
      body = velocity.render(chosen.text, variables(new Input(request.body, request), request, requestContext));
    } catch (err) {
      if (err instanceof BodyNotJsonError) return answer(400, { message: `Could not parse request body into json: ${err.message}` });
      console.error(`${where}: the request template failed: ${err?.message ?? err}`);
      return INTERNAL_ERROR();
    }
  }
  const params = mappedParameters(request);
  for (const kind of ['header', 'querystring', 'path']) {
    for (const [name, value] of Object.entries(requestContext.requestOverride[kind] ?? {})) if (value !== undefined && value !== null) params[kind][name] = String(value);
  }

  let reply;
  try {
    reply = await callService(body, params, request);
  } catch (err) {
    console.error(`${where}: the call failed: ${err?.message ?? err}`);
    return INTERNAL_ERROR();
  }

  // Lambda itself refusing the call (not JSON, throttled, no such function) is no function answer: API Gateway's 500.
  if (integration.service === 'lambda' && (reply.status < 200 || reply.status > 299)) {
    console.error(`${where}: Lambda invocation failed with status ${reply.status}: ${reply.body.slice(0, 500)}`);
    return INTERNAL_ERROR();
  }

  // The method response: the integration response for the service's status, rendered.
  const response = integration.service === 'lambda' ? lambdaResponseFor(reply) : responseMatching(String(reply.status));
  if (!response) {
    console.error(`${where}: no match for output mapping and no default output mapping configured; the service answered ${reply.status}: ${reply.body.slice(0, 500)}`);
    return INTERNAL_ERROR();
  }
  const responseContext = { ...request.context, responseOverride: { header: {} } };
  const template = responseTemplate(response.responseTemplates ?? {}, headerOf(request.header, 'accept'));
  let out = reply.body;
  const headers = { 'content-type': template?.type ?? 'application/json' };
  if (template) {
    try {
      out = velocity.render(template.text, variables(new Input(reply.body, request), request, responseContext));
    } catch (err) {
      console.error(`${where}: the response template failed: ${err?.message ?? err}`);
      return INTERNAL_ERROR();
    }
  }
  for (const [target, source] of Object.entries(response.responseParameters ?? {})) {
    const value = responseParameter(source, reply, request);
    if (value !== undefined) headers[target.slice('method.response.header.'.length).toLowerCase()] = value;
  }
  for (const [name, value] of Object.entries(responseContext.responseOverride.header ?? {})) if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
  const override = Number(responseContext.responseOverride.status);
  const status = Number.isInteger(override) && override >= 100 && override <= 599 ? override : response.statusCode;
  return { statusCode: status, headers, body: out, isBase64Encoded: false };
};
