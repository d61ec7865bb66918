// In-process Node instances (opt-in, docs/agent.md#in-process-node-instances): nodejs*
// functions run as worker threads of the agent, on esb's Node bootstrap, with the instance
// channel's frames over a MessagePort. Each worker has its own module state and its own
// process.env (the instance's environment), MemorySize as its V8 heap limit, and terminate()
// for timeouts; its stdout/stderr are the function's log. Every other runtime goes to `inner`.
// It isolates much less than a process: see the docs page.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { InstanceDriver, InstanceHandle } from './driver.js';
import { isNodeRuntime } from './env.js';
import { CHANNEL_ENV } from './instance-channel.js';
import { LineSplitter } from './lines.js';
import { RUNTIME_DIR } from './process-driver.js';

export function createNodeWorkerDriver(inner: InstanceDriver): InstanceDriver {
  const live = new Set<InstanceHandle>();
  return {
    kind: inner.kind,
    runtimeApiBindHost: inner.runtimeApiBindHost,
    runtimeApiAdvertiseHost: inner.runtimeApiAdvertiseHost,
    versionWarning: inner.versionWarning?.bind(inner),
    async start(spec, onLine) {
      if (!isNodeRuntime(spec.runtime)) return inner.start(spec, onLine);
      const { port1, port2 } = new MessageChannel();
      const env = { ...spec.env, [CHANNEL_ENV]: 'port' };
      const worker = new Worker(path.join(RUNTIME_DIR, 'nodejs', 'bootstrap.mjs'), {
        env,
        workerData: { esbChannel: port2 },
        transferList: [port2],
        stdout: true,
        stderr: true,
        // MemorySize bounds the worker's JavaScript heap (Buffers and native memory are not counted).
        resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
      });
      let outOfMemory = false;
      const out = new LineSplitter((l) => onLine('stdout', l));
      const err = new LineSplitter((l) => {
        if (l.startsWith('Runtime.OutOfMemory:')) outOfMemory = true;
        onLine('stderr', l);
      });
      worker.stdout.on('data', (c: Buffer) => out.push(c));
      worker.stderr.on('data', (c: Buffer) => err.push(c));
      worker.on('error', (e: Error & { code?: string }) => {
        if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') outOfMemory = true;
        onLine('stderr', `${e.name}: ${e.message}`);
      });
      // The channel as the Instance uses a socket: data events, write, destroy.
      const channel = Object.assign(new EventEmitter(), {
        write(b: Buffer) {
          // An exact-size copy, transferred: cloning a pooled Buffer would copy its whole pool.
          const own = new Uint8Array(b);
          port1.postMessage(own, [own.buffer]);
          return true;
        },
        destroy() {
          port1.close();
        },
      });
      port1.on('message', (m: Uint8Array) => channel.emit('data', Buffer.from(m.buffer, m.byteOffset, m.byteLength)));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        worker.once('exit', (code) => {
          out.end();
          err.end();
          port1.close();
          live.delete(handle);
          resolve({ code, signal: null });
        });
      });
      const handle: InstanceHandle = {
        id: spec.instanceId,
        exited,
        outOfMemory: () => outOfMemory,
        // Its HTTP Runtime API admits no uid (the worker uses the channel, and has no secret).
        runtimeApiUid: -1,
        channel: channel as unknown as InstanceHandle['channel'],
        async stop() {
          await worker.terminate();
          await exited;
        },
      };
      live.add(handle);
      return handle;
    },
    async close() {
      await Promise.all([...live].map((h) => h.stop()));
      await inner.close();
    },
  };
}
