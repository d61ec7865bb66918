// How the agent starts an instance: a local process (embedded default) or a Docker
// container. The pool, the Runtime API and logs are the agent's; a driver only starts and
// stops instances.

export interface InstanceSpec {
  functionName: string;
  instanceId: string;
  runtime?: string;
  handler?: string;
  /** Process runtime: the function's code folder (the working directory). */
  codeDir?: string;
  /** Process runtime: what changes when the code or layers change (functions.yml's digest). */
  codeVersion?: string;
  /** Process runtime: layer content folders, in order (what Lambda puts under /opt). */
  layerDirs: string[];
  /** Docker runtime: the image to run. */
  image?: string;
  memoryMb: number;
  /** The complete environment of the instance (Lambda variables + the function's own). */
  env: Record<string, string>;
  /**
   * The secret esb's runtime clients present to this instance's Runtime API (header
   * `x-esb-runtime-secret`); a driver hands it over outside the environment (stdin).
   */
  runtimeApiSecret?: string;
}

export interface InstanceHandle {
  readonly id: string;
  /** Resolves when the instance has exited, for any reason. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Stops the instance (SIGKILL after a short grace) and resolves once it is gone. */
  stop(): Promise<void>;
  /** Peak memory of the instance in MB, when the driver can tell (REPORT's Max Memory Used). */
  maxMemoryUsedMb?(): number | undefined;
  /**
   * Process runtime: the uid the instance runs as. Its Runtime API admits connections from
   * that uid (and clients that present the secret) only; undefined: no peer check (Docker).
   */
  readonly runtimeApiUid?: number;
  /** The instance ran out of memory (its MemorySize), when the driver can tell. */
  outOfMemory?(): boolean;
  /**
   * Told each time the instance has answered an invocation (its result or error document, handed
   * back before this call); not when one times out or the instance exits. The process driver
   * starts a used spare's replacement on the first (docs/agent.md#spare-runtimes).
   */
  served?(): void;
  /**
   * Reads what the instance has printed so far and hands its lines on now, before the agent
   * takes the invocation's result: a line belongs to the invocation running when it is read,
   * and the result may be read first (docs/agent.md#logs). The process driver reads the pipes.
   */
  readOutput?(): void;
  /**
   * Process runtime, esb's own Node and Python clients: the agent's end of the instance channel
   * (instance-channel.ts), which then carries the Runtime API instead of HTTP.
   */
  readonly channel?: import('node:stream').Duplex;
}

export interface InstanceDriver {
  readonly kind: 'process' | 'docker';
  /** Host the per-instance Runtime API servers bind to, and the one instances use to reach them. */
  readonly runtimeApiBindHost: string;
  readonly runtimeApiAdvertiseHost: string;
  /** Starts an instance; each output line goes to `onLine`. */
  start(spec: InstanceSpec, onLine: (stream: 'stdout' | 'stderr', line: string) => void): Promise<InstanceHandle>;
  /** Why `runtime` runs on another version here (process runtime: the machine's node/python3), if it does. */
  versionWarning?(runtime: string | undefined): string | undefined;
  close(): Promise<void>;
}
