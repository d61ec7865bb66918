// An instance on the instance channel, driven by a fake runtime client over a real socket:
// what the agent reads from RESPONSE and ERROR frames (docs/agent.md#the-instance-channel).
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Instance, type Invocation } from './instance.js';
import { encodeFrame, type Frame, FrameDecoder, FRAME_ERROR, FRAME_EVENT, FRAME_NEXT, FRAME_RESPONSE } from './instance-channel.js';
import type { InvokeResult } from '@esb/contracts';
import { until } from '@esb/contracts/testing';

const cleanup: Array<() => void> = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

/** An instance whose channel is one end of a connected socket; returns it and the runtime's end. */
async function channelInstance(served?: () => void): Promise<{ inst: Instance; runtime: net.Socket; frames: Frame[]; writes: () => number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'esb-instance-'));
  const sock = path.join(dir, 'c.sock');
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(sock, r));
  const [agentEnd, runtime] = await Promise.all([
    new Promise<net.Socket>((r) => server.once('connection', r)),
    new Promise<net.Socket>((r) => {
      const c = net.connect(sock, () => r(c));
    }),
  ]);
  let writes = 0;
  const write = agentEnd.write.bind(agentEnd) as (chunk: Buffer) => boolean;
  agentEnd.write = ((chunk: Buffer) => {
    writes++;
    return write(chunk);
  }) as typeof agentEnd.write;
  const inst = new Instance('i1', 'fn', 0, 30_000, 'arn:aws:lambda:us-east-1:123456789012:function:fn', { onReady: () => {}, onExit: () => {}, onPlatformLine: () => {}, onStart: () => {}, onInvocationEnd: () => {} });
  let exit!: () => void;
  inst.attach({ id: 'i1', exited: new Promise((r) => (exit = () => r({ code: 0, signal: null }))), stop: async () => exit(), channel: agentEnd, served });
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(1 << 20);
  runtime.on('data', (c: Buffer) => decoder.push(c, (f) => frames.push(f)));
  cleanup.push(() => {
    inst.stop();
    runtime.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { inst, runtime, frames, writes: () => writes };
}

const invoke = (inst: Instance, requestId: string): { inv: Invocation; result: Promise<InvokeResult> } => {
  let resolve!: (r: InvokeResult) => void;
  const result = new Promise<InvokeResult>((r) => (resolve = r));
  const inv: Invocation = { requestId, payload: Buffer.from('{}'), ctx: {}, traceId: 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0', receivedAt: performance.now(), done: false, resolve };
  inst.assign(inv);
  return { inv, result };
};

// Frames cross a local socket in milliseconds: a wait that runs out fails naming what never came,
// well before vitest's 30 s test timeout.
const SOCKET_WAIT = { timeoutMs: 5_000, everyMs: 2 };

describe('Instance on the instance channel', () => {
  it("takes the runtime's own time for an event from RESPONSE and ERROR frames, and the error type before it", async () => {
    const { inst, runtime, frames } = await channelInstance();
    runtime.write(encodeFrame(FRAME_NEXT, ''));
    const a = invoke(inst, 'req-a');
    await until(() => frames.length === 1, 'the event frame of req-a', SOCKET_WAIT);
    expect(frames[0]).toMatchObject({ kind: FRAME_EVENT });
    expect(frames[0].meta.split('\0')[0]).toBe('req-a');
    runtime.write(encodeFrame(FRAME_RESPONSE, 'req-a\x001234', Buffer.from('"ok"')));
    expect((await a.result).payload.toString()).toBe('"ok"');
    expect(a.inv.runtimeMs).toBe(1.234);

    const b = invoke(inst, 'req-b');
    await until(() => frames.length === 2, 'the event frame of req-b', SOCKET_WAIT);
    runtime.write(encodeFrame(FRAME_ERROR, 'req-b\x00MyError\x0050', Buffer.from('{"errorMessage":"bad"}')));
    const r = await b.result;
    expect(r.error).toMatchObject({ kind: 'FunctionError', message: 'MyError: bad' });
    expect(b.inv.runtimeMs).toBe(0.05);

    // A client that sends no time (older frames): the agent falls back to its round trip.
    const c = invoke(inst, 'req-c');
    await until(() => frames.length === 3, 'the event frame of req-c', SOCKET_WAIT);
    runtime.write(encodeFrame(FRAME_RESPONSE, 'req-c', Buffer.from('1')));
    await c.result;
    expect(c.inv.runtimeMs).toBeUndefined();
  });

  it('tells its handle once the runtime answered each invocation, after the result went back; not when it exits during one', async () => {
    const seen: string[] = [];
    const { inst, runtime, frames } = await channelInstance(() => seen.push('served'));
    const give = (requestId: string): Invocation => {
      const inv: Invocation = { requestId, payload: Buffer.from('{}'), ctx: {}, traceId: 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0', receivedAt: performance.now(), done: false, resolve: (r) => seen.push(`result ${r.requestId}`) };
      inst.assign(inv);
      return inv;
    };
    runtime.write(encodeFrame(FRAME_NEXT, ''));
    give('req-a');
    await until(() => frames.length === 1, 'the event frame of req-a', SOCKET_WAIT);
    expect(seen).toEqual([]); // ready, the event delivered: not served yet
    runtime.write(encodeFrame(FRAME_RESPONSE, 'req-a\x001', Buffer.from('1')));
    await until(() => seen.length === 2, 'the result of req-a and served', SOCKET_WAIT);
    expect(seen).toEqual(['result req-a', 'served']);

    give('req-b');
    await until(() => frames.length === 2, 'the event frame of req-b', SOCKET_WAIT);
    runtime.write(encodeFrame(FRAME_ERROR, 'req-b\x00MyError\x001', Buffer.from('{}')));
    await until(() => seen.length === 4, 'the result of req-b and served', SOCKET_WAIT);
    expect(seen.slice(2)).toEqual(['result req-b', 'served']);

    give('req-c');
    await until(() => frames.length === 3, 'the event frame of req-c', SOCKET_WAIT);
    inst.stop(); // the runtime exits with the event unanswered
    await until(() => seen.length === 5, 'the result of req-c after the runtime exited', SOCKET_WAIT);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.slice(4)).toEqual(['result req-c']);
  });

  it('queues events behind the running one: all written at once (one write for those of one turn), each started when the result before it comes, the unstarted ones handed back when it exits', async () => {
    const { inst, runtime, frames, writes } = await channelInstance();
    expect(inst.canQueue(2)).toBe(false); // nothing running: nothing to queue behind
    runtime.write(encodeFrame(FRAME_NEXT, ''));
    const a = invoke(inst, 'req-a');
    await until(() => frames.length === 1, 'the event frame of req-a', SOCKET_WAIT);
    expect(inst.canQueue(2)).toBe(true);
    const writesBefore = writes();
    const b = invoke(inst, 'req-b');
    const c = invoke(inst, 'req-c');
    expect(inst.canQueue(2)).toBe(false);
    expect(inst.canQueue(3)).toBe(true);
    // Both go down the channel at once, in order, each with the whole time limit (ms), not a deadline.
    await until(() => frames.length === 3, 'the event frames of req-b and req-c', SOCKET_WAIT);
    expect(writes() - writesBefore).toBe(1); // given in one turn: one write, one wake-up of the runtime
    expect(frames.map((f) => f.meta.split('\0').slice(0, 2))).toEqual([
      ['req-a', '30000'],
      ['req-b', '30000'],
      ['req-c', '30000'],
    ]);
    expect(b.inv.deliveredAt).toBeUndefined(); // queued: not started

    runtime.write(encodeFrame(FRAME_RESPONSE, 'req-a\x001', Buffer.from('"a"')));
    expect((await a.result).payload.toString()).toBe('"a"');
    // The runtime takes req-b right after req-a's result: it is the current one, started then.
    expect(inst.current).toBe(b.inv);
    expect(b.inv.deliveredAt).toBeGreaterThan(0);
    expect(inst.queued).toEqual([c.inv]);

    // The runtime dies during req-b: req-b fails as on Lambda; req-c never started and is handed back.
    inst.stop();
    const [rb, rc] = await Promise.all([b.result, c.result]);
    expect(rb.error?.message).toMatch(/^Runtime\.ExitError: RequestId: req-b Error: Runtime exited/);
    expect(c.inv.notStarted).toBe(true);
    expect(b.inv.notStarted).toBeUndefined();
    expect(rc.error?.kind).toBe('Unavailable');
    expect(frames).toHaveLength(3); // nothing written for req-c beyond its one event
  });
});
