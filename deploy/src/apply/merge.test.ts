import { describe, expect, it } from 'vitest';
import { FunctionsFile, ResourcesFile, RoutingFile } from '@esb/contracts';
import { mergeConfig, type RuntimeConfig } from './merge.js';

function cfg(parts: { functions?: unknown; routing?: unknown; resources?: unknown } = {}): RuntimeConfig {
  return {
    functions: FunctionsFile.parse(parts.functions ?? {}),
    routing: RoutingFile.parse(parts.routing ?? {}),
    resources: ResourcesFile.parse(parts.resources ?? {}),
  };
}
const route = (path: string, method: string, fn: string, api = 'ServerlessHttpApi') => ({ path, method, function: fn, api });
const table = (name: string, key = 'id') => ({
  TableName: name,
  KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
});

describe('mergeConfig: functions', () => {
  it('replaces a function whole by name (no field-level merge) and keeps the others', () => {
    const existing = cfg({ functions: { functions: { a: { handler: 'a.old', environment: { X: '1', Y: '2' } }, b: { handler: 'b' } } } });
    const incoming = cfg({ functions: { functions: { a: { handler: 'a.new', environment: { Z: '3' } }, c: { handler: 'c' } } } });
    const { merged, report } = mergeConfig(existing, incoming);
    expect(merged.functions.functions.a.handler).toBe('a.new');
    expect(merged.functions.functions.a.environment).toEqual({ Z: '3' });
    expect(Object.keys(merged.functions.functions)).toEqual(['a', 'b', 'c']);
    expect(report.functions).toEqual({ added: ['c'], replaced: ['a'], unchanged: [], kept: ['b'] });
  });

  it('reports an identical function as unchanged', () => {
    const x = cfg({ functions: { functions: { a: { handler: 'a' } } } });
    expect(mergeConfig(x, x).report.functions).toEqual({ added: [], replaced: [], unchanged: ['a'], kept: [] });
  });

  it('keeps existing defaults and adds only missing keys (nested)', () => {
    const existing = cfg({ functions: { defaults: { environment: { LOG_LEVEL: 'debug' }, scaling: { idle_timeout: 60 } } } });
    const incoming = cfg({
      functions: { defaults: { environment: { LOG_LEVEL: 'info', REGION: 'local' }, scaling: { idle_timeout: 5, acquire_timeout: 9 } } },
    });
    const { merged, report } = mergeConfig(existing, incoming);
    expect(merged.functions.defaults).toEqual({ environment: { LOG_LEVEL: 'debug', REGION: 'local' }, scaling: { idle_timeout: 60, acquire_timeout: 9 } });
    expect(report.defaults.added.sort()).toEqual(['environment.REGION', 'scaling.acquire_timeout']);
    expect(report.defaults.kept.sort()).toEqual(['environment.LOG_LEVEL', 'scaling.idle_timeout']);
  });

  it('treats a function named __proto__ as a plain key', () => {
    const incoming = cfg();
    incoming.functions.functions = JSON.parse('{"__proto__": {"handler": "p"}}');
    const { merged } = mergeConfig(cfg(), incoming);
    expect(Object.keys(merged.functions.functions)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(merged.functions.functions)).toBe(Object.prototype);
  });
});

describe('mergeConfig: routes and apis', () => {
  it('keys routes by (path, method): a match is replaced in place, a new one appended', () => {
    const existing = cfg({ routing: { routes: [route('/a', 'GET', 'f1'), route('/b', 'GET', 'f1'), route('/a', 'POST', 'f1')] } });
    const incoming = cfg({ routing: { routes: [route('/new', 'GET', 'f2'), route('/a', 'GET', 'f2')] } });
    const { merged, report } = mergeConfig(existing, incoming);
    expect(merged.routing.routes.map((r) => `${r.method} ${r.path} ${r.function}`)).toEqual([
      'GET /a f2',
      'GET /b f1',
      'POST /a f1',
      'GET /new f2',
    ]);
    expect(report.routes).toEqual({ added: ['GET /new'], replaced: ['GET /a'], unchanged: [], kept: ['GET /b', 'POST /a'] });
  });

  it('treats the same path with another method (and ANY) as another route', () => {
    const existing = cfg({ routing: { routes: [route('/x', 'GET', 'f1')] } });
    const incoming = cfg({ routing: { routes: [route('/x', 'ANY', 'f2')] } });
    expect(mergeConfig(existing, incoming).merged.routing.routes).toHaveLength(2);
  });

  it('applies duplicate keys inside one deploy in order: the last wins', () => {
    const incoming = cfg({ routing: { routes: [route('/a', 'GET', 'first'), route('/a', 'GET', 'second')] } });
    const { merged, report } = mergeConfig(cfg(), incoming);
    expect(merged.routing.routes).toEqual([route('/a', 'GET', 'second')]);
    expect(report.routes.added).toEqual(['GET /a']);
  });

  it('merges apis by id, last wins', () => {
    const existing = cfg({ routing: { apis: { A: { type: 'rest', stage: 'prod' }, B: { type: 'http' } } } });
    const incoming = cfg({ routing: { apis: { A: { type: 'rest', stage: 'v2' }, C: { type: 'http' } } } });
    const { merged, report } = mergeConfig(existing, incoming);
    expect(merged.routing.apis.A.stage).toBe('v2');
    expect(Object.keys(merged.routing.apis)).toEqual(['A', 'B', 'C']);
    expect(report.apis).toEqual({ added: ['C'], replaced: ['A'], unchanged: [], kept: ['B'] });
  });

  it('merges websockets by id, last wins, and reports them as apis are', () => {
    const ws = (stage: string, fn?: string) => ({ stage, routes: [{ key: '$default', ...(fn ? { function: fn } : {}) }] });
    const existing = cfg({ functions: { functions: { f: {} } }, routing: { websockets: { Chat: ws('prod', 'f'), Feed: ws('prod') } } });
    const incoming = cfg({ routing: { websockets: { Chat: ws('v2', 'f'), Echo: ws('dev', 'ghost') } } });
    const { merged, report, warnings } = mergeConfig(existing, incoming);
    expect(Object.entries(merged.routing.websockets ?? {}).map(([id, a]) => `${id} ${a.stage}`)).toEqual(['Chat v2', 'Feed prod', 'Echo dev']);
    expect(report.websockets).toEqual({ added: ['Echo'], replaced: ['Chat'], unchanged: [], kept: ['Feed'] });
    expect(warnings.join('\n')).toMatch(/WebSocket route \$default of Echo points at function "ghost", which is not deployed/);
  });

  it('keeps working with a CONFIG_DIR whose routing.yml has no websockets', () => {
    const { merged, report } = mergeConfig(cfg({ routing: { routes: [route('/a', 'GET', 'f')] } }), cfg({ routing: { routes: [route('/b', 'GET', 'f')] } }));
    expect(merged.routing.websockets).toBeUndefined();
    expect(report.websockets).toEqual({ added: [], replaced: [], unchanged: [], kept: [] });
    const kept = mergeConfig(cfg({ routing: { websockets: { Chat: { stage: 'prod' } } } }), cfg()).merged.routing.websockets;
    expect(Object.keys(kept ?? {})).toEqual(['Chat']);
  });

  it('warns when an incoming route points at a function that is not deployed', () => {
    const { warnings } = mergeConfig(cfg(), cfg({ routing: { routes: [route('/a', 'GET', 'ghost')] } }));
    expect(warnings.join('\n')).toMatch(/GET \/a.*"ghost".*not deployed/);
  });
});

describe('mergeConfig: resources', () => {
  it('merges DynamoDB by TableName, S3 by BucketName, layers by Name', () => {
    const existing = cfg({
      resources: {
        resources: {
          dynamodb: [table('users'), table('orders')],
          s3: [{ BucketName: 'assets' }],
          layers: [{ Name: 'common', ContentUri: '/old' }],
        },
      },
    });
    const incoming = cfg({
      resources: {
        resources: {
          dynamodb: [table('orders', 'orderId'), table('carts')],
          s3: [{ BucketName: 'uploads' }],
          layers: [{ Name: 'common', ContentUri: '/new' }],
        },
      },
    });
    const { merged, report } = mergeConfig(existing, incoming);
    const r = merged.resources.resources;
    expect(r.dynamodb!.map((t) => t.TableName)).toEqual(['users', 'orders', 'carts']);
    expect(r.dynamodb![1].KeySchema[0].AttributeName).toBe('orderId');
    expect(r.s3!.map((b) => b.BucketName)).toEqual(['assets', 'uploads']);
    expect(r.layers).toEqual([{ Name: 'common', ContentUri: '/new' }]);
    expect(report.resources.dynamodb).toEqual({ added: ['carts'], replaced: ['orders'], unchanged: [], kept: ['users'] });
    expect(report.resources.layers.replaced).toEqual(['common']);
  });

  it('keeps existing kinds the deploy does not mention', () => {
    const existing = cfg({ resources: { resources: { s3: [{ BucketName: 'assets' }] } } });
    const { merged, report } = mergeConfig(existing, cfg({ resources: { resources: { dynamodb: [table('t1x')] } } }));
    expect(merged.resources.resources.s3).toEqual([{ BucketName: 'assets' }]);
    expect(report.resources.s3.kept).toEqual(['assets']);
  });

  it('skips an unknown incoming resource kind with a warning, and keeps unknown kinds already there', () => {
    const existing = cfg({ resources: { resources: { legacy: [{ a: 1 }] } } });
    const incoming = cfg({ resources: { resources: { opensearch: [{ DomainName: 'k' }], dynamodb: [table('t1x')] } } as never });
    const { merged, report, warnings } = mergeConfig(existing, incoming);
    expect((merged.resources.resources as Record<string, unknown>).opensearch).toBeUndefined();
    expect((merged.resources.resources as Record<string, unknown>).legacy).toEqual([{ a: 1 }]);
    expect(report.resources.skipped).toEqual(['opensearch']);
    expect(warnings.join('\n')).toMatch(/unknown resource kind "opensearch" skipped/);
  });

  it('merges SQS queues by QueueName: last write wins, others kept', () => {
    const existing = cfg({ resources: { resources: { sqs: [{ QueueName: 'jobs', VisibilityTimeout: 30 }, { QueueName: 'mail' }] } } });
    const incoming = cfg({ resources: { resources: { sqs: [{ QueueName: 'jobs', VisibilityTimeout: 5 }, { QueueName: 'new' }] } } });
    const { merged, report } = mergeConfig(existing, incoming);
    expect(merged.resources.resources.sqs).toEqual([{ QueueName: 'jobs', VisibilityTimeout: 5 }, { QueueName: 'mail' }, { QueueName: 'new' }]);
    expect(report.resources.sqs).toMatchObject({ added: ['new'], replaced: ['jobs'], kept: ['mail'] });
  });

  it('merges Kinesis streams by Name: last write wins, others kept', () => {
    const existing = cfg({ resources: { resources: { kinesis: [{ Name: 'clicks', ShardCount: 1 }, { Name: 'orders', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }] } } });
    const incoming = cfg({ resources: { resources: { kinesis: [{ Name: 'clicks', ShardCount: 2, RetentionPeriodHours: 48 }, { Name: 'audit' }] } } });
    const { merged, report, warnings } = mergeConfig(existing, incoming);
    expect(merged.resources.resources.kinesis).toEqual([{ Name: 'clicks', ShardCount: 2, RetentionPeriodHours: 48 }, { Name: 'orders', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }, { Name: 'audit' }]);
    expect(report.resources.kinesis).toEqual({ added: ['audit'], replaced: ['clicks'], unchanged: [], kept: ['orders'] });
    expect(warnings).toEqual([]);
    // A deploy without streams keeps them.
    const again = mergeConfig(merged, cfg({}));
    expect(again.merged.resources.resources.kinesis).toEqual(merged.resources.resources.kinesis);
    expect(again.report.resources.kinesis.kept).toEqual(['clicks', 'orders', 'audit']);
  });

  it('merges secrets and SSM parameters by Name: last write wins, others kept', () => {
    const existing = cfg({ resources: { resources: { secrets: [{ Name: 'db', SecretString: 'old' }, { Name: 'api' }], parameters: [{ Name: '/a', Type: 'String', Value: '1' }] } } });
    const incoming = cfg({ resources: { resources: { secrets: [{ Name: 'db', GenerateSecretString: { PasswordLength: 20 } }], parameters: [{ Name: '/a', Type: 'String', Value: '1' }, { Name: '/b', Type: 'StringList', Value: 'x,y' }] } } });
    const { merged, report, warnings } = mergeConfig(existing, incoming);
    expect(merged.resources.resources.secrets).toEqual([{ Name: 'db', GenerateSecretString: { PasswordLength: 20 } }, { Name: 'api' }]);
    expect(merged.resources.resources.parameters).toEqual([{ Name: '/a', Type: 'String', Value: '1' }, { Name: '/b', Type: 'StringList', Value: 'x,y' }]);
    expect(report.resources.secrets).toEqual({ added: [], replaced: ['db'], unchanged: [], kept: ['api'] });
    expect(report.resources.parameters).toEqual({ added: ['/b'], replaced: [], unchanged: ['/a'], kept: [] });
    expect(warnings).toEqual([]);
  });

  it('merges Firehose delivery streams by name: last write wins, others kept; a transformation function not deployed is said', () => {
    const hose = (name: string, bucket: string, processor?: string) => ({ name, destination: { bucket, ...(processor ? { processor: { function: processor } } : {}) } });
    const existing = cfg({ functions: { functions: { upper: {} }, delivery_streams: { clicks: hose('clicks', 'old'), audit: hose('audit', 'logs') } } });
    const incoming = cfg({ functions: { delivery_streams: { clicks: hose('clicks', 'new', 'upper'), orders: hose('orders', 'sink', 'missing') } } });
    const { merged, report, warnings } = mergeConfig(existing, incoming);
    expect(Object.entries(merged.functions.delivery_streams ?? {}).map(([k, d]) => [k, d.destination.bucket])).toEqual([['clicks', 'new'], ['audit', 'logs'], ['orders', 'sink']]);
    expect(report.delivery_streams).toEqual({ added: ['orders'], replaced: ['clicks'], unchanged: [], kept: ['audit'] });
    expect(warnings).toEqual(['functions.yml: delivery stream orders is transformed by function "missing", which is not deployed']);
    expect(mergeConfig(merged, cfg({})).merged.functions.delivery_streams).toEqual(merged.functions.delivery_streams);
  });

  it("merges buckets' notifications by <bucket>/<id> (two apps' stay apart, the same bucket and id is last write wins) and the buckets that send to EventBridge as a set", () => {
    const n = (bucket: string, name: string, queue: string) => ({ name, bucket, events: ['s3:ObjectCreated:*'], queue });
    const existing = cfg({ functions: { bucket_notifications: { 'a-up/N1': n('a-up', 'N1', 'a-q'), 'shared/N1': n('shared', 'N1', 'a-q') }, eventbridge_buckets: ['a-up', 'shared'] } });
    const incoming = cfg({ functions: { bucket_notifications: { 'b-up/N1': n('b-up', 'N1', 'b-q'), 'shared/N1': n('shared', 'N1', 'b-q') }, eventbridge_buckets: ['b-up', 'shared'] } });
    const { merged, report } = mergeConfig(existing, incoming);
    expect(Object.entries(merged.functions.bucket_notifications ?? {}).map(([k, x]) => [k, x.queue])).toEqual([['a-up/N1', 'a-q'], ['shared/N1', 'b-q'], ['b-up/N1', 'b-q']]);
    expect(report.bucket_notifications).toEqual({ added: ['b-up/N1'], replaced: ['shared/N1'], unchanged: [], kept: ['a-up/N1'] });
    expect(merged.functions.eventbridge_buckets).toEqual(['a-up', 'shared', 'b-up']);
    expect(report.eventbridge_buckets).toEqual({ added: ['b-up'], replaced: [], unchanged: ['shared'], kept: ['a-up'] });
    expect(mergeConfig(cfg({}), cfg({})).merged.functions).not.toHaveProperty('bucket_notifications');
  });
});

describe('mergeConfig: purity', () => {
  it('does not modify its inputs', () => {
    const existing = cfg({ functions: { functions: { a: { handler: 'a' } } }, routing: { routes: [route('/a', 'GET', 'a')] } });
    const incoming = cfg({ functions: { functions: { b: { handler: 'b' } } }, routing: { routes: [route('/a', 'GET', 'b')] } });
    const before = JSON.stringify([existing, incoming]);
    mergeConfig(existing, incoming);
    expect(JSON.stringify([existing, incoming])).toBe(before);
  });
});
