// InstanceDriver for containers (dockerode). Each instance is a container labelled as esb's,
// with a memory limit of MemorySize, reaching its Runtime API on the bridge gateway address
// (the agent listens there, not on 0.0.0.0). Function images come from the image builder
// (code and layers inside); a function without an image runs on the runtime base image with
// its code folder mounted at /var/task and its first layer at /opt.
// Cold starts: after a function's container starts, the driver creates the next one ahead (a
// "spare", created but not started), so the next cold start of that function (scale-out, after
// scale to zero, a replaced instance) is only attach + start. What differs per instance (the
// Runtime API port, the log stream) is not known ahead: a spare gets it as one JSON line on stdin,
// which the bootstrap of images labelled dev.esb.env-stdin=1 reads first (Python and Node).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import type { Logger } from 'pino';
import type { InstanceDriver, InstanceHandle, InstanceSpec } from './driver.js';
import { CA_BUNDLE_FILE, CA_CERT_FILE, isJavaRuntime, RUNTIME_IMAGES } from '@esb/contracts';
import { CONTAINER_TLS_DIR, isNodeRuntime, isPythonRuntime, type TrustFiles } from './env.js';
import { LineSplitter } from './lines.js';
import { lambdaNodeOptions } from './node-options.js';
import { hostOf, isLoopback, withHost } from './s3-endpoint.js';

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
  runtimeImages?: { python?: string; nodejs?: string; java?: string };
  stopGraceSeconds?: number;
  /** Timestamps (performance.now()) of a start's steps, for benchmarks (bench/src/docker-cold.bench.ts). */
  trace?: (instanceId: string, step: DockerStartStep, at: number) => void;
  /** Create each function's next container ahead (default true). */
  spares?: boolean;
  /** A spare not used for this long is removed (default 30 min). */
  spareTtlMs?: number;
  /** Delay between a start and the creation of the next spare, off the starting instance's way (default 250 ms). */
  spareDelayMs?: number;
  /** esb's local CA files on the engine's host, mounted read-only at CONTAINER_TLS_DIR in every container. */
  trustFiles?: TrustFiles;
}

/** `created` is a fresh container; `spare` a pre-created one taken instead. */
export type DockerStartStep = 'begin' | 'created' | 'spare' | 'attached' | 'started';

/** Image label: its entrypoint reads PER_INSTANCE_ENV as one JSON line on stdin when ESB_ENV_STDIN=1. */
export const LABEL_ENV_STDIN = 'dev.esb.env-stdin';
/** Entrypoints known to honour the label (a derived image with its own entrypoint inherits the label, not the behaviour). */
const NODE_IMAGE_ENTRYPOINT = ['/usr/bin/node', '/var/runtime/bootstrap.mjs'] as const;
const STDIN_ENV_ENTRYPOINTS = new Set([JSON.stringify(['/usr/bin/python3', '/var/runtime/bootstrap.py']), JSON.stringify(NODE_IMAGE_ENTRYPOINT)]);

/**
 * The entrypoint of a Node function's container: the image's (esb-runtime:nodejs, or a zip
 * function's image built on it) with Lambda's options for its MemorySize put before the bootstrap.
 */
export function nodeEntrypoint(memoryMb: number): string[] {
  const [node, bootstrap] = NODE_IMAGE_ENTRYPOINT;
  return [node, ...lambdaNodeOptions(memoryMb), bootstrap];
}
/** Variables that differ between two instances of the same function config (see agent/src/env.ts). */
export const PER_INSTANCE_ENV = ['AWS_LAMBDA_RUNTIME_API', 'AWS_LAMBDA_LOG_STREAM_NAME'] as const;

/** Splits an instance's environment into what a spare can carry and what it gets on stdin. */
export function splitInstanceEnv(env: Record<string, string>): { shared: Record<string, string>; perInstance: Record<string, string> } {
  const shared: Record<string, string> = {};
  const perInstance: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) ((PER_INSTANCE_ENV as readonly string[]).includes(k) ? perInstance : shared)[k] = v;
  return { shared, perInstance };
}

/** Two starts can share a pre-created container when everything but the per-instance variables is equal. */
export function spareKey(p: { image: string; handler?: string; memoryMb: number; binds: string[]; env: Record<string, string> }): string {
  const { shared } = splitInstanceEnv(p.env);
  return JSON.stringify([p.image, p.handler ?? null, p.memoryMb, p.binds, Object.entries(shared).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

/** Whether an image's entrypoint takes the per-instance variables on stdin (label + a known entrypoint). */
export function takesEnvOnStdin(config: { Labels?: Record<string, string> | null; Entrypoint?: string[] | string | null } | undefined): boolean {
  if (config?.Labels?.[LABEL_ENV_STDIN] !== '1') return false;
  return STDIN_ENV_ENTRYPOINTS.has(JSON.stringify(typeof config.Entrypoint === 'string' ? [config.Entrypoint] : (config.Entrypoint ?? [])));
}

const ENDPOINT_VARS = /^AWS_ENDPOINT_URL/;
/** A URL on the host's loopback (or host:port without a scheme): scheme, host, port. */
const LOOPBACK_URL = /^((?:https?|wss?):\/\/)?(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(?=[/?#]|$)/;

/**
 * Endpoints on the host's loopback are unreachable from a container: point them at the host
 * gateway. Values on the same loopback port as one of them follow it, whatever their scheme (a
 * queue URL the agent put on esb's SQS endpoint; an API Gateway URL put on the gateway, https or wss).
 */
export function containerEnv(env: Record<string, string>, gateway?: string): string[] {
  const ports = new Set<string>();
  for (const [k, v] of Object.entries(env)) {
    const m = ENDPOINT_VARS.test(k) ? LOOPBACK_URL.exec(v) : null;
    if (m?.[1]?.startsWith('http')) ports.add(m[3] ?? '');
  }
  return Object.entries(env).map(([k, v]) => {
    // The S3 endpoint as an address (docs/agent.md, "The S3 endpoint as an address"): the network's gateway.
    const host = k === S3_ENDPOINT && gateway ? hostOf(v) : undefined;
    if (host && isLoopback(host)) return `${k}=${withHost(v, gateway!)}`;
    const m = LOOPBACK_URL.exec(v);
    if (m && (ENDPOINT_VARS.test(k) ? m[1]?.startsWith('http') : ports.has(m[3] ?? ''))) v = `${m[1] ?? ''}host.docker.internal${m[3] ?? ''}${v.slice(m[0].length)}`;
    return `${k}=${v}`;
  });
}

const S3_ENDPOINT = 'AWS_ENDPOINT_URL_S3';

/** Read-only mounts of the local CA's two public files at CONTAINER_TLS_DIR (its key stays out of containers). */
export function trustBinds(trust: TrustFiles | undefined): string[] {
  return trust ? [`${trust.cert}:${CONTAINER_TLS_DIR}/${CA_CERT_FILE}:ro`, `${trust.bundle}:${CONTAINER_TLS_DIR}/${CA_BUNDLE_FILE}:ro`] : [];
}

export async function createDockerDriver(opts: DockerDriverOptions): Promise<InstanceDriver> {
  const docker = opts.docker ?? new Docker();
  const log = opts.log;
  const agentName = opts.agentName ?? 'default';
  const pullPolicy = opts.pullPolicy ?? 'if-not-present';
  if (pullPolicy !== 'if-not-present' && pullPolicy !== 'always') throw new Error(`IMAGE_PULL_POLICY must be if-not-present or always, not "${pullPolicy}"`);
  const images = { python: opts.runtimeImages?.python ?? RUNTIME_IMAGES.python3, nodejs: opts.runtimeImages?.nodejs ?? RUNTIME_IMAGES.nodejs, java: opts.runtimeImages?.java ?? RUNTIME_IMAGES.java };
  const network = opts.network ?? 'bridge';
  const caBinds = trustBinds(opts.trustFiles);

  let host = opts.runtimeApiHost;
  /** The network's gateway: the host, as containers on the network reach it. */
  let gateway: string | undefined;
  try {
    await docker.ping();
    const net = await docker.getNetwork(network === 'host' ? 'bridge' : network).inspect();
    gateway = net?.IPAM?.Config?.[0]?.Gateway;
    host ??= gateway;
    // Stale containers of an earlier run of this agent.
    const stale = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${agentName}`] } });
    await Promise.all(stale.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
    if (stale.length) log.info({ removed: stale.length }, 'removed stale esb containers');
  } catch (err) {
    log.warn({ err: String(err) }, 'the Docker engine does not answer: functions fail (Unavailable) until it does');
  }
  host ??= '172.17.0.1';
  // On the host's network, containers reach loopback endpoints as they are.
  const s3Gateway = network === 'host' ? undefined : (gateway ?? '172.17.0.1');

  const live = new Map<string, InstanceHandle>();
  /** Container removals in progress (close() waits for them). */
  const removals = new Set<Promise<void>>();
  const checked = new Map<string, number>();
  let closed = false;
  // One spare per function: the config it was made for (key) and, once created, the container.
  interface Spare {
    key: string;
    ready?: Docker.Container;
    dropped: boolean;
    created: Promise<void>;
    expiry?: NodeJS.Timeout;
  }
  const spares = new Map<string, Spare>();
  const useSpares = opts.spares ?? true;

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
    if (isJavaRuntime(spec.runtime)) return images.java;
    throw new Error(`function ${spec.functionName}: no image and no base image for runtime "${spec.runtime ?? '(none)'}"`);
  }

  /**
   * Creates the container; the image is looked at (and pulled) only when the engine does not
   * have it: no inspect round trip on a cold start's path (IMAGE_PULL_POLICY=always pulls first).
   */
  async function createContainer(image: string, config: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    if (pullPolicy === 'always') await ensureImage(image);
    try {
      return await docker.createContainer(config);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404 || pullPolicy === 'always') throw err;
      await ensureImage(image); // a missing image: pull it, or say how to build it
      return docker.createContainer(config);
    }
  }

  function dropSpare(fn: string, spare: Spare): Promise<void> {
    if (spares.get(fn) === spare) spares.delete(fn);
    spare.dropped = true;
    clearTimeout(spare.expiry);
    const c = spare.ready;
    spare.ready = undefined;
    return c ? c.remove({ force: true }).then(() => {}, () => {}) : Promise.resolve();
  }

  /** The function's spare when it is created and made for this config (one of another config is dropped). */
  function takeSpare(fn: string, key: string): Docker.Container | undefined {
    const spare = spares.get(fn);
    if (!spare) return undefined;
    if (spare.key !== key) {
      void dropSpare(fn, spare);
      return undefined;
    }
    if (!spare.ready) return undefined; // still being created: not worth waiting for
    spares.delete(fn);
    clearTimeout(spare.expiry);
    return spare.ready;
  }

  /** After a start: create the function's next container (when its image takes the per-instance env on stdin). */
  function prepareSpare(fn: string, key: string, image: string, config: Docker.ContainerCreateOptions): void {
    if (!useSpares || closed || spares.get(fn)?.key === key) return;
    const old = spares.get(fn);
    if (old) void dropSpare(fn, old);
    const spare: Spare = { key, dropped: false, created: Promise.resolve() };
    spare.created = new Promise((r) => setTimeout(r, opts.spareDelayMs ?? 250))
      .then(async () => {
        if (spare.dropped) return;
        if (!takesEnvOnStdin((await docker.getImage(image).inspect()).Config)) return;
        const { shared } = splitInstanceEnv(Object.fromEntries((config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])));
        if (spare.dropped) return;
        const c = await docker.createContainer({
          ...config,
          name: `esb-${fn.toLowerCase().replace(/[^a-z0-9_.-]/g, '-')}-${randomBytes(6).toString('hex')}`,
          Env: [...Object.entries(shared).map(([k, v]) => `${k}=${v}`), 'ESB_ENV_STDIN=1'],
          OpenStdin: true,
          StdinOnce: true,
          AttachStdin: true,
        });
        if (spare.dropped) await c.remove({ force: true }).catch(() => {});
        else spare.ready = c;
      })
      .catch((err) => {
        log.debug({ err: String(err), function: fn }, 'no spare container');
      });
    spare.expiry = setTimeout(() => void dropSpare(fn, spare), opts.spareTtlMs ?? 30 * 60_000);
    spare.expiry.unref();
    spares.set(fn, spare);
  }

  return {
    kind: 'docker',
    runtimeApiBindHost: host,
    runtimeApiAdvertiseHost: host,
    async start(spec, onLine) {
      const trace = opts.trace ? (step: DockerStartStep) => opts.trace!(spec.instanceId, step, performance.now()) : () => {};
      trace('begin');
      const image = imageFor(spec);
      const binds: string[] = [...caBinds];
      if (!spec.image) {
        if (spec.codeDir) binds.push(`${spec.codeDir}:/var/task:ro`);
        if (spec.layerDirs[0]) binds.push(`${spec.layerDirs[0]}:/opt:ro`);
      }
      const env = containerEnv(spec.env, s3Gateway);
      const config: Docker.ContainerCreateOptions = {
        Image: image,
        Env: env,
        ...(spec.handler ? { Cmd: [spec.handler] } : {}),
        ...(isNodeRuntime(spec.runtime) ? { Entrypoint: nodeEntrypoint(spec.memoryMb) } : {}),
        Labels: { [LABEL]: agentName, [LABEL_FUNCTION]: spec.functionName },
        HostConfig: {
          Memory: spec.memoryMb * 1024 * 1024,
          MemorySwap: spec.memoryMb * 1024 * 1024,
          NetworkMode: network,
          ExtraHosts: network === 'host' ? [] : ['host.docker.internal:host-gateway'],
          Binds: binds,
          Init: true,
        },
      };
      const envMap = Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
      const key = spareKey({ image, handler: spec.handler, memoryMb: spec.memoryMb, binds, env: envMap });
      let container: Docker.Container | undefined = takeSpare(spec.functionName, key);
      let stream: NodeJS.ReadWriteStream | undefined;
      if (container) {
        trace('spare');
        try {
          // The per-instance variables, written before the start: the engine hands them over once the process reads.
          stream = (await container.attach({ stream: true, hijack: true, stdin: true, stdout: true, stderr: true })) as NodeJS.ReadWriteStream;
          stream.end(`${JSON.stringify(splitInstanceEnv(envMap).perInstance)}\n`); // then EOF, as /dev/null would give
        } catch (e) {
          log.debug({ err: String(e), function: spec.functionName }, 'spare container unusable: creating one');
          void container.remove({ force: true }).catch(() => {});
          container = undefined;
        }
      }
      if (!container || !stream) {
        container = await createContainer(image, { ...config, name: `esb-${spec.functionName.toLowerCase().replace(/[^a-z0-9_.-]/g, '-')}-${spec.instanceId.slice(0, 12)}` });
        trace('created');
        try {
          stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadWriteStream;
        } catch (e) {
          await container.remove({ force: true }).catch(() => {});
          throw e;
        }
      }
      const out = new LineSplitter((l) => onLine('stdout', l));
      const err = new LineSplitter((l) => onLine('stderr', l));
      const so = new PassThrough();
      const se = new PassThrough();
      so.on('data', (c: Buffer) => out.push(c));
      se.on('data', (c: Buffer) => err.push(c));
      docker.modem.demuxStream(stream, so, se);
      trace('attached');
      try {
        await container.start();
        trace('started');
      } catch (e) {
        await container.remove({ force: true }).catch(() => {});
        throw e;
      }
      prepareSpare(spec.functionName, key, image, config);
      const started: Docker.Container = container;
      // After start: "not-running" answers at once for a created container, and still
      // answers (with the status) for one that has already exited.
      const waited = started.wait();
      let removed: Promise<void> | undefined;
      const remove = () => {
        if (!removed) {
          const p = started.remove({ force: true }).then(() => {}, () => {});
          removed = p;
          // close() waits for it, also when the container exited (left `live`) before close.
          removals.add(p);
          void p.finally(() => removals.delete(p));
        }
        return removed;
      };
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
      const cgroupFiles = [`/sys/fs/cgroup/memory/docker/${started.id}/memory.max_usage_in_bytes`, `/sys/fs/cgroup/system.slice/docker-${started.id}.scope/memory.peak`];
      const handle: InstanceHandle = {
        id: spec.instanceId,
        exited,
        async stop() {
          await started.kill({ signal: 'SIGKILL' }).catch(() => {});
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
      closed = true;
      const pending = [...spares.values()];
      const removed = [...spares].map(([fn, spare]) => dropSpare(fn, spare));
      await Promise.all([...live.values()].map((h) => h.stop()));
      await Promise.all([...removed, ...pending.map((sp) => sp.created)]); // one being created removes itself (dropped)
      await Promise.all([...removals]);
    },
  };
}
