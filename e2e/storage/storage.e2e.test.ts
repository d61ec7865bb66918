// Storage: the deploy provisions a DynamoDB table, an S3 bucket and an SQS queue (database,
// s3-storage, queues services) and runs a custom resource that seeds the table; Python
// handlers (boto3) put/get/query items, put/get/list objects, send jobs to the queue, which the
// agent's poller hands to another function, put events on a bus, whose rule invokes a third,
// publish to a topic a fourth subscribes to, and run a state machine synchronously whose tasks
// invoke a fifth and write the table, and read an item through a REST API's AWS integration; a
// record put to a Kinesis stream reaches a sixth.
import { expect, it } from 'vitest';
import { describeStack } from '../src/scenario.js';
import { deploy, http, pollUntil } from '../src/stack.js';

describeStack('storage: DynamoDB, S3, SQS, EventBridge, SNS, Step Functions and Kinesis through the provisioned table, bucket, queue, bus, topic, state machine and stream', (stack) => {
  it('puts, gets and queries items; puts, gets and lists objects', async () => {
    const s = stack();
    await deploy(s, 'storage/template.yml');
    const url = s.gatewayUrl;
    const put = (p: string, body: string) => http(`${url}${p}`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });

    expect((await put('/items/alice/1', JSON.stringify({ text: 'first' }))).status).toBe(201);
    expect((await put('/items/alice/2', JSON.stringify({ text: 'second' }))).status).toBe(201);
    expect((await put('/items/bob/9', JSON.stringify({ text: 'other' }))).status).toBe(201);
    expect((await http(`${url}/items/alice/2`)).json).toEqual({ owner: 'alice', id: '2', text: 'second' });
    // The custom resource's function ran during the deploy, in a container, and answered.
    expect((await http(`${url}/items/seed/1`)).json).toEqual({ owner: 'seed', id: '1', text: 'seeded by a custom resource' });
    expect((await http(`${url}/items/alice/404`)).status).toBe(404);
    expect((await http(`${url}/items/alice`)).json).toEqual({ table: 'e2e-notes', ids: ['1', '2'] });

    const text = 'hello from e2e — ünïcödé\nline two';
    expect((await http(`${url}/files/a.txt`, { method: 'PUT', body: text })).status).toBe(201);
    expect((await http(`${url}/files/b.txt`, { method: 'PUT', body: 'b' })).status).toBe(201);
    const got = await http(`${url}/files/a.txt`);
    expect(got.status).toBe(200);
    expect(got.text).toBe(text);
    expect((await http(`${url}/files`)).json).toEqual({ bucket: 'e2e-files', keys: ['a.txt', 'b.txt'] });
    expect((await http(`${url}/files/none.txt`)).status).toBe(404);

    // A job sent to the queue by one function container is handed to another by the agent.
    expect((await http(`${url}/jobs/7`, { method: 'POST', body: 'queued work' })).status).toBe(202);
    const stored = await pollUntil(() => http(`${url}/items/jobs/7`), (r) => r.status === 200, { everyMs: 500, withinMs: 60_000 });
    expect(stored.ok, String(stored.last instanceof Error ? stored.last : stored.last.text)).toBe(true);
    expect((await http(`${url}/items/jobs/7`)).json).toEqual({ owner: 'jobs', id: '7', text: 'queued work' });

    // An event put on the template's bus (queues service) reaches the agent over HTTP, whose rule
    // invokes the listening function with the event's detail.
    const announced = await http(`${url}/announcements/8`, { method: 'POST', body: 'news' });
    expect(announced.json).toEqual({ announced: '8', failed: 0 });
    const heard = await pollUntil(() => http(`${url}/items/announced/8`), (r) => r.status === 200, { everyMs: 500, withinMs: 60_000 });
    expect(heard.ok, String(heard.last instanceof Error ? heard.last : heard.last.text)).toBe(true);
    expect((await http(`${url}/items/announced/8`)).json).toEqual({ owner: 'announced', id: '8', text: 'news' });

    // A notice published to the template's topic reaches the subscribed function, filtered on its
    // attributes: the quiet one is dropped, the urgent one stored.
    expect((await http(`${url}/notices/9`, { method: 'POST', body: 'quiet' })).json).toEqual({ published: '9', urgent: 'no' });
    expect((await http(`${url}/notices/10?urgent=1`, { method: 'POST', body: 'loud' })).json).toEqual({ published: '10', urgent: 'yes' });
    const noticed = await pollUntil(() => http(`${url}/items/noticed`), (r) => r.status === 200 && ((r.json as { ids?: string[] }).ids?.length ?? 0) > 0, { everyMs: 500, withinMs: 60_000 });
    expect(noticed.ok, String(noticed.last instanceof Error ? noticed.last : noticed.last.text)).toBe(true);
    expect((await http(`${url}/items/noticed`)).json).toEqual({ table: 'e2e-notes', ids: ['10'] });

    // A synchronous Express execution (queues service -> the agent's /states): its first task
    // invokes another function container, its second writes the table.
    const reviewed = await http(`${url}/reviews/11`, { method: 'POST', body: 'looks good' });
    expect(reviewed.json, reviewed.text).toEqual({ status: 'SUCCEEDED', output: { id: '11', text: 'looks good', shouted: 'LOOKS GOOD' }, error: null });
    expect((await http(`${url}/items/reviewed/11`)).json).toEqual({ owner: 'reviewed', id: '11', text: 'LOOKS GOOD' });

    // A record put to the template's Kinesis stream (queues service) reaches the agent over HTTP,
    // which hands the stream's batch to the counting function.
    const tracked = await http(`${url}/clicks/12`, { method: 'POST', body: 'clicked once' });
    expect(tracked.json, tracked.text).toEqual({ shard: 'shardId-000000000000', sequence: expect.stringMatching(/^\d{56}$/) });
    const counted = await pollUntil(() => http(`${url}/items/clicked/12`), (r) => r.status === 200, { everyMs: 500, withinMs: 60_000 });
    expect(counted.ok, String(counted.last instanceof Error ? counted.last : counted.last.text)).toBe(true);
    expect((await http(`${url}/items/clicked/12`)).json).toEqual({ owner: 'clicked', id: '12', text: `clicked once @${(tracked.json as { sequence: string }).sequence}` });

    // A REST API method with no function of the template's between it and DynamoDB: its mapping
    // templates run in esb's built-in function (velocityjs in the runtime image).
    expect((await http(`${url}/direct/alice/2`)).json).toEqual({ owner: 'alice', text: 'second', direct: true });
  });
});
