// Chain invoke: chain-caller (Python, boto3) calls chain-callee (Node) through the Lambda
// Invoke API of the gateway (AWS_ENDPOINT_URL_LAMBDA=http://gateway:3000 in the agent).
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import WebSocket from 'ws';
import { expect, it } from 'vitest';
import { describeStack } from '../src/scenario.js';
import { deploy, http, pollUntil } from '../src/stack.js';

describeStack('chain invoke through the Lambda Invoke API', (stack) => {
  it('a function invokes another and returns its result', async () => {
    const s = stack();
    await deploy(s, 'chain/template.yml');
    const r = await http(`${s.gatewayUrl}/chain/hello`);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ caller: 'chain-caller', status: 200, callee: { upper: 'HELLO', by: 'chain-callee' } });

    // The Invoke API is also reachable from the host, through the published gateway port: the
    // gateway listens beyond loopback in its container, so requests must be signed with a
    // configured key (compose configures the functions' esb-local key).
    const unsigned = await http(`${s.gatewayUrl}/2015-03-31/functions/chain-callee/invocations`, { method: 'POST', body: JSON.stringify({ word: 'direct' }) });
    expect(unsigned.status).toBe(403);
    const lambda = new LambdaClient({ endpoint: s.gatewayUrl, region: 'us-east-1', credentials: { accessKeyId: 'esb-local', secretAccessKey: 'esb-local' }, maxAttempts: 1 });
    const direct = await lambda.send(new InvokeCommand({ FunctionName: 'chain-callee', Payload: JSON.stringify({ word: 'direct' }) }));
    lambda.destroy();
    expect(direct.StatusCode).toBe(200);
    expect(JSON.parse(Buffer.from(direct.Payload!).toString())).toEqual({ upper: 'DIRECT', by: 'chain-callee' });
  });

  it('a WebSocket client gets answers that functions in containers post through the Management API over https', async () => {
    const s = stack();
    const socket = new WebSocket(`${s.gatewayUrl.replace(/^http/, 'ws')}/live`);
    const inbox: string[] = [];
    socket.on('message', (d) => inbox.push(d.toString()));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ action: 'node', text: 'one' }));
    socket.send(JSON.stringify({ action: 'python', text: 'two' }));
    const got = await pollUntil(async () => [...inbox].sort(), (m) => m.length >= 2, { everyMs: 200, withinMs: 60_000 });
    expect(got.ok, JSON.stringify(got.last)).toBe(true);
    expect([...inbox].sort()).toEqual(['node: one', 'python: two (True)']);
    socket.close();
  });

  it('a GraphQL API answers from its built-in function in a container: a Velocity resolver and a Lambda resolver on another container', async () => {
    const s = stack();
    // Deployed again unchanged (the first test deployed it): its JSON says the API's key.
    const deployed = (await deploy(s, 'chain/template.yml')) as unknown as { graphql?: Array<{ apiKeys: string[] }> };
    const key = deployed.graphql?.[0]?.apiKeys[0];
    expect(key, JSON.stringify(deployed)).toMatch(/^da2-[a-z0-9]{26}$/);
    const anonymous = await http(`${s.gatewayUrl}/graphql`, { method: 'POST', body: JSON.stringify({ query: '{ echo(text: "x") }' }), headers: { 'content-type': 'application/json' } });
    expect(anonymous.status).toBe(401);
    const r = await http(`${s.gatewayUrl}/graphql`, { method: 'POST', body: JSON.stringify({ query: '{ echo(text: "quiet") upper(word: "loud") { upper by } }' }), headers: { 'content-type': 'application/json', 'x-api-key': key! } });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ data: { echo: 'QUIET', upper: { upper: 'LOUD', by: 'chain-callee' } } });
  });
});
