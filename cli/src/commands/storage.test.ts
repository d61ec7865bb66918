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

  it('refuses bad values with a message naming the option', () => {
    expect(() => parseStorageArgs(['--only', 'sns'], '/ws')).toThrow(/--only must be "dynamodb", "s3" or "sqs"/);
    expect(() => parseStorageArgs(['--s3-port', '70000'], '/ws')).toThrow(/--s3-port must be a port number/);
    expect(() => parseStorageArgs(['--sqs-port', '65536'], '/ws')).toThrow(/--sqs-port must be a port number/);
    expect(() => parseStorageArgs(['--dynamodb-port', 'x'], '/ws')).toThrow(/--dynamodb-port/);
    expect(() => parseStorageArgs(['--bogus'], '/ws')).toThrow(/bogus/);
  });
});
