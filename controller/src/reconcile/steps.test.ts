import { describe, expect, it } from 'vitest';
import { decodeRuntimeFile, FUNCTIONS_CODEC, RESOURCES_CODEC, ROUTING_CODEC } from '@esb/contracts';
import type { RuntimeConfig } from '@esb/deploy';
import type { ProvisionReport } from '@esb/provisioner';
import { countRuntimeConfigs, provisionedMessage } from './steps.js';

const table = (TableName: string) => ({ TableName, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }] });
const route = (path: string, fn: string) => ({ path, method: 'GET', function: fn, api: 'ServerlessHttpApi' });

function config(doc: { functions: string[]; routes?: object[]; resources?: object; rules?: object }): RuntimeConfig {
  const functions = Object.fromEntries(doc.functions.map((name) => [name, { image: `${name}:1` }]));
  return {
    functions: decodeRuntimeFile(FUNCTIONS_CODEC, JSON.stringify({ functions, ...(doc.rules ? { rules: doc.rules } : {}) }), 'functions.yml'),
    routing: decodeRuntimeFile(ROUTING_CODEC, JSON.stringify({ routes: doc.routes ?? [] }), 'routing.yml'),
    resources: decodeRuntimeFile(RESOURCES_CODEC, JSON.stringify({ resources: doc.resources ?? {} }), 'resources.yml'),
  };
}

describe('countRuntimeConfigs', () => {
  it('counts functions, routes, and tables, buckets, queues, layers and EventBridge rules as resources', () => {
    const one = config({
      functions: ['a-Hello', 'a-Worker'],
      routes: [route('/hello', 'a-Hello'), route('/work', 'a-Worker'), route('/hello/{id}', 'a-Hello')],
      resources: { dynamodb: [table('items'), table('users')], s3: [{ BucketName: 'files' }], layers: [{ Name: 'common', ContentUri: 'layers/common' }] },
    });
    expect(countRuntimeConfigs([one])).toEqual({ functions: 2, routes: 3, resources: 4 });
    const rule = (name: string) => ({ bus: 'shop', name, pattern: '{"source":["shop"]}', targets: [{ id: 't', function: 'a-Worker' }] });
    const withRules = config({ functions: ['a-Worker'], resources: { sqs: [{ QueueName: 'jobs' }] }, rules: { 'shop/placed': rule('placed'), 'shop/paid': rule('paid') } });
    expect(countRuntimeConfigs([withRules])).toEqual({ functions: 1, routes: 0, resources: 3 });
  });

  it('adds up the entries of an artifact, and nothing counts as zero', () => {
    const one = config({ functions: ['a-Hello'], routes: [route('/a', 'a-Hello')], resources: { dynamodb: [table('items')] } });
    const two = config({ functions: ['b-Hello', 'b-Other'], resources: { s3: [{ BucketName: 'b-files' }] } });
    expect(countRuntimeConfigs([one, two])).toEqual({ functions: 3, routes: 1, resources: 2 });
    expect(countRuntimeConfigs([config({ functions: [] })])).toEqual({ functions: 0, routes: 0, resources: 0 });
    expect(countRuntimeConfigs([])).toEqual({ functions: 0, routes: 0, resources: 0 });
  });
});

describe('provisionedMessage', () => {
  const report = (parts: Partial<ProvisionReport> = {}): ProvisionReport => ({ tables: [], buckets: [], queues: [], streams: [], secrets: [], parameters: [], scheduleGroups: [], schedules: [], customResources: [], warnings: [], durationMs: 1, ...parts });

  it('says a stack with nothing to provision has nothing to provision, listing no kinds', () => {
    expect(provisionedMessage(report())).toBe('nothing to provision');
  });

  it('counts what was provisioned, with the warnings', () => {
    expect(provisionedMessage(report({ tables: [{ name: 't', status: 'created' }] }))).toBe('1 table(s), 0 bucket(s), 0 queue(s), 0 stream(s)');
    expect(provisionedMessage(report({ schedules: [{ name: 's', status: 'created' }], warnings: ['custom resources not run'] }))).toBe('0 table(s), 0 bucket(s), 0 queue(s), 0 stream(s), 1 schedule(s); custom resources not run');
  });
});
