// Application Load Balancers read into routing.yml `load_balancers` (docs/gateway.md
// "Application Load Balancers"): listeners, rules in priority order, actions, conditions, Lambda
// target groups; what !Ref and !GetAtt give; warnings and errors naming the resource and field.
import { describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_ID } from '@esb/contracts';
import { renderArtifact } from '../generate/render.js';
import { parseSamTemplate } from './template.js';
import { templateErrorOf } from './testkit.js';

const BASE = `
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: index.handler, InlineCode: "def handler(e, c): pass", Environment: {Variables: {HOST: !GetAtt Lb.DNSName, TG: !Ref Tg}}}
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Subnets: [a, b]}
  Tg:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      TargetType: lambda
      Targets: [{Id: !GetAtt Fn.Arn}]
      TargetGroupAttributes: [{Key: lambda.multi_value_headers.enabled, Value: true}]
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Lb
      Port: 80
      Protocol: HTTP
      DefaultActions: [{Type: fixed-response, FixedResponseConfig: {StatusCode: '404', MessageBody: nope}}]
`;
const parse = (extra = '') => parseSamTemplate(`Transform: AWS::Serverless-2016-10-31\nResources:${BASE}${extra}`, { file: 't.yml', stackName: 'shop' });
const failure = (extra: string) => {
  const err = templateErrorOf(() => parse(extra));
  return [err.logicalId, err.field, err.reason];
};
const TG_ARN = /^arn:aws:elasticloadbalancing:us-east-1:\d{12}:targetgroup\/shop-tg\/[0-9a-f]{16}$/;

describe('load balancers of a template', () => {
  it('reads listeners, rules by priority (Values or *Config), actions (Order, authenticate-* skipped) and Lambda target groups', () => {
    const m = parse(`
  Rule2:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref Listener
      Priority: 20
      Conditions:
        - {Field: path-pattern, PathPatternConfig: {Values: [/api/*]}}
        - {Field: http-header, HttpHeaderConfig: {HttpHeaderName: X-Env, Values: [prod]}}
        - {Field: query-string, QueryStringConfig: {Values: [{Key: v, Value: '2'}, {Value: x}]}}
      Actions:
        - {Type: forward, Order: 2, ForwardConfig: {TargetGroups: [{TargetGroupArn: !Ref Tg, Weight: 5}]}}
        - {Type: authenticate-cognito, Order: 1, AuthenticateCognitoConfig: {UserPoolArn: x}}
  Rule1:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref Listener
      Priority: 3
      Conditions: [{Field: host-header, Values: ['*.example.com']}, {Field: source-ip, SourceIpConfig: {Values: [10.0.0.0/8]}}]
      Actions: [{Type: redirect, RedirectConfig: {Protocol: HTTPS, Port: '443', StatusCode: HTTP_301}}]
`);
    const tg = { arn: expect.stringMatching(TG_ARN), function: 'shop-Fn', weight: 1, multi_value_headers: true };
    expect(m.loadBalancers).toEqual({
      'shop-lb': {
        listeners: [
          {
            port: 80,
            protocol: 'HTTP',
            default_actions: [{ type: 'fixed-response', status_code: 404, message_body: 'nope' }],
            rules: [
              { priority: 3, conditions: [{ field: 'host-header', values: ['*.example.com'] }, { field: 'source-ip', values: ['10.0.0.0/8'] }], actions: [{ type: 'redirect', status_code: 'HTTP_301', protocol: 'HTTPS', port: '443' }] },
              {
                priority: 20,
                conditions: [
                  { field: 'path-pattern', values: ['/api/*'] },
                  { field: 'http-header', header: 'x-env', values: ['prod'] },
                  { field: 'query-string', values: [{ key: 'v', value: '2' }, { value: 'x' }] },
                ],
                actions: [{ type: 'forward', target_groups: [{ ...tg, weight: 5 }] }],
              },
            ],
          },
        ],
      },
    });
    expect(m.warnings).toContain('Rule2.Actions[1]: authenticate-cognito is not enforced here; the next action applies');
    expect(m.warnings.join('\n')).not.toMatch(/skipped resources/);
  });

  it("!Ref is an ARN, !GetAtt DNSName the load balancer's host here; a name given is kept", () => {
    const env = parse().functions[0].environment;
    expect(env.HOST).toBe('shop-lb.elb.localhost');
    expect(env.TG).toMatch(TG_ARN);
    const named = parseSamTemplate(`Resources:${BASE.replace('Properties: {Subnets: [a, b]}', 'Properties: {Name: Shop-ALB}')}`, { file: 't.yml', stackName: 'shop' });
    expect(Object.keys(named.loadBalancers)).toEqual(['shop-alb']);
    expect(named.functions[0].environment.HOST).toBe('shop-alb.elb.localhost');
    expect(env.TG).toContain(`:${LOCAL_ACCOUNT_ID}:`);
  });

  it("another stack's listener or target group (a nested stack's, an imported one) is said, not served: the template deploys", () => {
    const rule = (props: string) => `  R:\n    Type: AWS::ElasticLoadBalancingV2::ListenerRule\n    Properties: ${props}\n`;
    const elsewhere = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/y';
    const m = parse(`${rule(`{ListenerArn: !Ref Listener, Priority: 1, Conditions: [{Field: path-pattern, Values: [/a]}], Actions: [{Type: forward, TargetGroupArn: '${elsewhere}'}]}`)}  R2:\n    Type: AWS::ElasticLoadBalancingV2::ListenerRule\n    Properties: {ListenerArn: nowhere, Priority: 1, Conditions: [{Field: path-pattern, Values: [/b]}], Actions: [{Type: forward, TargetGroupArn: !Ref Tg}]}\n`);
    expect(m.warnings).toEqual(expect.arrayContaining([`R.Actions[0].TargetGroupArn: "${elsewhere}" is not a TargetGroup of this template; forwarding to it answers 503`, 'R2.ListenerArn: "nowhere" is not a Listener of this template; R2 is not served']));
    expect(m.loadBalancers['shop-lb'].listeners[0].rules).toEqual([{ priority: 1, conditions: [{ field: 'path-pattern', values: ['/a'] }], actions: [{ type: 'forward', target_groups: [{ arn: elsewhere, weight: 1, multi_value_headers: false }] }] }]);
  });

  it('what is not run here is said: a network load balancer, a TCP listener, instance targets', () => {
    const m = parse(`
  Nlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Type: network}
  Tcp:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties: {LoadBalancerArn: !Ref Lb, Port: 9000, Protocol: TCP, DefaultActions: [{Type: forward, TargetGroupArn: !Ref Instances}]}
  Instances:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {TargetType: instance, Port: 80, Protocol: HTTP}
`);
    expect(m.warnings).toEqual(expect.arrayContaining(['Nlb: a network load balancer is not run here (only application ones)', 'Tcp: protocol TCP is not served (HTTP and HTTPS are)', 'Instances: target type instance is not run here (only Lambda targets); forwarding to it answers 503']));
    expect(m.loadBalancers['shop-lb'].listeners.map((l) => l.port)).toEqual([80]);
  });

  it('errors name the resource and the field', () => {
    const rule = (props: string) => `  R:\n    Type: AWS::ElasticLoadBalancingV2::ListenerRule\n    Properties: ${props}\n`;
    expect(failure(rule('{ListenerArn: !Ref Listener, Priority: 0, Conditions: [{Field: path-pattern, Values: [/a]}], Actions: [{Type: forward, TargetGroupArn: !Ref Tg}]}'))).toEqual(['R', 'Priority', 'must be a whole number from 1 to 50000, not 0']);
    expect(failure(rule('{ListenerArn: !Ref Listener, Priority: 1, Conditions: [{Field: cookie, Values: [a]}], Actions: [{Type: forward, TargetGroupArn: !Ref Tg}]}'))).toEqual(['R', 'Conditions[0].Field', '"cookie" is not a condition field (path-pattern, host-header, http-request-method, http-header, query-string, source-ip)']);
    expect(failure(rule('{ListenerArn: !Ref Listener, Priority: 1, Conditions: [{Field: path-pattern, Values: [/a]}], Actions: [{Type: forward}]}'))).toEqual(['R', 'Actions[0].TargetGroupArn', 'must name a target group']);
    expect(failure(`  Two:\n    Type: AWS::ElasticLoadBalancingV2::TargetGroup\n    Properties: {TargetType: lambda, Targets: [{Id: not-an-arn}]}\n`)).toEqual(['Two', 'Targets[0].Id', '"not-an-arn" is not a function\'s ARN']);
  });

  it('routing.yml carries them', () => {
    const r = renderArtifact(`Resources:${BASE}`, { file: 't.yml', stackName: 'shop' });
    expect(Object.keys(r.config.routing.load_balancers ?? {})).toEqual(['shop-lb']);
  });
});
