// Storage: the deploy provisions a DynamoDB table and an S3 bucket (s3-storage, database
// services); Python handlers (boto3) put/get/query items and put/get/list objects through them.
import { expect, it } from 'vitest';
import { describeStack } from '../src/scenario.js';
import { deploy, http } from '../src/stack.js';

describeStack('storage: DynamoDB and S3 through the provisioned table and bucket', (stack) => {
  it('puts, gets and queries items; puts, gets and lists objects', async () => {
    const s = stack();
    await deploy(s, 'storage/template.yml');
    const url = s.gatewayUrl;
    const put = (p: string, body: string) => http(`${url}${p}`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });

    expect((await put('/items/alice/1', JSON.stringify({ text: 'first' }))).status).toBe(201);
    expect((await put('/items/alice/2', JSON.stringify({ text: 'second' }))).status).toBe(201);
    expect((await put('/items/bob/9', JSON.stringify({ text: 'other' }))).status).toBe(201);
    expect((await http(`${url}/items/alice/2`)).json).toEqual({ owner: 'alice', id: '2', text: 'second' });
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
  });
});
