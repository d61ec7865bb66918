import { describe, expect, it } from 'vitest';
import { corsPreflightAuthFor, functionNameFromArn, readApiAuth, routeAuthFor } from './auth.js';

const arn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

describe('readApiAuth (REST)', () => {
  it('reads TOKEN and REQUEST Lambda authorizers and the default authorizer', () => {
    const warnings: string[] = [];
    const model = readApiAuth(
      {
        DefaultAuthorizer: 'TokenAuth',
        Authorizers: {
          TokenAuth: { FunctionArn: arn('auth-fn'), Identity: { Header: 'X-Token', ValidationExpression: 'Bearer .*', ReauthorizeEvery: 60 } },
          ReqAuth: { FunctionPayloadType: 'REQUEST', FunctionArn: arn('req-fn'), Identity: { Headers: ['X-A'], QueryStrings: ['q'] } },
          Cognito: { UserPoolArn: ['arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123', 'Pool.Arn'], Identity: { Header: 'X-Id-Token' } },
          Known: { UserPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Xyz' },
        },
      },
      'rest',
      (m) => warnings.push(m),
    );
    expect(model.defaultAuthorizer).toBe('TokenAuth');
    expect(model.authorizers.TokenAuth).toEqual({ type: 'token', function: 'auth-fn', identity_source: 'method.request.header.X-Token', validation_expression: 'Bearer .*', ttl_seconds: 60 });
    expect(model.authorizers.ReqAuth).toEqual({
      type: 'request',
      function: 'req-fn',
      identity_sources: ['method.request.header.X-A', 'method.request.querystring.q'],
      ttl_seconds: 300,
      payload_format_version: '1.0',
      simple_responses: false,
    });
    // A pool named by ARN has a known issuer; one of the template (its ARN unknown here) takes any user pool issuer, said once.
    expect(model.authorizers.Cognito).toEqual({ type: 'cognito', identity_source: 'method.request.header.X-Id-Token', issuers: ['https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123'], template_pools: true });
    expect(model.authorizers.Known).toEqual({ type: 'cognito', identity_source: 'method.request.header.Authorization', issuers: ['https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Xyz'], template_pools: false });
    expect(warnings).toEqual([expect.stringMatching(/^Auth\.Authorizers\.Cognito: the user pool is made by this template/)]);
  });

  it('names the API key SAM makes for a usage plan, whose value esb cannot know', () => {
    for (const [plan, warned] of [['PER_API', 1], ['SHARED', 1], ['NONE', 0]] as const) {
      const warnings: string[] = [];
      readApiAuth({ ApiKeyRequired: true, UsagePlan: { CreateUsagePlan: plan } }, 'rest', (m) => warnings.push(m));
      expect(warnings.filter((w) => w.startsWith('Auth.UsagePlan: the API key SAM creates')), plan).toHaveLength(warned);
    }
  });

  it('names the field of bad input', () => {
    expect(() => readApiAuth({ Authorizers: { A: { FunctionArn: 'not-an-arn' } } }, 'rest', () => {})).toThrow(/FunctionArn/);
    expect(() => readApiAuth({ DefaultAuthorizer: 'Missing', Authorizers: {} }, 'rest', () => {})).toThrow(/DefaultAuthorizer/);
    expect(() => readApiAuth({ Authorizers: { J: { JwtConfiguration: { issuer: 'x' } } } }, 'rest', () => {})).toThrow(/HTTP APIs/);
    expect(() => readApiAuth({ Authorizers: { A: { FunctionArn: arn('f'), Identity: { ReauthorizeEvery: 99999 } } } }, 'rest', () => {})).toThrow(/ReauthorizeEvery/);
  });
});

describe('corsPreflightAuthFor', () => {
  const read = (auth: Record<string, unknown>) =>
    readApiAuth({ Authorizers: { Pool: { UserPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Xyz', AuthorizationScopes: ['items/read'] } }, ...auth }, 'rest', () => {});

  it("gives the OPTIONS methods of Cors the API's default authorizer (with its scopes) and API key, as SAM does unless told not to", () => {
    expect(corsPreflightAuthFor(read({ DefaultAuthorizer: 'Pool', ApiKeyRequired: true }))).toEqual({ authorizer: 'Pool', api_key_required: true, scopes: ['items/read'] });
    expect(corsPreflightAuthFor(read({ DefaultAuthorizer: 'Pool', ApiKeyRequired: true, AddDefaultAuthorizerToCorsPreflight: false }))).toEqual({ api_key_required: true });
    expect(corsPreflightAuthFor(read({ DefaultAuthorizer: 'AWS_IAM', AddApiKeyRequiredToCorsPreflight: false, ApiKeyRequired: true }))).toEqual({ authorizer: 'AWS_IAM' });
    expect(corsPreflightAuthFor(read({ DefaultAuthorizer: 'Pool', AddDefaultAuthorizerToCorsPreflight: 'false' }))).toBeUndefined();
    expect(corsPreflightAuthFor(read({}))).toBeUndefined();
  });

  it('names the field when a flag is not a boolean', () => {
    expect(() => read({ AddDefaultAuthorizerToCorsPreflight: 'no' })).toThrow(/Auth\.AddDefaultAuthorizerToCorsPreflight.*must be true or false, not "no"/);
  });
});

describe('readApiAuth (HTTP)', () => {
  it('reads JWT authorizers with default scopes, and Lambda authorizers with payload 2.0 and simple responses', () => {
    const model = readApiAuth(
      {
        DefaultAuthorizer: 'OAuth2',
        Authorizers: {
          OAuth2: { JwtConfiguration: { issuer: 'https://issuer.test', audience: ['api'] }, IdentitySource: '$request.header.Authorization', AuthorizationScopes: ['read'] },
          Lam: { FunctionArn: arn('lam'), Identity: { Headers: ['Authorization'] }, EnableSimpleResponses: true },
        },
      },
      'http',
      () => {},
    );
    expect(model.authorizers.OAuth2).toEqual({ type: 'jwt', identity_source: '$request.header.Authorization', issuer: 'https://issuer.test', audience: ['api'] });
    expect(model.authorizers.Lam).toMatchObject({ type: 'request', identity_sources: ['$request.header.Authorization'], payload_format_version: '2.0', simple_responses: true });
    expect(routeAuthFor(model, undefined)).toEqual({ authorizer: 'OAuth2', scopes: ['read'] });
    expect(routeAuthFor(model, { AuthorizationScopes: ['write'] })).toEqual({ authorizer: 'OAuth2', scopes: ['write'] });
  });
});

describe('routeAuthFor', () => {
  const api = readApiAuth({ DefaultAuthorizer: 'T', ApiKeyRequired: true, Authorizers: { T: { FunctionArn: arn('t') }, U: { FunctionArn: arn('u') } } }, 'rest', () => {});
  it('applies the default authorizer and API key requirement, lets events override or opt out', () => {
    expect(routeAuthFor(api, undefined)).toEqual({ authorizer: 'T', api_key_required: true });
    expect(routeAuthFor(api, { Authorizer: 'U', ApiKeyRequired: false })).toEqual({ authorizer: 'U' });
    expect(routeAuthFor(api, { Authorizer: 'NONE', ApiKeyRequired: false })).toBeUndefined();
    expect(() => routeAuthFor(api, { Authorizer: 'Nope' })).toThrow(/Nope/);
  });
  it('AWS_IAM as the default or an event\'s authorizer: routes that take signed requests only', () => {
    const iam = readApiAuth({ DefaultAuthorizer: 'AWS_IAM' }, 'rest', () => {});
    expect(routeAuthFor(iam, undefined)).toEqual({ authorizer: 'AWS_IAM' });
    expect(routeAuthFor(iam, { Authorizer: 'NONE' })).toBeUndefined();
    expect(routeAuthFor(api, { Authorizer: 'AWS_IAM', ApiKeyRequired: false })).toEqual({ authorizer: 'AWS_IAM' });
  });

  it('parses function names out of ARNs, aliases included', () => {
    expect(functionNameFromArn(`${arn('fn-1')}:live`)).toBe('fn-1');
    expect(functionNameFromArn('arn:aws:s3:::bucket')).toBeUndefined();
  });
});
