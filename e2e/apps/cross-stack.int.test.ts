// Two stacks of one app, deployed unchanged with `esb deploy` into a running `esb dev` (process
// runtime), shaped like serverless-samples' serverless-rest-api: a shared stack
// (cross-stack/shared/cognito.yaml, as serverless-api-cognito) exports its user pool, admin group
// and users table, and the API stack (cross-stack/template.yaml) imports them into its function's
// environment with !ImportValue (docs/generate.md "Outputs and exports"). The deploy summary and
// `esb describe deployment` show each stack's Outputs; the user pool's, which esb does not run,
// with why it has no value here.
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDev, type RunningDev } from '@esb/cli';
import { esb } from '@esb/controller/testing';

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cross-stack');
const API = path.join(APP, 'template.yaml');
const SHARED = path.join(APP, 'shared', 'cognito.yaml');

describe('cross-stack: a shared stack\'s exports imported by the API stack', () => {
  let ws: string;
  let dev: RunningDev;
  let port: number;

  /** One request to the API stack's own host (http://cross-stack.localhost). */
  const call = (method: string, pathname: string, body?: string): Promise<{ status: number; json(): any }> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path: pathname, agent: false, headers: { host: `cross-stack.localhost:${port}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const deploy = (...args: string[]) => esb(['deploy', '--workspace', ws, '--timeout', '90s', ...args]);

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-cross-stack-'));
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, runtime: 'process', examples: false, log: pino({ level: 'silent' }) });
    port = Number(new URL(dev.info.gateway).port);
  }, 60_000);

  afterAll(async () => {
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  it('the API deployed first fails naming the import; after the shared stack, it deploys and its function sees the exported values', async () => {
    const early = await deploy('-t', API);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(
      'UsersFunction.Environment.Variables.USER_POOL_ID: !ImportValue serverless-api-cognito-UserPool: no stack deployed to this env exports "serverless-api-cognito-UserPool" (the env has no exports yet); deploy the stack that exports it first',
    );

    const shared = await deploy('-t', SHARED, '--stack-name', 'serverless-api-cognito');
    expect(shared.code, shared.stdout + shared.stderr).toBe(0);
    // esb runs no user pool: the output has no value here, and says why.
    expect(shared.stdout).toContain('       OUTPUT  UserPool has no value here (UserPool is an AWS::Cognito::UserPool, which esb does not run) (export serverless-api-cognito-UserPool)\n');
    expect(shared.stdout).toContain('       OUTPUT  UserPoolAdminGroupName = apiAdmins (export serverless-api-cognito-UserPoolAdminGroupName)\n');
    expect(shared.stdout).toContain('       OUTPUT  UsersTable = serverless-api-cognito-UsersTable (export serverless-api-cognito-UsersTable)\n');

    // The same template as before: what it imports is an input too, so it is deployed again now.
    const api = await deploy('-t', API);
    expect(api.code, api.stdout + api.stderr).toBe(0);
    // Its import gets what a reference to the pool gives, said.
    expect(api.stdout).toContain(
      'warning: UsersFunction.Environment.Variables.USER_POOL_ID is "UserPool", a placeholder: the export serverless-api-cognito-UserPool (output UserPool of stack serverless-api-cognito) has no value here (UserPool is an AWS::Cognito::UserPool, which esb does not run) (--env-vars can give it a value)\n',
    );
    expect(api.stdout).toContain(`       OUTPUT  APIEndpoint = https://HttpApi.execute-api.us-east-1.amazonaws.com/ (here: http://cross-stack.localhost:${port}/)\n`);
    expect((await call('GET', '/config')).json()).toEqual({ userPoolId: 'UserPool', adminGroup: 'apiAdmins', usersTable: 'serverless-api-cognito-UsersTable' });
    // The imported table is the shared stack's own, provisioned with it.
    expect((await call('PUT', '/users/u1', JSON.stringify({ name: 'Ada' }))).json()).toEqual({ userid: 'u1', stored: true });
    expect((await call('GET', '/users/u1')).json()).toEqual({ userid: 'u1', name: 'Ada' });

    const sharedJson = await deploy('-t', SHARED, '--stack-name', 'serverless-api-cognito', '--json');
    expect(JSON.parse(sharedJson.stdout).outputs[0]).toEqual({ key: 'UserPool', problem: 'UserPool is an AWS::Cognito::UserPool, which esb does not run', description: 'Cognito User Pool ID', export: 'serverless-api-cognito-UserPool' });
    const json = await deploy('-t', API, '--json');
    expect(JSON.parse(json.stdout).outputs).toEqual([
      { key: 'APIEndpoint', value: 'https://HttpApi.execute-api.us-east-1.amazonaws.com/', description: 'API Gateway endpoint URL', local: `http://cross-stack.localhost:${port}/` },
    ]);
  }, 240_000);

  it('esb describe deployment shows each stack\'s Outputs with their export names', async () => {
    const shared = await esb(['describe', 'deployment', 'serverless-api-cognito-default', '--workspace', ws]);
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stdout).toMatch(/Outputs:\n\s+Key\s+Value\s+Export\s+Description\n/);
    expect(shared.stdout).toMatch(/\n\s+UserPool\s+<none: UserPool is an AWS::Cognito::UserPool, which esb does not run>\s+serverless-api-cognito-UserPool\s+Cognito User Pool ID\n/);
    expect(shared.stdout).toMatch(/\n\s+UsersTable\s+serverless-api-cognito-UsersTable\s+serverless-api-cognito-UsersTable\s+DynamoDB table of the users' profiles\n/);
    const api = await esb(['describe', 'deployment', 'cross-stack-default', '--workspace', ws]);
    expect(api.stdout).toMatch(/\n\s+APIEndpoint\s+https:\/\/HttpApi\.execute-api\.us-east-1\.amazonaws\.com\/\s+API Gateway endpoint URL\n/);
  }, 60_000);

  it('a changed export reaches the importing stack when it is deployed again; another stack exporting the same name is refused', async () => {
    const shared = await deploy('-t', SHARED, '--stack-name', 'serverless-api-cognito', '--parameter-overrides', 'UserPoolAdminGroupName=operators');
    expect(shared.code, shared.stdout + shared.stderr).toBe(0);
    expect((await deploy('-t', API)).code).toBe(0);
    expect((await call('GET', '/config')).json()).toMatchObject({ adminGroup: 'operators' });

    const impostor = path.join(ws, 'impostor.yaml');
    await writeFile(impostor, 'Resources:\n  Table: {Type: AWS::Serverless::SimpleTable}\nOutputs:\n  Users:\n    Value: !Ref Table\n    Export: {Name: serverless-api-cognito-UsersTable}\n');
    const refused = await deploy('-t', impostor);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'Applied Conflict: stack impostor exports "serverless-api-cognito-UsersTable" (output Users), which stack serverless-api-cognito already exports (output UsersTable, deployment default/serverless-api-cognito-default)',
    );
    // The importer keeps the shared stack's table.
    expect((await call('GET', '/users/u1')).json()).toEqual({ userid: 'u1', name: 'Ada' });
  }, 240_000);
});
