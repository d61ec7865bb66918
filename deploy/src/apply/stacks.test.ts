import { EMPTY_STACKS } from '@esb/contracts';
import { describe, expect, it } from 'vitest';
import { ExportConflictError } from './errors.js';
import type { RuntimeConfig } from './merge.js';
import { exportTable, recordStack } from './stacks.js';

const config = (fns: string[], routes: Array<[string, string]>, tables: string[] = []): RuntimeConfig => ({
  functions: { defaults: { environment: {}, scaling: {} }, functions: Object.fromEntries(fns.map((f) => [f, { timeout: 3, memory_size: 128, package_type: 'Zip' as const, environment: {}, scaling: {}, layers: [], events: [] }])) },
  routing: { routes: routes.map(([method, path]) => ({ method: method as 'GET', path, function: fns[0], api: 'ServerlessRestApi' })), apis: {} },
  resources: { resources: { dynamodb: tables.map((TableName) => ({ TableName, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }] })) } },
});

describe('recordStack', () => {
  it('records each stack\'s own routes and owners; a second stack taking a route or table is a take-over', () => {
    const a = recordStack(EMPTY_STACKS, 'a', config(['a-Hello'], [['GET', '/hello'], ['GET', '/a']], ['shared']), { deployment: 'default/a-default', template: '/w/a/template.yaml' });
    expect(a.takeovers).toEqual([]);
    const b = recordStack(a.stacks, 'b', config(['b-Hello'], [['GET', '/hello']], ['shared']), { deployment: 'default/b-default', template: '/w/b/template.yaml' });
    expect(b.takeovers).toEqual([
      { kind: 'routes', key: 'GET /hello', fromStack: 'a', fromDeployment: 'default/a-default' },
      { kind: 'tables', key: 'shared', fromStack: 'a', fromDeployment: 'default/a-default' },
    ]);
    expect(b.warnings[0]).toBe('took over route GET /hello (was stack a, deployment default/a-default): last write wins');
    // a's own routes stay whole: its stack host still serves its GET /hello.
    expect(b.stacks.stacks.a.routing.routes.map((r) => r.path)).toEqual(['/hello', '/a']);
    expect(b.stacks.owners.routes).toEqual({ 'GET /hello': 'b', 'GET /a': 'a' });
  });

  it('claims Kinesis streams by Name as `streams`: another stack deploying one is a take-over', () => {
    const withStreams = (fns: string[], streams: string[]): RuntimeConfig => ({ ...config(fns, []), resources: { resources: { kinesis: streams.map((Name) => ({ Name })) } } });
    const a = recordStack(EMPTY_STACKS, 'a', withStreams(['a-F'], ['clicks', 'a-only']), { deployment: 'default/a' });
    expect(a.stacks.owners.streams).toEqual({ clicks: 'a', 'a-only': 'a' });
    const b = recordStack(a.stacks, 'b', withStreams(['b-F'], ['clicks']), { deployment: 'default/b' });
    expect(b.takeovers).toEqual([{ kind: 'streams', key: 'clicks', fromStack: 'a', fromDeployment: 'default/a' }]);
    expect(b.warnings).toEqual(['took over stream clicks (was stack a, deployment default/a): last write wins']);
    expect(b.stacks.owners.streams).toEqual({ clicks: 'b', 'a-only': 'a' });
    // The record it was given is not changed.
    expect(a.stacks.owners.streams).toEqual({ clicks: 'a', 'a-only': 'a' });
  });

  it('claims secrets and parameters by Name: another stack deploying one is a take-over', () => {
    const withBoth = (fns: string[], secrets: string[], parameters: string[]): RuntimeConfig => ({ ...config(fns, []), resources: { resources: { secrets: secrets.map((Name) => ({ Name })), parameters: parameters.map((Name) => ({ Name, Type: 'String' as const, Value: 'v' })) } } });
    const a = recordStack(EMPTY_STACKS, 'a', withBoth(['a-F'], ['db'], ['/cfg/url']), { deployment: 'default/a' });
    expect([a.stacks.owners.secrets, a.stacks.owners.parameters]).toEqual([{ db: 'a' }, { '/cfg/url': 'a' }]);
    const b = recordStack(a.stacks, 'b', withBoth(['b-F'], ['db'], ['/cfg/url']), { deployment: 'default/b' });
    expect(b.warnings).toEqual(['took over secret db (was stack a, deployment default/a): last write wins', 'took over parameter /cfg/url (was stack a, deployment default/a): last write wins']);
  });

  it("a queue taken over names the other stacks' functions that still read it: its messages are shared with them", () => {
    const withQueue = (fns: string[], readers: string[]): RuntimeConfig => {
      const c = config(fns, []);
      for (const f of readers) c.functions.functions[f].events = [{ type: 'sqs', name: `${f}Jobs`, queue: 'jobs', batch_size: 10, batching_window_seconds: 0, enabled: true, report_batch_item_failures: false } as never];
      return { ...c, resources: { resources: { sqs: [{ QueueName: 'jobs' }] } } };
    };
    const a = withQueue(['a-Worker', 'a-Other'], ['a-Worker']);
    const recordedA = recordStack(EMPTY_STACKS, 'a', a, { deployment: 'default/a' });
    const b = recordStack(recordedA.stacks, 'b', withQueue(['b-Worker'], ['b-Worker']), { deployment: 'default/b' }, {}, a);
    expect(b.warnings).toEqual(['took over queue jobs (was stack a, deployment default/a): last write wins; a-Worker of other stacks still read it, so its messages are shared with them']);
    // Without another stack's reader (or without the CONFIG_DIR's functions), the plain warning.
    const c = recordStack(recordedA.stacks, 'c', withQueue(['c-F'], []), { deployment: 'default/c' }, {}, withQueue(['a-Worker'], []));
    expect(c.warnings).toEqual(['took over queue jobs (was stack a, deployment default/a): last write wins']);
  });

  it('claims Firehose delivery streams by name as `delivery_streams`', () => {
    const withHoses = (fns: string[], names: string[]): RuntimeConfig => {
      const c = config(fns, []);
      return { ...c, functions: { ...c.functions, delivery_streams: Object.fromEntries(names.map((name) => [name, { name, source: { type: 'direct' as const }, destination: { bucket: 'sink', prefix: '', buffer_seconds: 300, buffer_mb: 5, compression: 'UNCOMPRESSED' as const } }])) } };
    };
    const a = recordStack(EMPTY_STACKS, 'a', withHoses(['a-F'], ['clicks']), { deployment: 'default/a' });
    const b = recordStack(a.stacks, 'b', withHoses(['b-F'], ['clicks', 'b-only']), { deployment: 'default/b' });
    expect(b.takeovers).toEqual([{ kind: 'delivery_streams', key: 'clicks', fromStack: 'a', fromDeployment: 'default/a' }]);
    expect(b.warnings).toEqual(['took over delivery stream clicks (was stack a, deployment default/a): last write wins']);
    expect(b.stacks.owners.delivery_streams).toEqual({ clicks: 'b', 'b-only': 'b' });
  });

  it('warns when the same stack name is deployed from another template', () => {
    const first = recordStack(EMPTY_STACKS, 'app', config(['app-F'], []), { template: '/one/template.yaml' });
    const again = recordStack(first.stacks, 'app', config(['app-F'], []), { template: '/one/template.yaml' });
    expect(again.warnings).toEqual([]);
    const moved = recordStack(first.stacks, 'app', config(['app-F'], []), { template: '/two/template.yaml' });
    expect(moved.warnings[0]).toContain('stack app was deployed from /one/template.yaml; this deploy from /two/template.yaml replaces it');
    expect(moved.takeovers).toEqual([]);
  });

  it("records the stack's Outputs; exportTable gives every other stack's exports by name", () => {
    const shared = recordStack(EMPTY_STACKS, 'cognito', config(['cognito-F'], []), { deployment: 'default/cognito-default' }, {
      digest: 'sha256:1',
      outputs: { UserPool: { value: 'pool-1', description: 'the pool', export: 'cognito-UserPool' }, Arn: { value: 'arn:x' }, Label: { problem: 'not here', export: 'cognito-Label' } },
    });
    expect(shared.stacks.stacks.cognito).toEqual({
      deployment: 'default/cognito-default',
      digest: 'sha256:1',
      outputs: { UserPool: { value: 'pool-1', description: 'the pool', export: 'cognito-UserPool' }, Arn: { value: 'arn:x' }, Label: { problem: 'not here', export: 'cognito-Label' } },
      routing: { routes: [], apis: {} },
    });
    const api = recordStack(shared.stacks, 'api', config(['api-F'], []), { deployment: 'default/api-default' }, { outputs: { Url: { value: 'https://x' } } });
    expect(exportTable(api.stacks)).toEqual({
      'cognito-UserPool': { stack: 'cognito', output: 'UserPool', value: 'pool-1', deployment: 'default/cognito-default' },
      'cognito-Label': { stack: 'cognito', output: 'Label', problem: 'not here', deployment: 'default/cognito-default' },
    });
    // A stack's own exports are not there for it to import.
    expect(exportTable(api.stacks, 'cognito')).toEqual({});
    // No outputs, no `outputs` key: a stack without them is recorded as before.
    expect(recordStack(EMPTY_STACKS, 'plain', config(['plain-F'], [])).stacks.stacks.plain).toEqual({ routing: { routes: [], apis: {} } });
  });

  it('refuses an export name another stack exports, naming both stacks and the export; a stack exporting its own names again is fine', () => {
    const first = recordStack(EMPTY_STACKS, 'cognito', config(['cognito-F'], []), { deployment: 'default/cognito-default' }, { outputs: { UserPool: { value: 'pool-1', export: 'shared-UserPool' } } });
    const again = recordStack(first.stacks, 'cognito', config(['cognito-F'], []), { deployment: 'default/cognito-default' }, { outputs: { UserPool: { value: 'pool-2', export: 'shared-UserPool' } } });
    expect(exportTable(again.stacks)['shared-UserPool']).toMatchObject({ stack: 'cognito', value: 'pool-2' });
    let err: unknown;
    try {
      recordStack(again.stacks, 'impostor', config(['impostor-F'], []), { deployment: 'default/impostor-default' }, { outputs: { Pool: { value: 'other', export: 'shared-UserPool' } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExportConflictError);
    expect((err as ExportConflictError).conditionReason).toBe('Conflict');
    expect((err as Error).message).toBe(
      'stack impostor exports "shared-UserPool" (output Pool), which stack cognito already exports (output UserPool, deployment default/cognito-default); an export name belongs to one stack of an env, as in CloudFormation: give one of them another Export Name (e.g. !Sub "${AWS::StackName}-Pool")',
    );
    // Once the first stack no longer exports the name, another may.
    const dropped = recordStack(again.stacks, 'cognito', config(['cognito-F'], []), {}, { outputs: { UserPool: { value: 'pool-2' } } });
    expect(exportTable(recordStack(dropped.stacks, 'impostor', config(['impostor-F'], []), {}, { outputs: { Pool: { value: 'other', export: 'shared-UserPool' } } }).stacks)['shared-UserPool']).toMatchObject({ stack: 'impostor' });
  });
});
