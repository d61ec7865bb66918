// Lambda-backed custom resources read into resources.yml `custom_resources` (docs/provisioner.md
// "Custom resources"): the request's properties as CloudFormation sends them, the creation
// order, what !Ref and !GetAtt of one give, and the errors naming the resource and the field.
import { describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_ID } from '@esb/contracts';
import { renderArtifact } from '../generate/render.js';
import { parseSamTemplate } from './template.js';
import { templateErrorOf } from './testkit.js';

const FUNCTIONS = `
  Seeder:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: index.handler, InlineCode: "def handler(e, c): pass"}
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: a.h
      CodeUri: src/
      Environment:
        Variables:
          COUNT: !GetAtt Seed.Count
          SEED_ID: !Ref Seed
          TEXT: !Sub 'seeded \${Seed.Count} as \${Seed}'
      Events: {A: {Type: Api, Properties: {Path: /a, Method: get}}}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
`;
const parse = (resources: string) => parseSamTemplate(`Transform: AWS::Serverless-2016-10-31\nResources:${FUNCTIONS}${resources}`, { file: 't.yml', stackName: 'shop' });
const failure = (fn: () => unknown) => {
  const err = templateErrorOf(fn);
  return [err.logicalId, err.field, err.reason];
};

const SEED = `
  Seed:
    Type: Custom::SeedTable
    Properties:
      ServiceToken: !GetAtt Seeder.Arn
      TableName: !Ref Table
      Products: [{Id: p1, Price: 25, OnSale: true}]
      Nothing: null
`;

describe('custom resources of a template', () => {
  it('reads a Custom:: resource: its function, its stack, and its properties as CloudFormation sends them (numbers and booleans as text, ServiceToken included)', () => {
    const m = parse(SEED);
    expect(m.customResources).toEqual([
      {
        Name: 'shop/Seed',
        LogicalResourceId: 'Seed',
        ResourceType: 'Custom::SeedTable',
        StackId: `arn:aws:cloudformation:us-east-1:${LOCAL_ACCOUNT_ID}:stack/shop/00000000-0000-0000-0000-000000000000`,
        FunctionName: 'shop-Seeder',
        Properties: {
          ServiceToken: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT_ID}:function:shop-Seeder`,
          TableName: 'shop-Table',
          Products: [{ Id: 'p1', Price: '25', OnSale: 'true' }],
          Nothing: null,
        },
      },
    ]);
    expect(m.warnings.join('\n')).not.toMatch(/skipped resources/);
  });

  it('!Ref and !GetAtt of one are references to what it answered, resolved where they are used', () => {
    const env = parse(SEED).functions.find((f) => f.logicalId === 'Api')!.environment;
    expect(env).toEqual({
      COUNT: '{{resolve:ssm:/esb/custom-resources/shop/Seed/Data/Count}}',
      SEED_ID: '{{resolve:ssm:/esb/custom-resources/shop/Seed/PhysicalResourceId}}',
      TEXT: 'seeded {{resolve:ssm:/esb/custom-resources/shop/Seed/Data/Count}} as {{resolve:ssm:/esb/custom-resources/shop/Seed/PhysicalResourceId}}',
    });
  });

  it('runs them in the order CloudFormation creates them: after what they name (DependsOn, !Ref, !GetAtt, ${} in !Sub), else in template order', () => {
    const m = parse(`
  Publish:
    Type: AWS::CloudFormation::CustomResource
    Properties:
      ServiceToken: !GetAtt Seeder.Arn
      Count: !Sub '\${Seed.Count} items'
  Audit:
    Type: Custom::Audit
    DependsOn: [Publish]
    Properties: {ServiceToken: !GetAtt Seeder.Arn, ServiceTimeout: 60}
  Warm:
    Type: Custom::Warm
    Properties: {ServiceToken: !Sub 'arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:\${Seeder}'}
${SEED}`);
    expect(m.customResources.map((r) => r.LogicalResourceId)).toEqual(['Seed', 'Publish', 'Audit', 'Warm']);
    expect(m.customResources.find((r) => r.LogicalResourceId === 'Audit')).toMatchObject({ ServiceTimeout: 60, ResourceType: 'Custom::Audit' });
    expect(m.customResources.find((r) => r.LogicalResourceId === 'Publish')!.Properties.Count).toBe('{{resolve:ssm:/esb/custom-resources/shop/Seed/Data/Count}} items');
  });

  it('an SNS-backed custom resource is not run: a warning, and !Ref of it stays its logical id', () => {
    const m = parse(`
  Topic:
    Type: AWS::SNS::Topic
  Seed:
    Type: Custom::ViaTopic
    Properties: {ServiceToken: !Ref Topic}
`);
    expect(m.customResources).toEqual([]);
    expect(m.warnings.join('\n')).toMatch(/Seed: ServiceToken "arn:aws:sns:[^"]+" is not a Lambda function \(SNS-backed custom resources are not run\); skipped/);
    expect(m.functions.find((f) => f.logicalId === 'Api')!.environment.SEED_ID).toBe('Seed');
  });

  it('bad ones are errors naming the resource and the field', () => {
    expect(failure(() => parse(`  Seed:\n    Type: Custom::SeedTable\n    Properties: {TableName: t}\n`))).toEqual(['Seed', 'ServiceToken', 'a custom resource needs a ServiceToken (the ARN of the function that answers it)']);
    expect(failure(() => parse(`  Seed:\n    Type: Custom::SeedTable\n    Properties: {ServiceToken: !GetAtt Seeder.Arn, ServiceTimeout: 7200}\n`))).toEqual(['Seed', 'ServiceTimeout', 'must be a whole number of seconds from 1 to 3600, not 7200']);
    expect(failure(() => parse(`  Seed:\n    Type: Custom::Seed.Table\n    Properties: {ServiceToken: !GetAtt Seeder.Arn}\n`))[2]).toMatch(/is not a custom resource type/);
    const cycle = failure(() => parse(`  A:\n    Type: Custom::A\n    Properties: {ServiceToken: !GetAtt Seeder.Arn, B: !GetAtt B.X}\n  B:\n    Type: Custom::B\n    DependsOn: A\n    Properties: {ServiceToken: !GetAtt Seeder.Arn}\n  Seed:\n    Type: Custom::S\n    Properties: {ServiceToken: !GetAtt Seeder.Arn}\n`));
    expect(cycle).toEqual(['A', 'DependsOn', 'custom resources depend on each other in a circle: A -> B -> A']);
  });

  it('resources.yml carries them in creation order', () => {
    const seederAndTable = FUNCTIONS.replace(/\n  Api:[\s\S]*?(?=\n  Table:)/, '');
    const r = renderArtifact(`Resources:${seederAndTable}  Later:\n    Type: Custom::Later\n    DependsOn: Seed\n    Properties: {ServiceToken: !GetAtt Seeder.Arn}\n${SEED}`, { file: 't.yml', stackName: 'shop' });
    expect(r.config.resources.resources.custom_resources?.map((c) => c.Name)).toEqual(['shop/Seed', 'shop/Later']);
  });
});
