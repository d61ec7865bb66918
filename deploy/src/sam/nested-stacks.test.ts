// Nested stacks (docs/generate.md "Nested applications"): a local AWS::Serverless::Application
// or AWS::CloudFormation::Stack read as a stack of its own and deployed with its parent: names,
// parameters, outputs, paths, APIs, and the errors naming the file, the resource and the field.
import { describe, expect, it } from 'vitest';
import { parseSamTemplate, type SamOptions } from './template.js';
import { templateErrorOf } from './testkit.js';

const USERS = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, AllowedValues: [dev, prod]}
  Regions: {Type: CommaDelimitedList, Default: eu}
Globals:
  Function: {Runtime: python3.12, Environment: {Variables: {STAGE: !Ref Stage, REGIONS: !Join ['+', !Ref Regions]}}}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {AttributeDefinitions: [{AttributeName: id, AttributeType: S}], KeySchema: [{AttributeName: id, KeyType: HASH}]}
  Users:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: users.handler, Events: {Get: {Type: Api, Properties: {Path: /users, Method: get}}}}
Outputs:
  TableName: {Value: !Ref Table}
  Greeting: {Value: !Sub 'hello from \${AWS::StackName}'}
`;

const parent = (resources: string, files: Record<string, string> = { 'services/users/template.yaml': USERS }, options: SamOptions = {}) =>
  parseSamTemplate(
    `Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: nodejs20.x}
Resources:
  Config:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: a.h
      Environment: {Variables: {TABLE: !GetAtt Users.Outputs.TableName, GREETING: !Sub '\${Users.Outputs.Greeting}!'}}
      Events: {Get: {Type: Api, Properties: {Path: /config, Method: get}}}
${resources}`,
    {
      file: '/ws/app/template.yaml',
      stackName: 'shop',
      templateDir: '/ws/app',
      codeRoot: '/ws',
      readLocalFile: (rel) => {
        const key = rel.replace(/^\.\//, '');
        if (!(key in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        return files[key]!;
      },
      ...options,
    },
  );
const USERS_APP = `  Users:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: ./services/users/template.yaml\n      Parameters: {Stage: prod, Regions: [eu, us]}\n`;
const failure = (fn: () => unknown) => {
  const err = templateErrorOf(fn);
  return [err.file, err.logicalId, err.field, err.reason];
};

describe('nested stacks', () => {
  it('a local AWS::Serverless::Application is a stack of its own, named <stack>-<LogicalId>, with its own Globals and the parameters its parent gives (lists joined by commas)', () => {
    const m = parent(USERS_APP);
    const users = m.functions.find((f) => f.logicalId === 'Users')!;
    expect(users.key).toBe('shop-Users-Users');
    expect(users.runtime).toBe('python3.12');
    expect(users.environment).toMatchObject({ STAGE: 'prod', REGIONS: 'eu+us' });
    expect(m.functions.find((f) => f.logicalId === 'Config')!.runtime).toBe('nodejs20.x');
    expect(m.tables.map((t) => t.TableName)).toEqual(['shop-Users-Table']);
    // Its code is found from the parent's folder, and its template is a file the deploy read.
    expect(users.code).toEqual({ kind: 'ref', ref: { logicalId: 'Users', field: 'CodeUri', uri: 'services/users/src', kind: 'dir' } });
    expect(m.codeRefs.map((r) => r.uri)).toEqual(['src', 'services/users/src']);
    expect(m.localFiles).toEqual(['services/users/template.yaml']);
  });

  it("!GetAtt <nested>.Outputs.<name> is the output's value, resolved in the nested template (in !Sub too)", () => {
    const config = parent(USERS_APP).functions.find((f) => f.logicalId === 'Config')!;
    expect(config.environment).toEqual({ TABLE: 'shop-Users-Table', GREETING: 'hello from shop-Users!' });
  });

  it('an AWS::CloudFormation::Stack with a local TemplateURL too; one nested stack takes another\'s output as a parameter; their implicit APIs do not collide with the parent\'s', () => {
    const orders = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  UsersTable: {Type: String}
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, CodeUri: ./code, Handler: o.h, Environment: {Variables: {USERS: !Ref UsersTable}}, Events: {Post: {Type: Api, Properties: {Path: /orders, Method: post}}}}
Outputs:
  Name: {Value: !Ref Orders}
`;
    const m = parent(`${USERS_APP}  Orders:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: orders.yaml\n      Parameters: {UsersTable: !GetAtt Users.Outputs.TableName}\n`, { 'services/users/template.yaml': USERS, 'orders.yaml': orders });
    expect(m.functions.find((f) => f.logicalId === 'Orders')).toMatchObject({ key: 'shop-Orders-Orders', environment: { USERS: 'shop-Users-Table' } });
    expect(m.routes.map((r) => [r.method, r.path, r.api])).toEqual([
      ['GET', '/config', 'ServerlessRestApi'],
      ['GET', '/users', 'UsersServerlessRestApi'],
      ['POST', '/orders', 'OrdersServerlessRestApi'],
    ]);
    expect(Object.keys(m.apis).sort()).toEqual(['OrdersServerlessRestApi', 'ServerlessRestApi', 'UsersServerlessRestApi']);
  });

  it('one from the Serverless Application Repository or a URL is not deployed: a warning, and its outputs stay names (the parent\'s outputs taking them have no value)', () => {
    const m = parent(`  Users:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: {ApplicationId: 'arn:aws:serverlessrepo:us-east-1:123:applications/users', SemanticVersion: 1.0.0}\n  Other:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: 'https://bucket.s3.amazonaws.com/other.yaml'}\nOutputs:\n  OtherName: {Value: !GetAtt Other.Outputs.Name}\n`);
    expect(m.outputs.OtherName).toEqual({ problem: 'Other is a nested stack esb does not deploy (only local templates are)', placeholder: 'Other.Outputs.Name' });
    expect(m.warnings).toContain('Users: the nested stack from the Serverless Application Repository\'s arn:aws:serverlessrepo:us-east-1:123:applications/users is not deployed (only local templates are read; docs/generate.md "Nested applications")');
    expect(m.warnings).toContain('Other: the nested stack from https://bucket.s3.amazonaws.com/other.yaml is not deployed (only local templates are read; docs/generate.md "Nested applications")');
    expect(m.functions.find((f) => f.logicalId === 'Config')!.environment.TABLE).toBe('Users.Outputs.TableName');
  });

  it("an output made of what esb does not run has no value here: a warning, and it stays the output's name (the template deploys as before)", () => {
    const cluster = `Resources:\n  Cluster:\n    Type: AWS::MSK::Cluster\n    Properties: {ClusterName: c}\nOutputs:\n  ClusterName: {Value: !Select [1, !Split ['/', !Ref Cluster]]}\n`;
    const m = parent(`${USERS_APP}  Kafka:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: kafka.yaml}\n  Reader:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src/, Handler: a.h, Environment: {Variables: {CLUSTER: !GetAtt Kafka.Outputs.ClusterName}}}\n`, { 'services/users/template.yaml': USERS, 'kafka.yaml': cluster });
    expect(m.functions.find((f) => f.logicalId === 'Reader')!.environment.CLUSTER).toBe('Kafka.Outputs.ClusterName');
    expect(m.warnings.find((w) => w.startsWith('Reader.Environment.Variables.CLUSTER'))).toMatch(/^Reader\.Environment\.Variables\.CLUSTER: !GetAtt Kafka\.Outputs\.ClusterName has no value here \(.*kafka\.yaml: Outputs\.ClusterName\.Value: !Select index 1 is out of range \(1 values\)\); it stays the text Kafka\.Outputs\.ClusterName$/);
  });

  it("an output made of a resource esb does not run: the parent's outputs taking it have no value either, and an environment variable holding it is a warning", () => {
    const web = `Resources:\n  Site:\n    Type: AWS::CloudFront::Distribution\nOutputs:\n  Domain: {Value: !GetAtt Site.DomainName}\n`;
    const m = parent(`${USERS_APP}  Web:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: web.yaml}\n  Reader:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src/, Handler: a.h, Environment: {Variables: {SITE: !GetAtt Web.Outputs.Domain}}}\nOutputs:\n  SiteDomain: {Value: !GetAtt Web.Outputs.Domain}\n`, { 'services/users/template.yaml': USERS, 'web.yaml': web });
    const why = 'Web.Outputs.Domain has no value here (Site is an AWS::CloudFront::Distribution, which esb does not run)';
    expect(m.outputs.SiteDomain).toEqual({ problem: why, placeholder: 'Site.DomainName' });
    expect(m.functions.find((f) => f.logicalId === 'Reader')!.environment.SITE).toBe('Site.DomainName');
    expect(m.warnings).toContain(`Reader.Environment.Variables.SITE is "Site.DomainName", a placeholder: ${why} (--env-vars can give it a value)`);
  });

  it('errors name the file, the resource and the field: a missing output, a bad parameter, a template that nests itself or escapes the workspace, a mistake inside the nested template', () => {
    expect(failure(() => parent(USERS_APP.replace('Location', 'Where')))).toEqual(['/ws/app/template.yaml', 'Users', 'Location', 'a nested stack needs the path of its template']);
    expect(failure(() => parent(`${USERS_APP}  Extra:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src/, Handler: a.h, Environment: {Variables: {X: !GetAtt Users.Outputs.Nope}}}\n`))).toEqual([
      '/ws/app/template.yaml',
      'Extra',
      'Environment.Variables.X',
      '!GetAtt Users.Outputs.Nope: the nested template /ws/app/services/users/template.yaml has no output Nope',
    ]);
    expect(failure(() => parent(USERS_APP.replace('Stage: prod', 'Stage: {Nested: map}')))).toEqual(['/ws/app/template.yaml', 'Users', 'Parameters.Stage', 'must be text or a list of text, not {"Nested":"map"}']);
    const loop = `Transform: AWS::Serverless-2016-10-31\nResources:\n  Again:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: ../template.yaml}\n`;
    const looped = failure(() => parent(`${USERS_APP}  Loop:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: ./sub/loop.yaml}\n`, { 'services/users/template.yaml': USERS, 'sub/loop.yaml': loop, 'template.yaml': 'Resources: {}' }));
    expect(looped.slice(0, 3)).toEqual(['/ws/app/sub/loop.yaml', 'Again', 'TemplateURL']);
    expect(looped[3]).toBe('"../template.yaml" nests itself: /ws/app/template.yaml -> /ws/app/sub/loop.yaml -> /ws/app/template.yaml');
    expect(failure(() => parent(`${USERS_APP}  Out:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: ../../elsewhere.yaml}\n`))).toEqual(['/ws/app/template.yaml', 'Out', 'TemplateURL', '"../../elsewhere.yaml" escapes the workspace /ws']);
    expect(failure(() => parent(USERS_APP.replace('Stage: prod', 'Stage: test')))[0]).toBe('/ws/app/services/users/template.yaml');
  });
});
