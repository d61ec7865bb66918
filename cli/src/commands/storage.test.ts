import { describe, expect, it } from 'vitest';
import { parseStorageArgs } from './storage.js';

describe('esb storage options', () => {
  it('defaults: ./.esb/data, loopback, 8000, 9000 and 9324 (the compose ports), every server', () => {
    expect(parseStorageArgs([], '/ws')).toEqual({ dataDir: '/ws/.esb/data', host: '127.0.0.1', dynamodbPort: 8000, s3Port: 9000, sqsPort: 9324, only: undefined, createTableMs: 0 });
  });

  it('takes every option', () => {
    expect(
      parseStorageArgs(['--data-dir', 'd', '--host', '0.0.0.0', '--dynamodb-port', '0', '--s3-port', '4569', '--sqs-port', '0', '--only', 's3', '--create-table-ms', '500'], '/ws'),
    ).toEqual({ dataDir: '/ws/d', host: '0.0.0.0', dynamodbPort: 0, s3Port: 4569, sqsPort: 0, only: 's3', createTableMs: 500 });
    expect(parseStorageArgs(['--only', 'sqs', '--sqs-port', '9555'], '/ws')).toMatchObject({ only: 'sqs', sqsPort: 9555 });
    expect(parseStorageArgs(['--help'], '/ws')).toBeUndefined();
  });

  it('takes where each API the agent answers is forwarded: --states-url, --firehose-url (or ESB_STATES_URL, ESB_FIREHOSE_URL)', () => {
    expect(parseStorageArgs(['--states-url', 'http://agent:9001/states', '--firehose-url', 'http://agent:9001/firehose'], '/ws')).toMatchObject({ apiUrls: { states: 'http://agent:9001/states', firehose: 'http://agent:9001/firehose' } });
    expect(() => parseStorageArgs(['--firehose-url', 'agent:9001'], '/ws')).toThrow(/--firehose-url must be an http\(s\) URL/);
  });

  it('takes where schedules that come due are posted: --schedules-url (or ESB_SCHEDULES_URL)', () => {
    expect(parseStorageArgs(['--schedules-url', 'http://agent:9001/events/scheduler'], '/ws')).toMatchObject({ schedulesUrl: 'http://agent:9001/events/scheduler' });
    expect(() => parseStorageArgs(['--schedules-url', 'agent'], '/ws')).toThrow(/--schedules-url must be an http\(s\) URL/);
  });

  it('refuses bad values with a message naming the option', () => {
    expect(() => parseStorageArgs(['--only', 'sns'], '/ws')).toThrow(/--only must be "dynamodb", "s3" or "sqs"/);
    expect(() => parseStorageArgs(['--s3-port', '70000'], '/ws')).toThrow(/--s3-port must be a port number/);
    expect(() => parseStorageArgs(['--sqs-port', '65536'], '/ws')).toThrow(/--sqs-port must be a port number/);
    expect(() => parseStorageArgs(['--dynamodb-port', 'x'], '/ws')).toThrow(/--dynamodb-port/);
    expect(() => parseStorageArgs(['--bogus'], '/ws')).toThrow(/bogus/);
  });
});
