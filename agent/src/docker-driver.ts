// InstanceDriver for containers (dockerode). Each instance is a container labelled as esb's,
// with a memory limit of MemorySize, reaching its Runtime API on the bridge gateway address
// (the agent listens there, not on 0.0.0.0). Function images come from the image builder
// (code and layers inside); a function without an image runs on the runtime base image with
// its code folder mounted at /var/task and its first layer at /opt.
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import type { Logger } from 'pino';
import type { InstanceDriver, InstanceHandle, InstanceSpec } from './driver.js';
import { isNodeRuntime, isPythonRuntime } from './env.js';
import { LineSplitter } from './lines.js';

export const LABEL = 'dev.esb.agent';
export const LABEL_FUNCTION = 'dev.esb.function';

export class DockerUnavailableError extends Error {
  override name = 'DockerUnavailableError';
}

export interface DockerDriverOptions {
  log: Logger;
  docker?: Docker;
  /** if-not-present (default) or always ($IMAGE_PULL_POLICY). */
  pullPolicy?: 'if-not-present' | 'always' | string;
  /** Network for containers (default: bridge). */
  network?: string;
  /** Host the Runtime API servers bind to and containers call (default: the bridge gateway, e.g. 172.17.0.1). */
  runtimeApiHost?: string;
  /** Marks this agent's containers; stale ones with the same value are removed at start. */
  agentName?: string;
  runtimeImages?: { python?: string; nodejs?: string };
  stopGraceSeconds?: number;
}

const ENDPOINT_VARS = /^AWS_ENDPOINT_URL/;

/** Endpoints on the host's loopback are unreachable from a container: point them at the host gateway. */
export function containerEnv(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => {
    if (ENDPOINT_VARS.test(k)) v = v.replace(/^(https?:\/\/)(127\.0\.0\.1|localhost|\[::1\])(?=[:/]|$)/, '$1host.docker.internal');
    return `${k}=${v}`;
  });
}

export async function createDockerDriver(opts: DockerDriverOptions): Promise<InstanceDriver> {
  const docker = opts.docker ?? new Docker();
  const log = opts.log;
  const agentName = opts.agentName ?? 'default';
  const pullPolicy = opts.pullPolicy ?? 'if-not-present';
  if (pullPolicy !== 'if-not-present' && pullPolicy !== 'always') throw new Error(`IMAGE_PULL_POLICY must be if-not-present or always, not "${pullPolicy}"`);
  const images = { python: opts.runtimeImages?.python ?? 'esb-runtime:python3', nodejs: opts.runtimeImages?.nodejs ?? 'esb-runtime:nodejs' };
  const network = opts.network ?? 'bridge';

  let host = opts.runtimeApiHost;
  try {
    await docker.ping();
    if (!host) {
      const net = await docker.getNetwork(network === 'host' ? 'bridge' : network).inspect();
      host = net?.IPAM?.Config?.[0]?.Gateway;
    }
    // Stale containers of an earlier run of this agent.
    const stale = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${agentName}`] } });
    await Promise.all(stale.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
    if (stale.length) log.info({ removed: stale.length }, 'removed stale esb containers');
  } catch (err) {
    log.warn({ err: String(err) }, 'the Docker engine does not answer: functions fail (Unavailable) until it does');
  }
  host ??= '172.17.0.1';

  const live = new Map<string, InstanceHandle>();
  const checked = new Map<string, number>();

  async function ensureImage(image: string): Promise<void> {
    if (pullPolicy === 'if-not-present') {
      const seen = checked.get(image);
      if (seen && Date.now() - seen < 5_000) return;
      try {
        await docker.getImage(image).inspect();
        checked.set(image, Date.now());
        return;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
    }
    try {
      const stream = await docker.pull(image);
      await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())));
    } catch (err) {
      throw new Error(
        `image ${image} ${pullPolicy === 'always' ? 'could not be pulled' : 'is not present locally and could not be pulled'} (${err instanceof Error ? err.message : String(err)}); build it (esb artifact generate --build-images, scripts/docker-base-image.sh)`,
      );
    }
  }

  function imageFor(spec: InstanceSpec): string {
    if (spec.image) return spec.image;
    if (isPythonRuntime(spec.runtime)) return images.python;
    if (isNodeRuntime(spec.runtime)) return images.nodejs;
    throw new Error(`function ${spec.functionName}: no image and no base image for runtime "${spec.runtime ?? '(none)'}"`);
  }

  return {
    kind: 'docker',
    runtimeApiBindHost: host,
    runtimeApiAdvertiseHost: host,
    async start(spec, onLine) {
      const image = imageFor(spec);
      await ensureImage(image);
      const binds: string[] = [];
      if (!spec.image) {
        if (spec.codeDir) binds.push(`${spec.codeDir}:/var/task:ro`);
        if (spec.layerDirs[0]) binds.push(`${spec.layerDirs[0]}:/opt:ro`);
      }
      const container = await docker.createContainer({
        name: `esb-${spec.functionName.toLowerCase().replace(/[^a-z0-9_.-]/g, '-')}-${spec.instanceId.slice(0, 12)}`,
        Image: image,
        Env: containerEnv(spec.env),
        ...(spec.handler ? { Cmd: [spec.handler] } : {}),
        Labels: { [LABEL]: agentName, [LABEL_FUNCTION]: spec.functionName },
        HostConfig: {
          Memory: spec.memoryMb * 1024 * 1024,
          MemorySwap: spec.memoryMb * 1024 * 1024,
          NetworkMode: network,
          ExtraHosts: network === 'host' ? [] : ['host.docker.internal:host-gateway'],
          Binds: binds,
          Init: true,
        },
      });
      const out = new LineSplitter((l) => onLine('stdout', l));
      const err = new LineSplitter((l) => onLine('stderr', l));
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const so = new PassThrough();
      const se = new PassThrough();
      so.on('data', (c: Buffer) => out.push(c));
      se.on('data', (c: Buffer) => err.push(c));
      docker.modem.demuxStream(stream, so, se);
      try {
        await container.start();
      } catch (e) {
        await container.remove({ force: true }).catch(() => {});
        throw e;
      }
      // After start: "not-running" answers at once for a created container, and still
      // answers (with the status) for one that has already exited.
      const waited = container.wait();
      let removed: Promise<void> | undefined;
      const remove = () => (removed ??= container.remove({ force: true }).then(() => {}, () => {}));
      const exited = waited.then(
        (r: { StatusCode?: number }) => ({ code: r?.StatusCode ?? null, signal: null }),
        () => ({ code: null, signal: 'engine-gone' }),
      ).then(async (r) => {
        out.end();
        err.end();
        live.delete(spec.instanceId);
        await remove(); // "exited" means gone: no container left behind
        return r;
      });
      const cgroupFiles = [`/sys/fs/cgroup/memory/docker/${container.id}/memory.max_usage_in_bytes`, `/sys/fs/cgroup/system.slice/docker-${container.id}.scope/memory.peak`];
      const handle: InstanceHandle = {
        id: spec.instanceId,
        exited,
        async stop() {
          await container.kill({ signal: 'SIGKILL' }).catch(() => {});
          await Promise.race([exited, new Promise((r) => setTimeout(r, (opts.stopGraceSeconds ?? 5) * 1000))]);
          await remove();
        },
        maxMemoryUsedMb() {
          for (const f of cgroupFiles) {
            try {
              return Math.ceil(Number(readFileSync(f, 'utf8').trim()) / 1024 / 1024);
            } catch {
              /* not this cgroup layout */
            }
          }
          return undefined;
        },
      };
      live.set(spec.instanceId, handle);
      return handle;
    },
    async close() {
      await Promise.all([...live.values()].map((h) => h.stop()));
    },
  };
}
