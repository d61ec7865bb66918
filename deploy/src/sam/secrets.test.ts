// AWS::SecretsManager::Secret and AWS::SSM::Parameter read into resources.yml `secrets` and
// `parameters` (docs/secrets.md): each field, the default names, what !Ref and !GetAtt give, the
// errors naming the resource and the field, the warnings, and the shapes of the public
// serverless-patterns apps.
import { describe, expect, it } from 'vitest';
import { secretArn, templateSecretSuffix } from '@esb/contracts';
import { renderArtifact } from '../generate/render.js';
import { defaultParameterName, parseSamTemplate } from './template.js';
import { templateErrorOf } from './testkit.js';

const FUNCTION = `
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: a.h
      CodeUri: src/
      Events: {A: {Type: Api, Properties: {Path: /a, Method: get}}}
`;

const parse = (resources: string, extra: Record<string, unknown> = {}) => parseSamTemplate(`Transform: AWS::Serverless-2016-10-31\nResources:${FUNCTION}${resources}`, { file: 't.yml', stackName: 's', ...extra });
const one = (type: string, props: string, extra = '') => parse(`  It:\n    Type: ${type}\n    Properties:\n${props.replace(/^/gm, '      ')}\n${extra}`);
const secret = (props: string, extra = '') => one('AWS::SecretsManager::Secret', props, extra);
const parameter = (props: string, extra = '') => one('AWS::SSM::Parameter', props, extra);
const failure = (fn: () => unknown) => {
  const err = templateErrorOf(fn);
  return [err.logicalId, err.field, err.reason];
};
const envOf = (m: ReturnType<typeof parse>) => m.functions.find((f) => f.logicalId === 'Fn')!.environment;
const withEnv = (vars: string) => `  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: nodejs20.x, Handler: a.h, CodeUri: src/, Environment: {Variables: {${vars}}}, Events: {A: {Type: Api, Properties: {Path: /a, Method: get}}}}\n`;

describe('secrets of a template', () => {
  it('reads a generated secret (the value is the provisioner\'s to make); !Ref and !GetAtt .Id are its ARN, the same on every deploy', () => {
    const m = parseSamTemplate(
      `Resources:\n${withEnv('ARN: !Ref Db, ID: !GetAtt Db.Id')}  Db:\n    Type: AWS::SecretsManager::Secret\n    Properties:\n      Name: shop/db\n      Description: db user\n      KmsKeyId: alias/mine\n      GenerateSecretString:\n        SecretStringTemplate: '{"username": "admin"}'\n        GenerateStringKey: password\n        PasswordLength: 30\n        ExcludeCharacters: '"@/\\'\n        ExcludePunctuation: "true"\n      Tags: [{Key: app, Value: shop}]\n`,
      { file: 't.yml', stackName: 's' },
    );
    expect(m.secrets).toEqual([
      {
        Name: 'shop/db',
        Description: 'db user',
        GenerateSecretString: { SecretStringTemplate: '{"username": "admin"}', GenerateStringKey: 'password', PasswordLength: 30, ExcludeCharacters: '"@/\\', ExcludePunctuation: true },
        Tags: [{ Key: 'app', Value: 'shop' }],
      },
    ]);
    const arn = secretArn('shop/db', templateSecretSuffix('shop/db'));
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:shop\/db-[A-Za-z0-9]{6}$/);
    expect(envOf(m)).toEqual({ ARN: arn, ID: arn });
    expect(m.warnings).toEqual([]);
  });

  it('a SecretString (from !Sub and parameters); no Name: <stack>-<LogicalId>; neither value: a secret without one', () => {
    const m = parse(`  Creds:\n    Type: AWS::SecretsManager::Secret\n    Properties:\n      SecretString: !Sub '{"username": "\${AWS::StackName}"}'\n  Empty:\n    Type: AWS::SecretsManager::Secret\n`);
    expect(m.secrets).toEqual([{ Name: 's-Creds', SecretString: '{"username": "s"}' }, { Name: 's-Empty' }]);
  });

  it('renders resources.yml `secrets` and `parameters` with CloudFormation\'s field names', () => {
    const r = renderArtifact(`Resources:\n  Db:\n    Type: AWS::SecretsManager::Secret\n    Properties: {Name: db, GenerateSecretString: {PasswordLength: 16}}\n  Url:\n    Type: AWS::SSM::Parameter\n    Properties: {Name: /app/url, Type: String, Value: 'http://x', Tags: {team: a}}\n`, { file: 't.yml', stackName: 's' });
    expect(r.config.resources.resources).toEqual({ secrets: [{ Name: 'db', GenerateSecretString: { PasswordLength: 16 } }], parameters: [{ Name: '/app/url', Type: 'String', Value: 'http://x', Tags: { team: 'a' } }] });
    expect(r.summary).toMatchObject({ secrets: 1, parameters: 1 });
    // A template of secrets and parameters alone defines something esb runs.
    expect(r.warnings).toEqual([]);
  });

  it('errors name the resource and the field', () => {
    expect(failure(() => secret('Name: "bad name"'))).toEqual(['It', 'Name', '"bad name" is not a valid secret name (1-512 of letters, digits and /_+=.@-)']);
    expect(failure(() => secret('SecretString: a\nGenerateSecretString: {}'))).toEqual(['It', 'GenerateSecretString', 'a secret takes SecretString or GenerateSecretString, not both']);
    expect(failure(() => secret('GenerateSecretString: {GenerateStringKey: password}'))[1]).toBe('GenerateSecretString.SecretStringTemplate');
    expect(failure(() => secret('GenerateSecretString: {SecretStringTemplate: "[1]", GenerateStringKey: password}'))).toEqual(['It', 'GenerateSecretString.SecretStringTemplate', 'must be a JSON object, not "[1]"']);
    expect(failure(() => secret('GenerateSecretString: {PasswordLength: 0}'))).toEqual(['It', 'GenerateSecretString.PasswordLength', 'must be a whole number from 1 to 4096']);
    expect(failure(() => secret('GenerateSecretString: {ExcludeNumbers: maybe}'))).toEqual(['It', 'GenerateSecretString.ExcludeNumbers', 'must be true or false, not "maybe"']);
    expect(failure(() => secret('GenerateSecretString: {ExcludeNumbers: true, ExcludeLowercase: true, ExcludeUppercase: true, ExcludePunctuation: true}'))[1]).toBe('GenerateSecretString');
    expect(failure(() => secret('GenerateSecretString: {PasswordLength: 2}'))[2]).toMatch(/cannot hold one of each of the 4 included character types/);
    expect(failure(() => secret('SecretString: {a: 1}'))).toEqual(['It', 'SecretString', 'must be a string, not {"a":1}']);
    expect(failure(() => secret('Tags: {a: b}'))).toEqual(['It', 'Tags', 'must be a list of {Key, Value}']);
    expect(failure(() => parse(`  A:\n    Type: AWS::SecretsManager::Secret\n    Properties: {Name: x}\n  B:\n    Type: AWS::SecretsManager::Secret\n    Properties: {Name: x}\n`))).toEqual(['B', 'Name', '"x" is the name of another secret of this template']);
  });

  it('warns of what is not applied, once, and of the Secrets Manager resources that do not run here', () => {
    const m = secret('Name: x\nReplicaRegions: [{Region: eu-west-1}]', `  Attach:\n    Type: AWS::SecretsManager::SecretTargetAttachment\n    Properties: {SecretId: !Ref It, TargetId: db, TargetType: AWS::RDS::DBInstance}\n  Rotation:\n    Type: AWS::SecretsManager::RotationSchedule\n    Properties: {SecretId: !Ref It, RotationRules: {AutomaticallyAfterDays: 30}}\n  Policy:\n    Type: AWS::SecretsManager::ResourcePolicy\n    Properties: {SecretId: !Ref It, ResourcePolicy: {}}`);
    expect(m.warnings).toEqual([
      'It.ReplicaRegions: not applied by esb (docs/secrets.md)',
      'Attach: AWS::SecretsManager::SecretTargetAttachment is not emulated; the secret is not attached to a database: its value stays as the template made it (docs/secrets.md)',
      'Rotation: AWS::SecretsManager::RotationSchedule is not emulated; rotation is not run: the secret keeps its value until code puts a new one (docs/secrets.md)',
      'Policy: AWS::SecretsManager::ResourcePolicy is not emulated; resource policies are not enforced: every function may read every secret (docs/secrets.md)',
    ]);
  });
});

describe('SSM parameters of a template', () => {
  it('reads each field; !Ref is the name, !GetAtt .Type and .Value what it holds', () => {
    const m = parseSamTemplate(
      `Resources:\n${withEnv('NAME: !Ref Url, TYPE: !GetAtt Url.Type, VALUE: !GetAtt Url.Value, LIST: !GetAtt Hosts.Value')}  Url:\n    Type: AWS::SSM::Parameter\n    Properties: {Name: /app/url, Type: String, Value: !Sub 'https://\${AWS::Region}.example', Description: the url, AllowedPattern: '^https://.*', Tier: Standard, DataType: text, Tags: {team: web}}\n  Hosts:\n    Type: AWS::SSM::Parameter\n    Properties: {Name: hosts, Type: StringList, Value: [a, b]}\n`,
      { file: 't.yml', stackName: 's' },
    );
    expect(m.parameters).toEqual([
      { Name: '/app/url', Type: 'String', Value: 'https://us-east-1.example', Description: 'the url', AllowedPattern: '^https://.*', Tier: 'Standard', DataType: 'text', Tags: { team: 'web' } },
      { Name: 'hosts', Type: 'StringList', Value: 'a,b' },
    ]);
    expect(envOf(m)).toEqual({ NAME: '/app/url', TYPE: 'String', VALUE: 'https://us-east-1.example', LIST: 'a,b' });
    expect(m.warnings).toEqual([]);
  });

  it('no Name: <stack>-<LogicalId>, with CFN- before one SSM would refuse', () => {
    expect(parameter('Type: String\nValue: v').parameters[0].Name).toBe('s-It');
    expect(defaultParameterName('aws-app', 'Param')).toBe('CFN-aws-app-Param');
    expect(defaultParameterName('SSMdemo', 'P')).toBe('CFN-SSMdemo-P');
  });

  it('errors name the resource and the field', () => {
    expect(failure(() => parameter('Type: SecureString\nValue: v'))).toEqual(['It', 'Type', 'CloudFormation does not create SecureString parameters: use String or StringList, or a Secrets Manager secret (docs/secrets.md)']);
    expect(failure(() => parameter('Value: v'))).toEqual(['It', 'Type', 'must be String or StringList, not undefined']);
    expect(failure(() => parameter('Type: String'))).toEqual(['It', 'Value', 'missing: a parameter needs a value']);
    expect(failure(() => parameter('Name: a/b\nType: String\nValue: v'))[1]).toBe('Name');
    expect(failure(() => parameter('Name: /aws/x\nType: String\nValue: v'))[2]).toMatch(/can't be prefixed with "aws" or "ssm"/);
    expect(failure(() => parameter(`Type: String\nValue: ${'x'.repeat(4097)}`))).toEqual(['It', 'Value', 'must be at most 4096 bytes in the Standard tier (Tier: Advanced takes 8 KiB)']);
    expect(parameter(`Type: String\nTier: Advanced\nValue: ${'x'.repeat(4097)}`).parameters[0].Tier).toBe('Advanced');
    expect(failure(() => parameter('Type: String\nValue: abc\nAllowedPattern: "^[0-9]+$"'))).toEqual(['It', 'Value', 'does not match AllowedPattern ^[0-9]+$']);
    expect(failure(() => parameter('Type: String\nValue: v\nTier: Gold'))[1]).toBe('Tier');
    expect(failure(() => parameter('Type: String\nValue: v\nDataType: number'))[1]).toBe('DataType');
    expect(failure(() => parse(`  A:\n    Type: AWS::SSM::Parameter\n    Properties: {Name: /x, Type: String, Value: a}\n  B:\n    Type: AWS::SSM::Parameter\n    Properties: {Name: /x, Type: String, Value: b}\n`))).toEqual(['B', 'Name', '"/x" is the name of another parameter of this template']);
  });

  it('warns of Policies, not applied', () => {
    expect(parameter('Type: String\nValue: v\nPolicies: "[]"').warnings).toEqual(['It.Policies: not applied by esb (docs/secrets.md)']);
  });
});

describe('public serverless-patterns shapes', () => {
  it('lambda-secretsmanager-node-sdkv3-sam: a named generated secret whose ARN a policy names', () => {
    const m = parseSamTemplate(
      `Transform: AWS::Serverless-2016-10-31
Parameters:
  SecretName: {Type: String, Default: MySecret, AllowedPattern: '^[a-zA-Z0-9_.-/]*$'}
Resources:
  GetSecretFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Runtime: nodejs24.x
      Handler: app.handler
      Environment: {Variables: {SECRET_NAME: !Ref SecretName}}
      Policies:
        - AWSSecretsManagerGetSecretValuePolicy:
            SecretArn: !Ref MySecret
  MySecret:
    Type: 'AWS::SecretsManager::Secret'
    Properties:
      Name: !Ref SecretName
      Description: "Secret with dynamically generated secret password."
      GenerateSecretString:
        PasswordLength: 30
        ExcludeCharacters: '"@/\\'
Outputs:
  MySecret: {Value: !Ref MySecret}
`,
      { file: 'template.yml', stackName: 'sdkv3' },
    );
    expect(m.secrets).toEqual([{ Name: 'MySecret', Description: 'Secret with dynamically generated secret password.', GenerateSecretString: { PasswordLength: 30, ExcludeCharacters: '"@/\\' } }]);
  });

  it('apigw-sqs-lambda-ddb: generated user and password under JSON keys, every switch written out (ExcludeCharacters empty)', () => {
    const m = secret(`Name: endpoint/username
GenerateSecretString:
  ExcludeCharacters: ""
  ExcludeLowercase: false
  ExcludeNumbers: false
  ExcludePunctuation: false
  ExcludeUppercase: false
  GenerateStringKey: UserName
  IncludeSpace: false
  PasswordLength: 32
  RequireEachIncludedType: true
  SecretStringTemplate: !Sub '{"UserName": "REPLACED"}'`);
    expect(m.secrets[0].GenerateSecretString).toEqual({ SecretStringTemplate: '{"UserName": "REPLACED"}', GenerateStringKey: 'UserName', PasswordLength: 32, ExcludeLowercase: false, ExcludeNumbers: false, ExcludePunctuation: false, ExcludeUppercase: false, IncludeSpace: false, RequireEachIncludedType: true });
  });

  it('lambda-durable-human-approval-sam: a parameter named after the stack holding an API URL', () => {
    const m = parameter("Name: !Sub '/${AWS::StackName}/api-gateway-url'\nType: String\nValue: !Sub 'https://abc.execute-api.${AWS::Region}.amazonaws.com/prod'\nDescription: 'API Gateway URL for the approval workflow'");
    expect(m.parameters).toEqual([{ Name: '/s/api-gateway-url', Type: 'String', Value: 'https://abc.execute-api.us-east-1.amazonaws.com/prod', Description: 'API Gateway URL for the approval workflow' }]);
  });
});
