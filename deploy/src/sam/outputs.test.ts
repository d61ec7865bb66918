// A template's Outputs and !ImportValue (docs/generate.md "Outputs and exports"): each output's
// Value, Description and Export.Name resolved as esb resolves other values, one it cannot resolve
// kept with the reason; imports answered by the exports of the other deployed stacks.
import { describe, expect, it } from 'vitest';
import type { StackExport } from './model.js';
import { parseSamTemplate, type SamOptions } from './template.js';
import { templateErrorOf } from './testkit.js';

const SHARED = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  AdminGroup: {Type: String, Default: apiAdmins}
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  UserPool:
    Type: AWS::Cognito::UserPool
  UsersTable:
    Type: AWS::DynamoDB::Table
    Properties: {AttributeDefinitions: [{AttributeName: id, AttributeType: S}], KeySchema: [{AttributeName: id, KeyType: HASH}]}
Outputs:
  UserPool:
    Description: Cognito user pool id
    Value: !Ref UserPool
    Export: {Name: !Sub '\${AWS::StackName}-UserPool'}
  UserPoolAdminGroupName:
    Value: !Ref AdminGroup
    Export:
      Name: !Sub '\${AWS::StackName}-UserPoolAdminGroupName'
  UsersTable:
    Value: !Ref UsersTable
    Export: {Name: shared-users-table}
  UsersTableArn:
    Value: !GetAtt UsersTable.Arn
  Zones:
    Value: !GetAZs ''
  ProdOnly:
    Condition: IsProd
    Value: only in prod
  StreamLabel:
    Description: not something esb knows
    Value: !GetAtt UsersTable.StreamLabel
    Export: {Name: shared-stream-label}
`;

const shared = (options: SamOptions = {}) => parseSamTemplate(SHARED, { file: 'shared/cognito.yaml', stackName: 'serverless-api-cognito', ...options });

describe('Outputs', () => {
  it('resolves each Value, Description and Export.Name here, in template order; a false Condition leaves the output out', () => {
    expect(shared().outputs).toEqual({
      UserPool: { problem: 'UserPool is an AWS::Cognito::UserPool, which esb does not run', placeholder: 'UserPool', description: 'Cognito user pool id', export: 'serverless-api-cognito-UserPool' },
      UserPoolAdminGroupName: { value: 'apiAdmins', export: 'serverless-api-cognito-UserPoolAdminGroupName' },
      UsersTable: { value: 'serverless-api-cognito-UsersTable', export: 'shared-users-table' },
      UsersTableArn: { value: 'arn:aws:dynamodb:us-east-1:123456789012:table/serverless-api-cognito-UsersTable' },
      Zones: { value: 'us-east-1a,us-east-1b,us-east-1c' },
      StreamLabel: { problem: '!GetAtt UsersTable.StreamLabel: AWS::DynamoDB::Table has no attribute StreamLabel that esb knows', description: 'not something esb knows', export: 'shared-stream-label' },
    });
    expect(Object.keys(shared().outputs)).toEqual(['UserPool', 'UserPoolAdminGroupName', 'UsersTable', 'UsersTableArn', 'Zones', 'StreamLabel']);
    expect(shared({ parameterOverrides: { Stage: 'prod' } }).outputs.ProdOnly).toEqual({ value: 'only in prod' });
  });

  it('keeps an output it cannot read with the reason instead of failing the deploy', () => {
    const model = parseSamTemplate(
      `Resources:
  T: {Type: AWS::SNS::Topic}
Outputs:
  NoValue: {Description: forgot it}
  Missing: {Value: !Ref Nowhere}
  Map: {Value: {a: 1}}
  UnknownCondition: {Condition: Nope, Value: x}
  BadExport: {Value: ok, Export: {Name: !GetAtt Nowhere.Name}}
`,
      { file: 't.yaml', stackName: 's' },
    );
    expect(model.outputs).toEqual({
      NoValue: { problem: 'an output needs a Value' },
      Missing: { problem: '!Ref Nowhere: no parameter, pseudo parameter or resource named "Nowhere"' },
      Map: { problem: 'the Value is {"a":1}, not text' },
      UnknownCondition: { problem: 'no condition named "Nope"' },
      BadExport: { value: 'ok', problem: '!GetAtt Nowhere.Name: no resource named "Nowhere"' },
    });
  });

  it('refuses two outputs exporting one name, as CloudFormation does', () => {
    const err = templateErrorOf(() => parseSamTemplate(`Resources: {T: {Type: AWS::SNS::Topic}}\nOutputs:\n  A: {Value: a, Export: {Name: x}}\n  B: {Value: b, Export: {Name: x}}\n`, { file: 't.yaml' }));
    expect([err.logicalId, err.field, err.reason]).toEqual(['Outputs.B', 'Export.Name', '"x" is exported by Outputs.A too; an export name is taken once (CloudFormation refuses the template)']);
  });
});

const SITE = `
Transform: AWS::Serverless-2016-10-31
Resources:
  Site:
    Type: AWS::CloudFront::Distribution
    Properties: {DistributionConfig: {Enabled: true}}
  Bucket: {Type: AWS::S3::Bucket}
  Items: {Type: AWS::Serverless::SimpleTable}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          SITE_URL: !Sub 'https://\${Site.DomainName}/'
          DISTRIBUTION: !Join ['', [!Ref Site]]
          BUCKET: !Ref Bucket
      Events: {Get: {Type: Api, Properties: {Path: /items, Method: get}}}
Outputs:
  DistributionId: {Value: !Ref Site}
  DomainName: {Value: !GetAtt Site.DomainName, Description: the site, Export: {Name: site-domain}}
  SiteUrl: {Value: !Sub 'https://\${Site.DomainName}/\${Bucket}'}
  Api: {Value: !Sub 'https://\${ServerlessRestApi}.execute-api.\${AWS::Region}.amazonaws.com/Prod/'}
  FnArn: {Value: !GetAtt Fn.Arn}
  TableArn: {Value: !GetAtt Items.Arn}
  BucketDomain: {Value: !GetAtt Bucket.RegionalDomainName}
`;
const NOT_RUN = 'Site is an AWS::CloudFront::Distribution, which esb does not run';

describe('what esb does not run, referenced', () => {
  it('an output whose value depends on it has no value but a problem naming it (and what stands in for it); those of what esb runs keep their values', () => {
    expect(parseSamTemplate(SITE, { file: 'web/template.yaml', stackName: 'web' }).outputs).toEqual({
      DistributionId: { problem: NOT_RUN, placeholder: 'Site' },
      DomainName: { problem: NOT_RUN, placeholder: 'Site.DomainName', description: 'the site', export: 'site-domain' },
      SiteUrl: { problem: NOT_RUN, placeholder: 'https://Site.DomainName/web-bucket' },
      Api: { value: 'https://ServerlessRestApi.execute-api.us-east-1.amazonaws.com/Prod/' },
      FnArn: { value: 'arn:aws:lambda:us-east-1:123456789012:function:web-Fn' },
      TableArn: { value: 'arn:aws:dynamodb:us-east-1:123456789012:table/web-Items' },
      BucketDomain: { value: 'web-bucket.s3.us-east-1.amazonaws.com' },
    });
  });

  it("a function's environment variable holding its placeholder is a warning naming the variable, unless --env-vars gives it a value", () => {
    const model = parseSamTemplate(SITE, { file: 'web/template.yaml', stackName: 'web' });
    expect(model.functions[0].environment).toEqual({ SITE_URL: 'https://Site.DomainName/', DISTRIBUTION: 'Site', BUCKET: 'web-bucket' });
    expect(model.warnings).toEqual([
      `Fn.Environment.Variables.SITE_URL is "https://Site.DomainName/", a placeholder: ${NOT_RUN} (--env-vars can give it a value)`,
      `Fn.Environment.Variables.DISTRIBUTION is "Site", a placeholder: ${NOT_RUN} (--env-vars can give it a value)`,
      'skipped resources esb does not run: AWS::CloudFront::Distribution (Site)',
    ]);
    const given = parseSamTemplate(SITE, { file: 'web/template.yaml', stackName: 'web', envVars: { Fn: { SITE_URL: 'https://d111.cloudfront.net/' } } });
    expect(given.functions[0].environment.SITE_URL).toBe('https://d111.cloudfront.net/');
    expect(given.warnings.filter((w) => w.includes('Environment.Variables'))).toEqual([`Fn.Environment.Variables.DISTRIBUTION is "Site", a placeholder: ${NOT_RUN} (--env-vars can give it a value)`]);
  });

  it('an import of such an export gets what stands in for it, with the same warning in an environment and the same problem in an output', () => {
    const importer = `
Resources:
  Reader:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: app.handler, CodeUri: src/, Environment: {Variables: {SITE: !ImportValue site-domain}}}
Outputs:
  Seen: {Value: !ImportValue site-domain}
`;
    const exports: Record<string, StackExport> = { 'site-domain': { stack: 'web', output: 'DomainName', problem: NOT_RUN, placeholder: 'Site.DomainName' } };
    const model = parseSamTemplate(importer, { file: 'reader.yaml', stackName: 'reader', exports });
    const why = `the export site-domain (output DomainName of stack web) has no value here (${NOT_RUN})`;
    expect(model.functions[0].environment).toEqual({ SITE: 'Site.DomainName' });
    expect(model.warnings).toEqual([`Reader.Environment.Variables.SITE is "Site.DomainName", a placeholder: ${why} (--env-vars can give it a value)`]);
    expect(model.outputs).toEqual({ Seen: { problem: why, placeholder: 'Site.DomainName' } });
  });
});

const API = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  CognitoStackName: {Type: String, Default: serverless-api-cognito}
Resources:
  AuthorizerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          USER_POOL_ID:
            Fn::ImportValue: !Sub '\${CognitoStackName}-UserPool'
          ADMIN_GROUP_NAME: !ImportValue
            'Fn::Sub': '\${CognitoStackName}-UserPoolAdminGroupName'
Outputs:
  PoolSeen:
    Value: !ImportValue serverless-api-cognito-UserPool
`;

/** The exports a CONFIG_DIR holding the shared stack gives (exportTable of its stacks.yml). */
const SHARED_EXPORTS: Record<string, StackExport> = {
  'serverless-api-cognito-UserPool': { stack: 'serverless-api-cognito', output: 'UserPool', value: 'UserPool' },
  'serverless-api-cognito-UserPoolAdminGroupName': { stack: 'serverless-api-cognito', output: 'UserPoolAdminGroupName', value: 'apiAdmins' },
  'shared-stream-label': { stack: 'serverless-api-cognito', output: 'StreamLabel', problem: '!GetAtt UsersTable.StreamLabel: unknown' },
};
const api = (options: SamOptions) => parseSamTemplate(API, { file: 'api/template.yaml', stackName: 'api', ...options });

describe('!ImportValue', () => {
  it('gives the value the other deployed stacks export under that name, in functions and outputs', () => {
    const model = api({ exports: SHARED_EXPORTS });
    expect(model.functions[0].environment).toEqual({ USER_POOL_ID: 'UserPool', ADMIN_GROUP_NAME: 'apiAdmins' });
    expect(model.outputs.PoolSeen).toEqual({ value: 'UserPool' });
  });

  it('takes importValues first (the library option)', () => {
    const model = api({ exports: SHARED_EXPORTS, importValues: { 'serverless-api-cognito-UserPool': 'us-east-1_given' } });
    expect(model.functions[0].environment).toEqual({ USER_POOL_ID: 'us-east-1_given', ADMIN_GROUP_NAME: 'apiAdmins' });
    expect(api({ importValues: { 'serverless-api-cognito-UserPool': 'p', 'serverless-api-cognito-UserPoolAdminGroupName': 'g' } }).functions[0].environment).toEqual({ USER_POOL_ID: 'p', ADMIN_GROUP_NAME: 'g' });
  });

  it('fails naming the import, the exports there are (or that there are none) and what to deploy first', () => {
    const none = templateErrorOf(() => api({}));
    expect(none.message).toBe(
      'api/template.yaml: AuthorizerFunction.Environment.Variables.USER_POOL_ID: !ImportValue serverless-api-cognito-UserPool: no stack deployed to this env exports "serverless-api-cognito-UserPool" (the env has no exports yet); deploy the stack that exports it first (docs/generate.md "Outputs and exports")',
    );
    const other = templateErrorOf(() => api({ stackName: 'api', parameterOverrides: { CognitoStackName: 'cognito-prod' }, exports: SHARED_EXPORTS }));
    expect(other.reason).toBe(
      `!ImportValue cognito-prod-UserPool: no stack deployed to this env exports "cognito-prod-UserPool" (the env's exports: serverless-api-cognito-UserPool, serverless-api-cognito-UserPoolAdminGroupName and shared-stream-label); deploy the stack that exports it first (docs/generate.md "Outputs and exports")`,
    );
    expect(none.conditionReason).toBe('InvalidTemplate');
  });

  it('fails on an export whose value the exporting stack has not here, with its reason', () => {
    const err = templateErrorOf(() => parseSamTemplate(`Resources: {T: {Type: AWS::SNS::Topic, Properties: {TopicName: !ImportValue shared-stream-label}}}`, { file: 't.yaml', exports: SHARED_EXPORTS }));
    expect(err.reason).toBe('!ImportValue shared-stream-label: the output StreamLabel of stack serverless-api-cognito exports it but has no value here (!GetAtt UsersTable.StreamLabel: unknown)');
  });

  it('with onImport (the inputs digest): tells each name and never fails', () => {
    const names: string[] = [];
    const model = api({ onImport: (name) => names.push(name) });
    expect(names.sort()).toEqual(['serverless-api-cognito-UserPool', 'serverless-api-cognito-UserPool', 'serverless-api-cognito-UserPoolAdminGroupName']);
    expect(model.functions[0].environment.USER_POOL_ID).toBe('serverless-api-cognito-UserPool');
  });
});
