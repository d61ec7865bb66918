// Invariants of the merge, over generated configs: nothing is deleted, the last write wins,
// and applying the same deploy twice changes nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FunctionsFile, ResourcesFile, RoutingFile } from '@esb/contracts';
import { mergeConfig, routeKey, type RuntimeConfig } from './merge.js';

const name = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const path = fc.constantFrom('/', '/x', '/y/{id}', '/z/{proxy+}');
const method = fc.constantFrom('GET', 'POST', 'ANY');
const fnConfig = fc.record({ handler: fc.constantFrom('h1', 'h2', 'h3'), environment: fc.dictionary(fc.constantFrom('K1', 'K2'), fc.string()) });
const routeArb = fc.record({ path, method, function: name, api: fc.constantFrom('ServerlessHttpApi', 'Api2') });
const tableArb = fc.record({
  TableName: fc.constantFrom('users', 'orders', 'carts'),
  KeySchema: fc.constant([{ AttributeName: 'id', KeyType: 'HASH' }]),
  AttributeDefinitions: fc.constant([{ AttributeName: 'id', AttributeType: 'S' }]),
  BillingMode: fc.constantFrom('PROVISIONED', 'PAY_PER_REQUEST'),
});
const bucketArb = fc.record({ BucketName: fc.constantFrom('assets', 'uploads', 'logs') });

const configArb: fc.Arbitrary<RuntimeConfig> = fc
  .record({
    functions: fc.dictionary(name, fnConfig),
    defaults: fc.dictionary(fc.constantFrom('LOG_LEVEL', 'REGION', 'TZ'), fc.string()),
    // CONFIG_DIR files written by apply never hold two routes with one key.
    routes: fc.uniqueArray(routeArb, { maxLength: 8, selector: (r) => `${r.method} ${r.path}` }),
    apis: fc.dictionary(fc.constantFrom('ServerlessHttpApi', 'Api2'), fc.record({ type: fc.constantFrom('rest', 'http'), stage: fc.constantFrom('prod', 'dev') })),
    dynamodb: fc.option(fc.uniqueArray(tableArb, { maxLength: 4, selector: (t) => t.TableName }), { nil: undefined }),
    s3: fc.option(fc.uniqueArray(bucketArb, { maxLength: 3, selector: (b) => b.BucketName }), { nil: undefined }),
  })
  .map((x) => ({
    functions: FunctionsFile.parse({ defaults: { environment: x.defaults }, functions: x.functions }),
    routing: RoutingFile.parse({ routes: x.routes, apis: x.apis }),
    resources: ResourcesFile.parse({ resources: { ...(x.dynamodb ? { dynamodb: x.dynamodb } : {}), ...(x.s3 ? { s3: x.s3 } : {}) } }),
  }));

const keys = (c: RuntimeConfig) => ({
  functions: new Set(Object.keys(c.functions.functions)),
  routes: new Set(c.routing.routes.map(routeKey)),
  apis: new Set(Object.keys(c.routing.apis)),
  tables: new Set((c.resources.resources.dynamodb ?? []).map((t) => t.TableName)),
  buckets: new Set((c.resources.resources.s3 ?? []).map((b) => b.BucketName)),
  defaults: new Set(Object.keys(c.functions.defaults.environment)),
});

describe('mergeConfig properties', () => {
  it('never deletes: every key of either side is in the result', () => {
    fc.assert(
      fc.property(configArb, configArb, (existing, incoming) => {
        const out = keys(mergeConfig(existing, incoming).merged);
        for (const side of [keys(existing), keys(incoming)]) {
          for (const k of Object.keys(side) as (keyof typeof side)[]) for (const v of side[k]) expect(out[k].has(v)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('last write wins: the result holds the incoming value of every key it sets (defaults: the existing value)', () => {
    fc.assert(
      fc.property(configArb, configArb, (existing, incoming) => {
        const { merged } = mergeConfig(existing, incoming);
        for (const [k, f] of Object.entries(incoming.functions.functions)) expect(merged.functions.functions[k]).toEqual(f);
        const lastRoute = new Map(incoming.routing.routes.map((r) => [routeKey(r), r]));
        for (const r of merged.routing.routes) if (lastRoute.has(routeKey(r))) expect(r).toEqual(lastRoute.get(routeKey(r)));
        for (const [k, a] of Object.entries(incoming.routing.apis)) expect(merged.routing.apis[k]).toEqual(a);
        const lastTable = new Map((incoming.resources.resources.dynamodb ?? []).map((t) => [t.TableName, t]));
        for (const t of merged.resources.resources.dynamodb ?? []) if (lastTable.has(t.TableName)) expect(t).toEqual(lastTable.get(t.TableName));
        for (const [k, v] of Object.entries(existing.functions.defaults.environment)) expect(merged.functions.defaults.environment[k]).toBe(v);
        // keys are unique after a merge
        expect(new Set(merged.routing.routes.map(routeKey)).size).toBe(merged.routing.routes.length);
      }),
      { numRuns: 200 },
    );
  });

  it('is idempotent: applying the same deploy again changes nothing and reports no addition or replacement', () => {
    fc.assert(
      fc.property(configArb, configArb, (existing, incoming) => {
        const once = mergeConfig(existing, incoming).merged;
        const twice = mergeConfig(once, incoming);
        expect(twice.merged).toEqual(once);
        expect(twice.report.functions.added).toEqual([]);
        expect(twice.report.functions.replaced).toEqual([]);
        expect(twice.report.routes.added).toEqual([]);
        expect(twice.report.routes.replaced).toEqual([]);
        expect(twice.report.defaults.added).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
