import { describe, expect, it } from 'vitest';
import type { Message } from '@aws-sdk/client-sqs';
import { FunctionsFile, type InvokeResult } from '@esb/contracts';
import { FakeClock } from '@esb/contracts/testing';
import { describeSqsError, failedMessageIds, lambdaSqsRecord, mappingConcurrency, messageFilter, nextStep, SqsDelivery, type SqsPort } from './sqs-events.js';

const ENDPOINT = 'http://127.0.0.1:9324';
const QUEUE_URL = `${ENDPOINT}/123456789012/jobs`;

/**
 * An SQS queue on the fake clock: a receive takes what is visible, or waits up to its
 * WaitTimeSeconds for a message; a received message is invisible for `visibilityMs`.
 */
class FakeQueue implements SqsPort {
  messages: Array<{ id: string; body: string; visibleAt: number; receives: number; handle?: string; attributes?: Message['MessageAttributes'] }> = [];
  receives: Array<{ max: number; waitSeconds: number }> = [];
  deleted: string[] = [];
  /** Throws this from receive while set. */
  failure?: Error;
  closed = false;
  private waiters: Array<() => void> = [];
  private handles = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly visibilityMs = 30_000,
  ) {}

  send(body: string, attributes?: Message['MessageAttributes']): string {
    const id = `m${this.messages.length + 1}`;
    this.messages.push({ id, body, visibleAt: 0, receives: 0, attributes });
    for (const w of this.waiters.splice(0)) w();
    return id;
  }

  get left(): string[] {
    return this.messages.map((m) => m.id);
  }

  async receive(queueUrl: string, o: { max: number; waitSeconds: number; signal: AbortSignal }): Promise<Message[]> {
    expect(queueUrl).toBe(QUEUE_URL);
    this.receives.push({ max: o.max, waitSeconds: o.waitSeconds });
    if (this.failure) throw this.failure;
    const deadline = this.clock.now() + o.waitSeconds * 1000;
    for (;;) {
      const visible = this.messages.filter((m) => m.visibleAt <= this.clock.now()).slice(0, o.max);
      if (visible.length || this.clock.now() >= deadline) {
        return visible.map((m) => {
          m.visibleAt = this.clock.now() + this.visibilityMs;
          m.receives++;
          m.handle = `h${++this.handles}`;
          return {
            MessageId: m.id,
            ReceiptHandle: m.handle,
            Body: m.body,
            MD5OfBody: 'md5',
            Attributes: { ApproximateReceiveCount: String(m.receives), SentTimestamp: '1', SenderId: 'AIDA', ApproximateFirstReceiveTimestamp: '2' },
            ...(m.attributes ? { MessageAttributes: m.attributes, MD5OfMessageAttributes: 'md5a' } : {}),
          };
        });
      }
      await new Promise<void>((resolve, reject) => {
        const timer = this.clock.setTimeout(resolve, deadline - this.clock.now());
        const visibleAgain = Math.min(...this.messages.map((m) => m.visibleAt));
        const again = visibleAgain > this.clock.now() && visibleAgain < deadline ? this.clock.setTimeout(resolve, visibleAgain - this.clock.now()) : undefined;
        this.waiters.push(() => (this.clock.clearTimeout(timer), this.clock.clearTimeout(again), resolve()));
        o.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true });
      });
    }
  }

  async delete(queueUrl: string, entries: Array<{ Id: string; ReceiptHandle: string }>) {
    expect(entries.length).toBeLessThanOrEqual(10);
    const handles = new Set(entries.map((e) => e.ReceiptHandle));
    for (const m of this.messages.filter((m) => handles.has(m.handle!))) this.deleted.push(m.id);
    this.messages = this.messages.filter((m) => !handles.has(m.handle!));
    return [];
  }

  close() {
    this.closed = true;
  }
}

type Answer = (records: any[], call: number) => Partial<InvokeResult> | Promise<Partial<InvokeResult>>;

function setup(event: Record<string, unknown> = {}, answer: Answer = () => ({}), o: { visibilityMs?: number; endpoint?: string | null; maxCapacity?: number; failure?: Error } = {}) {
  const clock = new FakeClock(Date.UTC(2026, 11, 5, 12));
  const queue = new FakeQueue(clock, o.visibilityMs);
  queue.failure = o.failure;
  const calls: Array<{ fn: string; records: any[] }> = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  const file = (e: Record<string, unknown> | undefined) =>
    FunctionsFile.parse({ functions: { worker: { events: e ? [{ type: 'sqs', name: 'Jobs', queue: 'jobs', ...e }] : [], ...(o.maxCapacity ? { scaling: { max_capacity: o.maxCapacity } } : {}) } } });
  const delivery = new SqsDelivery({
    endpoint: o.endpoint === null ? undefined : (o.endpoint ?? ENDPOINT),
    region: 'eu-west-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 's' },
    clock,
    defaultMaxCapacity: 10,
    port: queue,
    invoke: async (fn, payload) => {
      const records = JSON.parse(payload.toString()).Records;
      calls.push({ fn, records });
      return { requestId: 'r', durationMs: 1, payload: Buffer.from('null'), ...(await answer(records, calls.length)) };
    },
    warn: (_f, m) => warnings.push(m),
    info: (_f, m) => infos.push(m),
  });
  delivery.setFunctions(file(event));
  const bodies = () => calls.map((c) => c.records.map((r: any) => r.body));
  return { clock, queue, calls, bodies, warnings, infos, delivery, file };
}

describe('the SQS event, as Lambda builds it', () => {
  it('turns a received message into a record with the queue ARN, region, attributes and message attributes', () => {
    const record = lambdaSqsRecord(
      {
        MessageId: 'id1',
        ReceiptHandle: 'rh',
        Body: '{"a":1}',
        MD5OfBody: 'm1',
        MD5OfMessageAttributes: 'm2',
        Attributes: { ApproximateReceiveCount: '1', SentTimestamp: '10', SenderId: 'AIDA', ApproximateFirstReceiveTimestamp: '11', SequenceNumber: '18', MessageGroupId: 'g', MessageDeduplicationId: 'd' },
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' }, raw: { DataType: 'Binary', BinaryValue: Buffer.from('hi') } },
      },
      'jobs.fifo',
      'eu-west-1',
    );
    expect(record).toEqual({
      messageId: 'id1',
      receiptHandle: 'rh',
      body: '{"a":1}',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '10', SequenceNumber: '18', MessageGroupId: 'g', SenderId: 'AIDA', MessageDeduplicationId: 'd', ApproximateFirstReceiveTimestamp: '11' },
      messageAttributes: {
        kind: { stringValue: 'x', stringListValues: [], binaryListValues: [], dataType: 'String' },
        raw: { binaryValue: Buffer.from('hi').toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: 'm1',
      md5OfMessageAttributes: 'm2',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:jobs.fifo',
      awsRegion: 'eu-west-1',
    });
    expect(Object.keys(lambdaSqsRecord({ MessageId: 'x', Body: 'b' }, 'q', 'us-east-1'))).not.toContain('md5OfMessageAttributes');
  });

  it('filters as Lambda: body patterns against the parsed JSON body (or its text), other keys against the record', () => {
    const rec = (Body: string, kind?: string) => lambdaSqsRecord({ MessageId: 'x', Body, ...(kind ? { MessageAttributes: { kind: { DataType: 'String', StringValue: kind } } } : {}) }, 'q', 'us-east-1');
    const byBody = messageFilter(['{"body":{"type":["order"]}}']);
    expect(byBody(rec('{"type":"order"}'))).toBe(true);
    expect(byBody(rec('{"type":"refund"}'))).toBe(false);
    expect(byBody(rec('type=order'))).toBe(false); // a JSON pattern never matches a text body
    expect(messageFilter(['{"body":[{"prefix":"hello"}]}'])(rec('hello world'))).toBe(true);
    const either = messageFilter(['{"body":{"n":[{"numeric":[">",5]}]}}', '{"messageAttributes":{"kind":{"stringValue":["vip"]}}}']);
    expect(either(rec('{"n":9}'))).toBe(true);
    expect(either(rec('{"n":1}', 'vip'))).toBe(true);
    expect(either(rec('{"n":1}', 'basic'))).toBe(false);
    expect(messageFilter(undefined)(rec('anything'))).toBe(true);
    expect(messageFilter(['not json'])(rec('anything'))).toBe(false);
  });

  it('reads partial batch responses as Lambda: failures kept, empty answers all succeeded, anything malformed fails the batch', () => {
    const ids = ['a', 'b', 'c'];
    const answer = (v: unknown) => failedMessageIds(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), ids);
    expect(answer({ batchItemFailures: [{ itemIdentifier: 'c' }, { itemIdentifier: 'a' }] })).toEqual(['a', 'c']);
    for (const ok of [{ batchItemFailures: [] }, { batchItemFailures: null }, {}, null, '']) expect(answer(ok)).toEqual([]);
    for (const bad of [{ batchItemFailures: [{ itemIdentifier: 'zzz' }] }, { batchItemFailures: [{ itemIdentifier: '' }] }, { batchItemFailures: [{ itemId: 'a' }] }, { batchItemFailures: 'a' }, 'not json', '"done"', [1]])
      expect(answer(bad)).toEqual(ids);
  });
});

describe('batching decisions', () => {
  const now = 1_000_000;
  it('long-polls for at most 10 messages, and sends a batch as soon as a receive brought some when there is no window', () => {
    expect(nextStep({ batchSize: 25, windowMs: 0, gathered: 0, now })).toEqual({ kind: 'receive', max: 10, waitSeconds: 20 });
    expect(nextStep({ batchSize: 4, windowMs: 0, gathered: 0, now })).toEqual({ kind: 'receive', max: 4, waitSeconds: 20 });
    expect(nextStep({ batchSize: 25, windowMs: 0, gathered: 3, firstAt: now, now })).toEqual({ kind: 'invoke' });
  });

  it('with a window, gathers until the batch is full or the window since the first message is over', () => {
    expect(nextStep({ batchSize: 25, windowMs: 5000, gathered: 10, firstAt: now, now: now + 1500 })).toEqual({ kind: 'receive', max: 10, waitSeconds: 4 });
    expect(nextStep({ batchSize: 25, windowMs: 60_000, gathered: 20, firstAt: now, now })).toEqual({ kind: 'receive', max: 5, waitSeconds: 20 });
    expect(nextStep({ batchSize: 25, windowMs: 5000, gathered: 10, firstAt: now, now: now + 5000 })).toEqual({ kind: 'invoke' });
    expect(nextStep({ batchSize: 25, windowMs: 5000, gathered: 25, firstAt: now, now })).toEqual({ kind: 'invoke' });
  });

  it("runs Lambda's five batches at once unless MaximumConcurrency says otherwise, never more than the function has instances", () => {
    expect(mappingConcurrency({}, 10)).toBe(5);
    expect(mappingConcurrency({}, 2)).toBe(2);
    expect(mappingConcurrency({ maximum_concurrency: 8 }, 10)).toBe(8);
    expect(mappingConcurrency({ maximum_concurrency: 50 }, 3)).toBe(3);
  });

  it('says why a queue cannot be read', () => {
    expect(describeSqsError(Object.assign(new Error('x'), { name: 'QueueDoesNotExist' }), 'jobs', ENDPOINT)).toBe(`queue jobs does not exist on ${ENDPOINT} yet`);
    expect(describeSqsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'jobs', ENDPOINT)).toBe(`cannot reach ${ENDPOINT} (ECONNREFUSED)`);
  });
});

describe('SQS delivery', () => {
  it('hands messages to the function in batches of at most 10 and deletes each batch the function took', async () => {
    const { clock, queue, calls, delivery } = setup({ batch_size: 10 });
    for (let i = 0; i < 25; i++) queue.send(`b${i}`);
    await clock.settle(0);
    expect(calls.map((c) => c.records.length)).toEqual([10, 10, 5]);
    expect(calls[0].fn).toBe('worker');
    expect(calls[0].records[0]).toMatchObject({ body: 'b0', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:jobs', awsRegion: 'eu-west-1', attributes: { ApproximateReceiveCount: '1' } });
    expect(queue.left).toEqual([]);
    expect(queue.deleted).toHaveLength(25);
    expect(queue.receives[0]).toEqual({ max: 10, waitSeconds: 20 });
    await delivery.close();
    expect(queue.closed).toBe(true);
  });

  it('waits up to the batching window for a batch that is not full, and sends a full one at once', async () => {
    const { clock, queue, bodies } = setup({ batch_size: 3, batching_window_seconds: 10 });
    queue.send('a');
    await clock.settle(5000);
    expect(bodies()).toEqual([]);
    queue.send('b');
    await clock.settle(4000);
    expect(bodies()).toEqual([]);
    await clock.settle(1000);
    expect(bodies()).toEqual([['a', 'b']]);
    queue.send('c');
    queue.send('d');
    queue.send('e');
    await clock.settle(0);
    expect(bodies()).toEqual([['a', 'b'], ['c', 'd', 'e']]);
  });

  it('deletes nothing of a failed batch: its messages come back after the visibility timeout', async () => {
    const { clock, queue, bodies, warnings } = setup({}, (_r, call) => (call === 1 ? { error: { kind: 'FunctionError', message: 'boom' } } : {}), { visibilityMs: 30_000 });
    queue.send('a');
    await clock.settle(0);
    expect(bodies()).toEqual([['a']]);
    expect(queue.left).toEqual(['m1']);
    expect(warnings.join()).toContain('boom');
    await clock.settle(29_999);
    expect(bodies()).toHaveLength(1);
    await clock.settle(1);
    expect(bodies()).toEqual([['a'], ['a']]);
    expect(queue.left).toEqual([]);
  });

  it('leaves a throttled batch in the queue for later', async () => {
    const { clock, queue, calls } = setup({}, (_r, call) => (call === 1 ? { error: { kind: 'Throttled', message: 'Rate Exceeded.' } } : {}));
    queue.send('a');
    await clock.settle(0);
    expect(queue.left).toEqual(['m1']);
    await clock.settle(30_000);
    expect(calls).toHaveLength(2);
    expect(queue.left).toEqual([]);
  });

  it('with ReportBatchItemFailures keeps only the reported messages; an unknown identifier keeps the whole batch', async () => {
    let reply: (ids: string[]) => unknown = (ids) => ({ batchItemFailures: [{ itemIdentifier: ids[1] }] });
    const { clock, queue, bodies } = setup({ report_batch_item_failures: true }, (records) => ({ payload: Buffer.from(JSON.stringify(reply(records.map((r: any) => r.messageId)))) }));
    for (const b of ['a', 'b', 'c']) queue.send(b);
    await clock.settle(0);
    expect(queue.left).toEqual(['m2']);
    reply = () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-the-batch' }] });
    await clock.settle(30_000);
    expect(bodies()).toEqual([['a', 'b', 'c'], ['b']]);
    expect(queue.left).toEqual(['m2']);
    reply = () => ({ batchItemFailures: [] });
    await clock.settle(30_000);
    expect(queue.left).toEqual([]);
  });

  it('ignores batchItemFailures unless the mapping reports batch item failures', async () => {
    const { clock, queue } = setup({}, (records) => ({ payload: Buffer.from(JSON.stringify({ batchItemFailures: [{ itemIdentifier: records[0].messageId }] })) }));
    queue.send('a');
    await clock.settle(0);
    expect(queue.left).toEqual([]);
  });

  it('deletes messages its filters do not take without invoking the function', async () => {
    const { clock, queue, bodies } = setup({ filters: ['{"body":{"type":["order"]}}'] });
    queue.send('{"type":"refund"}');
    queue.send('{"type":"order"}');
    queue.send('plain text');
    await clock.settle(0);
    expect(bodies()).toEqual([['{"type":"order"}']]);
    expect(queue.left).toEqual([]);
  });

  it('runs up to maximum_concurrency batches at once, five by default, never more than the function has instances', async () => {
    for (const [event, expected, maxCapacity] of [
      [{ batch_size: 1 }, 5, undefined],
      [{ batch_size: 1, maximum_concurrency: 3 }, 3, undefined],
      [{ batch_size: 1 }, 1, 1],
    ] as const) {
      const release: Array<() => void> = [];
      const { clock, queue, calls } = setup(event, () => new Promise((r) => release.push(() => r({}))), maxCapacity ? { maxCapacity } : {});
      for (let i = 0; i < 7; i++) queue.send(`b${i}`);
      await clock.settle(0);
      expect(calls).toHaveLength(expected);
      release.shift()!();
      await clock.settle(0);
      expect(calls).toHaveLength(expected + 1);
      while (release.length) {
        release.shift()!();
        await clock.settle(0);
      }
      expect(queue.left).toEqual([]);
    }
  });

  it('a queue that does not exist yet (a deploy provisions it after the mapping starts): said once, not warned, polled every second, then read', async () => {
    const { clock, queue, bodies, warnings, infos, delivery } = setup({}, undefined, { failure: Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' }) });
    await clock.settle(0);
    for (let i = 0; i < 5; i++) await clock.settle(1000);
    expect(queue.receives).toHaveLength(6);
    expect(warnings).toEqual([]);
    expect(infos.filter((m) => m.includes('does not exist'))).toEqual([`SQS mapping Jobs of worker: queue jobs does not exist on ${ENDPOINT} yet; polling it every 1 s`]);
    expect(delivery.list()[0].error).toContain('does not exist');
    queue.failure = undefined;
    queue.send('a');
    await clock.settle(1000);
    expect(bodies()).toEqual([['a']]);
    expect(delivery.list()[0].error).toBeUndefined();
    expect(infos).toContain('SQS mapping Jobs of worker: reading queue jobs again');
  });

  it('an endpoint that does not answer: one warning, retries with backoff (1 s doubling to 30 s), then reads the queue', async () => {
    const { clock, queue, bodies, warnings, delivery } = setup({}, undefined, { failure: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    await clock.settle(0);
    expect(queue.receives).toHaveLength(1);
    await clock.settle(1000);
    await clock.settle(2000);
    await clock.settle(4000);
    expect(queue.receives).toHaveLength(4);
    await clock.settle(120_000);
    const times = queue.receives.length;
    expect(times).toBeLessThan(12); // 8 s, 16 s, then every 30 s: never a tight loop
    expect(warnings).toEqual([`SQS mapping Jobs of worker: cannot reach ${ENDPOINT} (ECONNREFUSED); retrying (1 s doubling to 30 s)`]);
    expect(delivery.list()[0].error).toContain('cannot reach');
    queue.failure = undefined;
    queue.send('a');
    await clock.settle(30_000);
    expect(bodies()).toEqual([['a']]);
    expect(delivery.list()[0].error).toBeUndefined();
  });

  it('a removed or changed mapping stops its poller; close aborts the pending long poll', async () => {
    const { clock, queue, calls, delivery, file } = setup({ batch_size: 5 });
    await clock.settle(0);
    expect(delivery.list()).toEqual([{ functionName: 'worker', mapping: 'Jobs', queue: 'jobs', concurrency: 5, inFlight: 0 }]);
    delivery.setFunctions(file({ batch_size: 5 }));
    expect(queue.receives).toHaveLength(1); // unchanged: the same poller
    delivery.setFunctions(file({ batch_size: 2 }));
    await clock.settle(0);
    expect(queue.receives).toHaveLength(2);
    delivery.setFunctions(file({ batch_size: 2, enabled: false }));
    expect(delivery.list()).toEqual([]);
    delivery.setFunctions(file(undefined));
    queue.send('a');
    await clock.settle(60_000);
    expect(calls).toEqual([]);
    delivery.setFunctions(file({}));
    await clock.settle(0);
    expect(calls).toHaveLength(1);
    const receives = queue.receives.length;
    await delivery.close(); // resolves although a long poll was pending
    await clock.settle(60_000);
    expect(queue.receives).toHaveLength(receives);
    expect(clock.pending).toBe(0);
  });

  it('without an SQS endpoint, skips each mapping with one warning', async () => {
    const { clock, queue, warnings, delivery, file } = setup({}, undefined, { endpoint: null });
    delivery.setFunctions(file({}));
    await clock.settle(1000);
    expect(queue.receives).toEqual([]);
    expect(warnings).toEqual(['SQS mapping Jobs of worker: no SQS endpoint is configured (AWS_ENDPOINT_URL_SQS), queue jobs is not read']);
  });
});
