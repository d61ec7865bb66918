import { describe, expect, it } from 'vitest';
import { parseTaskResource, tasksOf } from './resources.js';

describe('Task resources', () => {
  it('tells a function ARN, the optimized integrations and the aws-sdk ones apart, with their wait pattern', () => {
    expect(parseTaskResource('arn:aws:lambda:us-east-1:123456789012:function:stack-Validate')).toEqual({ kind: 'function', functionName: 'stack-Validate' });
    expect(parseTaskResource('arn:aws:lambda:eu-west-1:123456789012:function:fn:live')).toEqual({ kind: 'function', functionName: 'fn' });
    expect(parseTaskResource('arn:aws:states:::lambda:invoke')).toEqual({ kind: 'lambda-invoke', pattern: 'response' });
    expect(parseTaskResource('arn:aws:states:::lambda:invoke.waitForTaskToken')).toEqual({ kind: 'lambda-invoke', pattern: 'token' });
    expect(parseTaskResource('arn:aws:states:::dynamodb:putItem')).toEqual({ kind: 'sdk', service: 'dynamodb', action: 'putItem', optimized: true, pattern: 'response' });
    expect(parseTaskResource('arn:aws:states:::events:putEvents.waitForTaskToken')).toEqual({ kind: 'sdk', service: 'eventbridge', action: 'putEvents', optimized: true, pattern: 'token' });
    expect(parseTaskResource('arn:aws:states:::sqs:sendMessage.waitForTaskToken')).toEqual({ kind: 'sdk', service: 'sqs', action: 'sendMessage', optimized: true, pattern: 'token' });
    expect(parseTaskResource('arn:aws:states:::states:startExecution.sync:2')).toEqual({ kind: 'start-execution', pattern: 'sync2' });
    expect(parseTaskResource('arn:aws:states:::aws-sdk:dynamodb:query')).toEqual({ kind: 'sdk', service: 'dynamodb', action: 'query', optimized: false, pattern: 'response' });
    expect(parseTaskResource('arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject')).toEqual({ kind: 'sdk', service: 's3', action: 'getObject', optimized: false, pattern: 'response' });
    expect(parseTaskResource('arn:aws:states:::apigateway:invoke')).toEqual({ kind: 'apigateway-invoke', pattern: 'response' });
    expect(parseTaskResource('arn:aws:states:::apigateway:invoke.waitForTaskToken')).toEqual({ kind: 'apigateway-invoke', pattern: 'token' });
  });

  it('says why a resource esb does not run is not run', () => {
    expect(parseTaskResource('arn:aws:states:::ecs:runTask.sync')).toEqual({ kind: 'unsupported', why: 'esb does not emulate the integration ecs:runTask.sync' });
    expect(parseTaskResource('arn:aws:states:::dynamodb:query')).toEqual({ kind: 'unsupported', why: 'esb does not emulate the integration dynamodb:query' });
    expect(parseTaskResource('arn:aws:states:::aws-sdk:comprehend:detectSentiment')).toMatchObject({ kind: 'unsupported', why: expect.stringContaining('comprehend') });
    expect(parseTaskResource('arn:aws:states:us-east-1:123456789012:activity:review')).toMatchObject({ kind: 'unsupported', why: expect.stringContaining('activities') });
    expect(parseTaskResource('${ChargeFunctionArn}')).toMatchObject({ kind: 'unsupported', why: expect.stringContaining('neither a Lambda function ARN') });
  });

  it('finds every Task, in Parallel branches and Map processors too', () => {
    const definition = {
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'P' },
        P: { Type: 'Parallel', Branches: [{ StartAt: 'B', States: { B: { Type: 'Task', Resource: 'arn:aws:states:::ecs:runTask.sync', End: true } } }], Next: 'M' },
        M: { Type: 'Map', ItemProcessor: { StartAt: 'C', States: { C: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true }, D: { Type: 'Pass', End: true } } }, End: true },
      },
    };
    expect(tasksOf(definition)).toEqual([
      { path: 'States.A', resource: 'arn:aws:states:::lambda:invoke' },
      { path: 'States.P.Branches[0].States.B', resource: 'arn:aws:states:::ecs:runTask.sync' },
      { path: 'States.M.ItemProcessor.States.C', resource: 'arn:aws:states:::sns:publish' },
    ]);
  });
});
