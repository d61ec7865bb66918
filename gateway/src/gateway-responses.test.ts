import { describe, expect, it } from 'vitest';
import { compileGatewayResponses, customizedAnswer, type AnsweredRequest } from './gateway-responses.js';

const request = (over: Partial<AnsweredRequest> = {}): AnsweredRequest => ({
  headers: { origin: 'http://app.example', accept: 'application/json', 'x-tenant': 'acme' },
  rawQueryString: 'lang=fr&x=1',
  pathParameters: { id: '42' },
  stageVariables: { realm: 'notes' },
  context: { requestId: 'req-1', httpMethod: 'GET', path: '/v1/items/42', identity: { sourceIp: '10.0.0.9' } },
  ...over,
});
const body = (o: unknown) => Buffer.from(JSON.stringify(o));
const compile = (config: Parameters<typeof compileGatewayResponses>[1]) => {
  const warnings: string[] = [];
  return { table: compileGatewayResponses('Api', config, (m) => warnings.push(m)), warnings };
};

describe('gateway responses', () => {
  it('leave an answer alone when neither its type nor its class is customized', () => {
    const { table } = compile({ DEFAULT_5XX: { headers: { 'X-A': "'1'" }, templates: {} } });
    expect(customizedAnswer(table, 'UNAUTHORIZED', 401, body({ message: 'Unauthorized' }), request())).toBeUndefined();
  });

  it("use the type's own response, else its class's; a class status code applies to the class", () => {
    const { table } = compile({
      DEFAULT_4XX: { status_code: 400, headers: { 'X-From': "'default'" }, templates: {} },
      UNAUTHORIZED: { headers: { 'X-From': "'unauthorized'" }, templates: {} },
      ACCESS_DENIED: { status_code: 404, headers: {}, templates: {} },
    });
    const unauthorized = customizedAnswer(table, 'UNAUTHORIZED', 401, body({ message: 'Unauthorized' }), request())!;
    expect([unauthorized.status, unauthorized.headers]).toEqual([400, { 'X-From': 'unauthorized' }]);
    expect(unauthorized.body.toString()).toBe('{"message":"Unauthorized"}');
    expect(customizedAnswer(table, 'ACCESS_DENIED', 403, body({ Message: 'no' }), request())!.status).toBe(404);
    const token = customizedAnswer(table, 'MISSING_AUTHENTICATION_TOKEN', 403, body({ message: 'Missing Authentication Token' }), request())!;
    expect([token.status, token.headers]).toEqual([400, { 'X-From': 'default' }]);
    expect(customizedAnswer(table, 'INTEGRATION_TIMEOUT', 504, body({ message: 'Endpoint request timed out' }), request())).toBeUndefined();
  });

  it('take header values from literals, the request, stage variables and the context; an absent one is left out', () => {
    const { table } = compile({
      DEFAULT_4XX: {
        headers: {
          'Access-Control-Allow-Origin': 'method.request.header.Origin',
          'X-Tenant': 'method.request.header.X-Tenant',
          'X-Lang': 'method.request.querystring.lang',
          'X-Id': 'method.request.path.id',
          'X-Realm': 'stageVariables.realm',
          'X-Request': 'context.requestId',
          'X-Ip': 'context.identity.sourceIp',
          'X-Type': 'context.error.responseType',
          'X-Literal': "'a, \"quoted\" value'",
          'X-Missing': 'method.request.header.X-Nope',
          'X-Object': 'context.identity',
        },
        templates: {},
      },
    });
    expect(customizedAnswer(table, 'UNAUTHORIZED', 401, body({ message: 'Unauthorized' }), request())!.headers).toEqual({
      'Access-Control-Allow-Origin': 'http://app.example',
      'X-Tenant': 'acme',
      'X-Lang': 'fr',
      'X-Id': '42',
      'X-Realm': 'notes',
      'X-Request': 'req-1',
      'X-Ip': '10.0.0.9',
      'X-Type': 'UNAUTHORIZED',
      'X-Literal': 'a, "quoted" value',
    });
  });

  it("render the body template with the error, context, stage variables and $util, picked by Accept", () => {
    const { table } = compile({
      DEFAULT_5XX: {
        headers: {},
        templates: {
          'application/json': '{"error": $context.error.messageString, "type": "$context.error.responseType", "at": "$context.path", "realm": "$stageVariables.realm"#if($context.error.message == "")#else, "raw": "$util.escapeJavaScript($context.error.message)"#end}',
          'text/plain': 'failed: $context.error.message ($context.requestId)',
        },
      },
    });
    const json = customizedAnswer(table, 'INTEGRATION_TIMEOUT', 504, body({ message: 'Endpoint "request" timed out' }), request())!;
    expect(json.status).toBe(504);
    expect(json.headers['content-type']).toBe('application/json');
    expect(JSON.parse(json.body.toString())).toEqual({ error: 'Endpoint "request" timed out', type: 'INTEGRATION_TIMEOUT', at: '/v1/items/42', realm: 'notes', raw: 'Endpoint "request" timed out' });
    // A null message (an authorizer that failed) is JSON null, as API Gateway renders it.
    const failed = customizedAnswer(table, 'AUTHORIZER_CONFIGURATION_ERROR', 500, body({ message: null }), request())!;
    expect(JSON.parse(failed.body.toString())).toEqual({ error: null, type: 'AUTHORIZER_CONFIGURATION_ERROR', at: '/v1/items/42', realm: 'notes' });
    const text = customizedAnswer(table, 'DEFAULT_5XX', 502, body({ message: 'Internal server error' }), request({ headers: { accept: 'text/html, text/plain;q=0.9' } }))!;
    expect([text.headers['content-type'], text.body.toString()]).toEqual(['text/plain', 'failed: Internal server error (req-1)']);
  });

  it('leave out a template that does not parse, saying which', () => {
    const { table, warnings } = compile({ DEFAULT_4XX: { headers: { 'X-A': "'1'" }, templates: { 'application/json': '#if(' } } });
    expect(warnings).toEqual([expect.stringMatching(/^api "Api": gateway response DEFAULT_4XX, template for application\/json: .* \(not used\)$/)]);
    const answer = customizedAnswer(table, 'UNAUTHORIZED', 401, body({ message: 'Unauthorized' }), request())!;
    expect([answer.headers, answer.body.toString()]).toEqual([{ 'X-A': '1' }, '{"message":"Unauthorized"}']);
  });
});
