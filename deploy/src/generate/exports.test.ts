// Cross-stack exports through a CONFIG_DIR (docs/generate.md "Outputs and exports"): a stack
// generated and applied records its Outputs in stacks.yml; another stack generated for the same
// CONFIG_DIR imports them; the inputs digest follows what it imports and who else exports its names.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRuntimeFile, STACKS_CODEC } from '@esb/contracts';
import { tempDirs } from '@esb/contracts/testing';
import { applyArtifact, ExportConflictError } from '../apply/index.js';
import { generateArtifact, SamTemplateError, templateInputsDigest } from './index.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

const SHARED = (group: string, exportTable = true) => `Transform: AWS::Serverless-2016-10-31
Resources:
  UserPool: {Type: AWS::Cognito::UserPool}
  UsersTable:
    Type: AWS::Serverless::SimpleTable
Outputs:
  UserPool:
    Value: !Ref UserPool
    Export: {Name: !Sub '\${AWS::StackName}-UserPool'}
  AdminGroup:
    Value: ${group}
    Export: {Name: !Sub '\${AWS::StackName}-AdminGroup'}
  UsersTable:
    Value: !Ref UsersTable
${exportTable ? '    Export: {Name: users-table}\n' : ''}`;

const API = `Transform: AWS::Serverless-2016-10-31
Globals: {Function: {Runtime: nodejs20.x, Handler: app.handler, CodeUri: src/}}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment: {Variables: {USER_POOL_ID: !ImportValue cognito-UserPool, ADMIN_GROUP: !ImportValue cognito-AdminGroup, USERS_TABLE: !ImportValue users-table}}
      Events: {Get: {Type: HttpApi, Properties: {Path: /whoami, Method: get}}}
Outputs:
  ApiUrl:
    Description: the API
    Value: !Sub 'https://\${ServerlessHttpApi}.execute-api.\${AWS::Region}.amazonaws.com/'
`;

function app(root: string, name: string, template: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'app.js'), 'exports.handler = async () => ({ statusCode: 200 });\n');
  writeFileSync(join(dir, 'template.yaml'), template);
  return join(dir, 'template.yaml');
}

async function deploy(root: string, templatePath: string, stackName: string, configDir: string) {
  const generated = await generateArtifact({ templatePath, stackName, configDir, outDir: join(root, 'artifacts', stackName) });
  await applyArtifact({ artifactPath: generated.artifactPath, configDir, owner: { deployment: `default/${stackName}-default` } });
  return generated;
}

describe('exports between stacks of one CONFIG_DIR', () => {
  it('imports what an applied stack exports; the inputs digest changes with the imported values, not with others', async () => {
    const root = await dirs.make('esb-exports-');
    const configDir = join(root, 'config');
    const shared = app(root, 'shared', SHARED('admins'));
    const api = app(root, 'api', API);

    // Nothing exports them yet: the deploy fails naming the import and what to deploy first.
    const failed = await generateArtifact({ templatePath: api, configDir, outDir: join(root, 'artifacts', 'api') }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(SamTemplateError);
    expect((failed as Error).message).toContain('Fn.Environment.Variables.USER_POOL_ID: !ImportValue cognito-UserPool: no stack deployed to this env exports "cognito-UserPool" (the env has no exports yet); deploy the stack that exports it first');
    const before = await templateInputsDigest(api, {}, { configDir });
    // The inputs digest of a failing import still reads the template's code (it is watched).
    expect(before.referencedPaths).toEqual([join(root, 'api', 'src')]);

    await deploy(root, shared, 'cognito', configDir);
    const stacks = (await readRuntimeFile(STACKS_CODEC, configDir)).value;
    expect(stacks.stacks.cognito.outputs).toEqual({
      UserPool: { problem: 'UserPool is an AWS::Cognito::UserPool, which esb does not run', placeholder: 'UserPool', export: 'cognito-UserPool' },
      AdminGroup: { value: 'admins', export: 'cognito-AdminGroup' },
      UsersTable: { value: 'cognito-UsersTable', export: 'users-table' },
    });
    const after = await templateInputsDigest(api, {}, { configDir });
    expect(after.digest).not.toBe(before.digest);

    const generated = await deploy(root, api, 'api', configDir);
    // The user pool is not run here: its importer gets what a reference to it gives, said.
    expect(generated.config.functions.functions['api-Fn'].environment).toEqual({ USER_POOL_ID: 'UserPool', ADMIN_GROUP: 'admins', USERS_TABLE: 'cognito-UsersTable' });
    expect(generated.warnings).toContain('Fn.Environment.Variables.USER_POOL_ID is "UserPool", a placeholder: the export cognito-UserPool (output UserPool of stack cognito) has no value here (UserPool is an AWS::Cognito::UserPool, which esb does not run) (--env-vars can give it a value)');
    expect((await readRuntimeFile(STACKS_CODEC, configDir)).value.stacks.api.outputs).toEqual({ ApiUrl: { value: 'https://ServerlessHttpApi.execute-api.us-east-1.amazonaws.com/', description: 'the API' } });
    // The API's own record does not change what it imports: same digest.
    expect((await templateInputsDigest(api, {}, { configDir })).digest).toBe(after.digest);

    // A new value of an import is a new input; another stack's unrelated export is not.
    await deploy(root, app(root, 'other', 'Resources: {T: {Type: AWS::SNS::Topic}}\nOutputs: {Topic: {Value: !Ref T, Export: {Name: other-topic}}}\n'), 'other', configDir);
    expect((await templateInputsDigest(api, {}, { configDir })).digest).toBe(after.digest);
    await deploy(root, app(root, 'shared', SHARED('operators')), 'cognito', configDir);
    expect((await templateInputsDigest(api, {}, { configDir })).digest).not.toBe(after.digest);
    expect((await generateArtifact({ templatePath: api, configDir, outDir: join(root, 'artifacts', 'api') })).config.functions.functions['api-Fn'].environment.ADMIN_GROUP).toBe('operators');

    // Without imports or exports, CONFIG_DIR plays no part in the digest.
    const plain = app(root, 'plain', 'Resources: {T: {Type: AWS::SNS::Topic}}\n');
    expect((await templateInputsDigest(plain, {}, { configDir })).digest).toBe((await templateInputsDigest(plain)).digest);
  });

  it('a second stack exporting a name fails at apply; once the first stops exporting it, its digest changes and it deploys', async () => {
    const root = await dirs.make('esb-exports-');
    const configDir = join(root, 'config');
    await deploy(root, app(root, 'shared', SHARED('admins')), 'cognito', configDir);
    const impostor = app(root, 'impostor', 'Resources: {T: {Type: AWS::SNS::Topic}}\nOutputs: {Users: {Value: !Ref T, Export: {Name: users-table}}}\n');
    const refused = await deploy(root, impostor, 'impostor', configDir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExportConflictError);
    expect((refused as Error).message).toContain('stack impostor exports "users-table" (output Users), which stack cognito already exports (output UsersTable, deployment default/cognito-default)');
    expect((await readRuntimeFile(STACKS_CODEC, configDir)).value.stacks.impostor).toBeUndefined();

    const clashing = await templateInputsDigest(impostor, {}, { configDir, stackName: 'impostor' });
    await deploy(root, app(root, 'shared', SHARED('admins', false)), 'cognito', configDir);
    expect((await templateInputsDigest(impostor, {}, { configDir, stackName: 'impostor' })).digest).not.toBe(clashing.digest);
    await deploy(root, impostor, 'impostor', configDir);
    expect((await readRuntimeFile(STACKS_CODEC, configDir)).value.stacks.impostor.outputs).toEqual({ Users: { value: 'arn:aws:sns:us-east-1:123456789012:impostor-T', export: 'users-table' } });
  });
});
