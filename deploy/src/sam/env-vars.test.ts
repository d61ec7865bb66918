import { describe, expect, it } from 'vitest';
import { parseSamTemplate } from './template.js';

const template = `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: nodejs20.x
    Handler: app.handler
    CodeUri: src/
    Environment:
      Variables: {TABLE: orders, LOG_LEVEL: info}
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables: {API_KEY: placeholder}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: shop-worker
`;

describe('SAM CLI --env-vars (spec.envVars)', () => {
  const read = (envVars: Record<string, Record<string, string>>) => parseSamTemplate(template, { file: 't.yml', stackName: 'shop', envVars });
  const envOf = (m: ReturnType<typeof read>, id: string) => m.functions.find((f) => f.logicalId === id)!.environment;

  it('sets Parameters for every function and a function\'s own values over them, by logical id or name; only declared variables change', () => {
    const m = read({ Parameters: { LOG_LEVEL: 'debug', UNUSED: 'x' }, Api: { API_KEY: 'local-key', TABLE: 'api-orders' }, 'shop-worker': { TABLE: 'worker-orders' } });
    expect(envOf(m, 'Api')).toEqual({ TABLE: 'api-orders', LOG_LEVEL: 'debug', API_KEY: 'local-key' });
    expect(envOf(m, 'Worker')).toEqual({ TABLE: 'worker-orders', LOG_LEVEL: 'debug' });
    expect(m.warnings).toEqual([]);
  });

  it('names what it does not set: a variable a function does not declare, a key that is no function of the template', () => {
    const m = read({ Worker: { API_KEY: 'k' }, Gone: { A: 'b' } });
    expect(envOf(m, 'Worker')).toEqual({ TABLE: 'orders', LOG_LEVEL: 'info' });
    expect(m.warnings).toEqual([
      "env vars: Worker.API_KEY not declared in the function's Environment.Variables; not set (sam local sets only declared variables)",
      'env vars: Gone is not a function of this template (its logical id or name); not used',
    ]);
  });
});
