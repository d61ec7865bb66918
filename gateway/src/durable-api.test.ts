import { describe, expect, it } from 'vitest';
import { durableCallOf } from './durable-api.js';

const arn = 'arn:aws:lambda:us-east-1:123456789012:function:wf:$LATEST/durable-execution/order-1/6b0c';
const enc = encodeURIComponent(arn);

describe('durable execution API paths', () => {
  it('reads the SDK calls: the ARN is one percent-encoded path segment, the body or query the rest', () => {
    expect(durableCallOf('POST', `/2025-12-01/durable-executions/${enc}/checkpoint`, Buffer.from('{"CheckpointToken":"t","Updates":[]}'))).toEqual({
      action: 'CheckpointDurableExecution',
      input: { CheckpointToken: 't', Updates: [], DurableExecutionArn: arn },
    });
    expect(durableCallOf('GET', `/2025-12-01/durable-executions/${enc}/state?CheckpointToken=t&Marker=5&MaxItems=10`, Buffer.alloc(0))).toEqual({
      action: 'GetDurableExecutionState',
      input: { DurableExecutionArn: arn, CheckpointToken: 't', Marker: '5', MaxItems: '10' },
    });
    expect(durableCallOf('GET', `/2025-12-01/durable-executions/${enc}?IncludeExecutionData=true`, Buffer.alloc(0))).toEqual({ action: 'GetDurableExecution', input: { DurableExecutionArn: arn, IncludeExecutionData: 'true' } });
    expect(durableCallOf('GET', `/2025-12-01/durable-executions/${enc}/history`, Buffer.alloc(0))).toMatchObject({ action: 'GetDurableExecutionHistory' });
    expect(durableCallOf('POST', `/2025-12-01/durable-executions/${enc}/stop`, Buffer.from('{"ErrorType":"Cancelled"}'))).toEqual({ action: 'StopDurableExecution', input: { DurableExecutionArn: arn, Error: { ErrorType: 'Cancelled' } } });
  });

  it('reads callbacks: success carries the raw bytes (base64 here), failure an ErrorObject body, heartbeat nothing', () => {
    expect(durableCallOf('POST', '/2025-12-01/durable-execution-callbacks/cb-1/succeed', Buffer.from('{"ok":true}'))).toEqual({ action: 'SendDurableExecutionCallbackSuccess', input: { CallbackId: 'cb-1', Result: Buffer.from('{"ok":true}').toString('base64') } });
    expect(durableCallOf('POST', '/2025-12-01/durable-execution-callbacks/cb-1/fail', Buffer.from('{"ErrorType":"Rejected"}'))).toEqual({ action: 'SendDurableExecutionCallbackFailure', input: { CallbackId: 'cb-1', Error: { ErrorType: 'Rejected' } } });
    expect(durableCallOf('POST', '/2025-12-01/durable-execution-callbacks/cb-1/heartbeat', Buffer.alloc(0))).toEqual({ action: 'SendDurableExecutionCallbackHeartbeat', input: { CallbackId: 'cb-1' } });
  });

  it('reads ListDurableExecutionsByFunction with repeated Statuses', () => {
    expect(durableCallOf('GET', '/2025-12-01/functions/wf/durable-executions?Statuses=RUNNING&Statuses=FAILED&MaxItems=2', Buffer.alloc(0))).toEqual({
      action: 'ListDurableExecutionsByFunction',
      input: { FunctionName: 'wf', Statuses: ['RUNNING', 'FAILED'], MaxItems: '2' },
    });
  });

  it('names no action for other paths, and says why a body or a path cannot be read', () => {
    expect(durableCallOf('GET', `/2025-12-01/durable-executions/${enc}/checkpoint`, Buffer.alloc(0))).toBeUndefined();
    expect(durableCallOf('POST', '/2025-12-01/durable-execution-callbacks/cb-1/other', Buffer.alloc(0))).toBeUndefined();
    expect(durableCallOf('POST', `/2025-12-01/durable-executions/${enc}/checkpoint/more`, Buffer.alloc(0))).toBeUndefined();
    expect(durableCallOf('POST', `/2025-12-01/durable-executions/${enc}/checkpoint`, Buffer.from('{nope'))).toEqual({ error: expect.stringMatching(/^the body is not JSON: /) });
    expect(durableCallOf('POST', `/2025-12-01/durable-executions/${enc}/checkpoint`, Buffer.from('[1]'))).toEqual({ error: 'the body must be a JSON object' });
    expect(durableCallOf('GET', '/2025-12-01/durable-executions/%E0%A4%A', Buffer.alloc(0))).toEqual({ error: 'the path is not valid percent-encoding' });
  });
});
