import { describe, expect, it } from 'vitest';
import { EMPTY_FUNCTIONS, type BusEvent, type EventRule, type FunctionsFile } from '@esb/contracts';
import { EventRules, fillTemplate, targetInput, valueAt } from './eventbridge.js';

const event = (bus: string, detailType: string, detail: Record<string, unknown>): BusEvent => ({
  bus,
  event: { version: '0', id: `id-${detailType}`, 'detail-type': detailType, source: 'shop.orders', account: '123456789012', time: '2026-12-06T03:00:00Z', region: 'us-east-1', resources: [], detail },
});

const withRules = (...rules: EventRule[]): FunctionsFile => ({ ...EMPTY_FUNCTIONS, rules: Object.fromEntries(rules.map((r) => [`${r.bus}/${r.name}`, r])) });

function router() {
  const fired: Array<[string, unknown, string]> = [];
  const sent: Array<[string, unknown, unknown]> = [];
  const started: Array<[string, unknown, string]> = [];
  const put: Array<[string, unknown, string]> = [];
  const delivered: Array<[string, unknown, string]> = [];
  const ran: Array<[string, string, unknown, string]> = [];
  const published: Array<[string, unknown, string]> = [];
  const logged: Array<[string, string, string]> = [];
  const infos: string[] = [];
  const rules = new EventRules({
    region: 'us-east-1',
    fire: (fn, payload, rule) => fired.push([fn, JSON.parse(payload.toString()), rule]),
    send: (queue, body, _rule, fifo) => sent.push([queue, JSON.parse(body), fifo]),
    start: (machine, input, rule) => started.push([machine, JSON.parse(input), rule]),
    put: (stream, data, partitionKey) => put.push([stream, JSON.parse(data), partitionKey]),
    putDelivery: (deliveryStream, data, rule) => delivered.push([deliveryStream, JSON.parse(data), rule]),
    graphql: (api, operation, variables, rule) => ran.push([api, operation, JSON.parse(variables), rule]),
    publish: (topic, message, rule) => published.push([topic, JSON.parse(message), rule]),
    log: (group, line, rule) => logged.push([group, line, rule]),
    info: (_f, m) => infos.push(m),
  });
  return { rules, fired, sent, started, put, delivered, ran, published, logged, infos };
}

describe('EventBridge rules', () => {
  it('sends an event to every target of each enabled rule of its bus whose pattern matches', () => {
    const { rules, fired, sent } = router();
    rules.setFunctions(
      withRules(
        { bus: 'shop', name: 'placed', pattern: '{"detail-type":["OrderPlaced"],"detail":{"total":[{"numeric":[">",100]}]}}', enabled: true, targets: [{ id: 'f', function: 'notify' }, { id: 'q', queue: 'audit.fifo', message_group_id: 'orders' }] },
        { bus: 'shop', name: 'off', pattern: '{"source":["shop.orders"]}', enabled: false, targets: [{ id: 'f', function: 'never' }] },
        { bus: 'default', name: 'same-pattern-other-bus', pattern: '{"source":["shop.orders"]}', enabled: true, targets: [{ id: 'f', function: 'other' }] },
      ),
    );
    expect(rules.deliver([event('shop', 'OrderPlaced', { total: 150 }), event('shop', 'OrderPlaced', { total: 50 }), event('shop', 'OrderShipped', { total: 500 })])).toBe(2);
    expect(fired).toEqual([['notify', expect.objectContaining({ 'detail-type': 'OrderPlaced', detail: { total: 150 } }), 'rule placed']]);
    expect(sent).toEqual([['audit.fifo', expect.objectContaining({ id: 'id-OrderPlaced' }), { groupId: 'orders', deduplicationId: 'id-OrderPlaced' }]]);
  });

  it('puts a record to a Kinesis stream target, keyed by the value at PartitionKeyPath or else the event id', () => {
    const { rules, put } = router();
    rules.setFunctions(
      withRules({ bus: 'default', name: 'to-stream', pattern: '{"source":["shop.orders"]}', enabled: true, targets: [{ id: 'keyed', stream: 'orders', partition_key_path: '$.detail.customer', input_path: '$.detail' }, { id: 'plain', stream: 'audit' }, { id: 'missing-key', stream: 'audit', partition_key_path: '$.detail.nope' }] }),
    );
    expect(rules.deliver([event('default', 'OrderPlaced', { id: 'o-7', customer: 'c-42' })])).toBe(3);
    expect(put).toEqual([
      ['orders', { id: 'o-7', customer: 'c-42' }, 'c-42'],
      ['audit', expect.objectContaining({ id: 'id-OrderPlaced' }), 'id-OrderPlaced'],
      ['audit', expect.objectContaining({ id: 'id-OrderPlaced' }), 'id-OrderPlaced'],
    ]);
    expect(rules.list()).toEqual([{ rule: 'default/to-stream', bus: 'default', targets: ['stream:orders', 'stream:audit', 'stream:audit'] }]);
  });

  it('puts a record to a Firehose delivery stream target', () => {
    const { rules, delivered } = router();
    rules.setFunctions(withRules({ bus: 'default', name: 'to-s3', pattern: '{"source":["shop.orders"]}', enabled: true, targets: [{ id: 'f', delivery_stream: 'orders-to-s3', input_path: '$.detail' }] }));
    expect(rules.deliver([event('default', 'OrderPlaced', { id: 'o-8' })])).toBe(1);
    expect(delivered).toEqual([['orders-to-s3', { id: 'o-8' }, 'rule to-s3']]);
    expect(rules.list()).toEqual([{ rule: 'default/to-s3', bus: 'default', targets: ['delivery-stream:orders-to-s3'] }]);
  });

  it('runs an AppSync target\'s GraphQL operation with what its input transformer makes of the event as variables', () => {
    const { rules, ran } = router();
    const op = 'mutation Create($title: String!) { createNote(title: $title) { id } }';
    rules.setFunctions(
      withRules({ bus: 'default', name: 'to-api', pattern: '{"source":["shop.orders"]}', enabled: true, targets: [{ id: 'api', graphql_api: 'abc123', graphql_operation: op, input_transformer: { paths: { title: '$.detail.id' }, template: '{"title": <title>}' } }] }),
    );
    expect(rules.deliver([event('default', 'OrderPlaced', { id: 'o-9' })])).toBe(1);
    expect(ran).toEqual([['abc123', op, { title: 'o-9' }, 'rule to-api']]);
    expect(rules.list()).toEqual([{ rule: 'default/to-api', bus: 'default', targets: ['graphql-api:abc123'] }]);
  });

  it('publishes to an SNS topic target and writes a line to a log group target; stats name both', () => {
    const { rules, published, logged } = router();
    rules.setFunctions(withRules({ bus: 'shop', name: 'fan', pattern: '{"source":["shop.orders"]}', enabled: true, targets: [{ id: 't', topic: 'orders-topic', input_path: '$.detail' }, { id: 'l', log_group: '/aws/events/orders' }] }));
    expect(rules.deliver([event('shop', 'OrderPlaced', { id: 7 })])).toBe(2);
    expect(published).toEqual([['orders-topic', { id: 7 }, 'rule fan']]);
    expect(logged).toHaveLength(1);
    expect(logged[0][0]).toBe('/aws/events/orders');
    expect(JSON.parse(logged[0][1])).toMatchObject({ 'detail-type': 'OrderPlaced', detail: { id: 7 } });
    expect(rules.list()).toEqual([{ rule: 'shop/fan', bus: 'shop', targets: ['topic:orders-topic', 'log-group:/aws/events/orders'] }]);
  });

  it('starts an execution of a state machine target with the event or what its input fields make of it', () => {
    const { rules, started } = router();
    rules.setFunctions(
      withRules({ bus: 'default', name: 'orders', pattern: '{"source":["shop.orders"]}', enabled: true, targets: [{ id: 'whole', state_machine: 'Fulfil' }, { id: 'detail', state_machine: 'Audit', input_path: '$.detail' }] }),
    );
    expect(rules.deliver([event('default', 'OrderPlaced', { id: 'o-7' })])).toBe(2);
    expect(started).toEqual([
      ['Fulfil', expect.objectContaining({ id: 'id-OrderPlaced', detail: { id: 'o-7' } }), 'rule orders'],
      ['Audit', { id: 'o-7' }, 'rule orders'],
    ]);
    expect(rules.list()).toEqual([{ rule: 'default/orders', bus: 'default', targets: ['state-machine:Fulfil', 'state-machine:Audit'] }]);
  });

  it('says once that a bus no rule reads got an event', () => {
    const { rules, infos } = router();
    rules.setFunctions(withRules());
    rules.deliver([event('typo-bus', 'A', {}), event('typo-bus', 'B', {})]);
    expect(infos).toEqual(['an event was put on bus typo-bus, which no deployed rule reads']);
  });

  it('shapes what a target gets: Input, InputPath, InputTransformer', () => {
    const e = event('shop', 'OrderPlaced', { id: 'o-1', items: [{ sku: 'a"b' }], total: 3 }).event;
    const rule = { bus: 'shop', name: 'r' };
    expect(targetInput({ id: 't', function: 'f', input: '{"fixed":true}' }, e, rule, 'us-east-1')).toBe('{"fixed":true}');
    expect(JSON.parse(targetInput({ id: 't', function: 'f', input_path: '$.detail.items[0]' }, e, rule, 'us-east-1'))).toEqual({ sku: 'a"b' });
    expect(targetInput({ id: 't', function: 'f', input_path: '$.detail.missing' }, e, rule, 'us-east-1')).toBe('null');
    const transformed = targetInput(
      { id: 't', function: 'f', input_transformer: { paths: { id: '$.detail.id', sku: "$.detail.items[0]['sku']", total: '$.detail.total' }, template: '{"order": <id>, "text": "order <id> of <sku>, total <total>", "n": <total>, "rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>"}' } },
      e,
      rule,
      'us-east-1',
    );
    expect(JSON.parse(transformed)).toEqual({ order: 'o-1', text: 'order o-1 of a"b, total 3', n: 3, rule: 'r', arn: 'arn:aws:events:us-east-1:123456789012:rule/shop/r' });
    expect(JSON.parse(targetInput({ id: 't', function: 'f', input_transformer: { paths: { id: '$.detail.id' }, template: '"Order <id> placed"' } }, e, rule, 'us-east-1'))).toBe('Order o-1 placed');
  });

  it('reads the JSONPath forms EventBridge takes, and nothing else', () => {
    const v = { a: { 'b c': [1, { d: 2 }] } };
    expect(valueAt(v, '$')).toBe(v);
    expect(valueAt(v, "$.a['b c'][1].d")).toBe(2);
    expect(valueAt(v, '$.a["b c"][0]')).toBe(1);
    expect(valueAt(v, '$.a.x')).toBeUndefined();
    expect(valueAt(v, '$.a..d')).toBeUndefined();
    expect(valueAt(v, 'a.b')).toBeUndefined();
    expect(valueAt({}, '$.__proto__')).toBeUndefined();
    expect(fillTemplate('<unknown> <x>', new Map([['x', undefined]]))).toBe('<unknown> null');
  });
});
