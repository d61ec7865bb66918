// Runs the pods of rendered Kubernetes manifests (`kubectl kustomize kind/`) as `docker run`s on
// one private Docker network, the way a kubelet would run them on one node: each replica of a
// Deployment/StatefulSet is a container with the pod spec's image, args, env, volumes, ports and
// securityContext; a Service becomes DNS aliases of the containers it selects; a service account
// token is mounted where in-cluster clients look for it, with KUBERNETES_SERVICE_HOST/PORT. The
// mapping is read from the YAML (nothing about esb's containers is written here) and refuses
// what it cannot map faithfully. Used by kind-docker.int.test.ts (docs/kube.md).
import { execFile } from 'node:child_process';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  [key: string]: unknown;
}

export interface ClusterAccess {
  /** What the API server is reached at from the containers. */
  host: string;
  port: number;
  /** Host folder with token, ca.crt and namespace files (mounted at the service account path). */
  serviceAccountDir(namespace: string): string;
}

export interface DockerRun {
  /** Container name (unique per run). */
  name: string;
  workload: string;
  namespace: string;
  hostname: string;
  image: string;
  pullNever: boolean;
  args: string[];
  env: Record<string, string>;
  user?: string;
  groupAdd: string[];
  readOnly: boolean;
  capDrop: string[];
  noNewPrivileges: boolean;
  tmpfs: string[];
  mounts: Array<{ type: 'volume' | 'bind'; source: string; target: string; readOnly: boolean }>;
  aliases: string[];
  ports: Array<{ name?: string; containerPort: number }>;
  readiness?: { path: string; port: number } | { tcpPort: number };
}

export interface MapOptions {
  /** Prefix of container and volume names (one test run). */
  prefix: string;
  /** hostPath volumes: node path -> host folder. An unmapped hostPath is an error. */
  hostPaths: Record<string, string>;
  cluster: ClusterAccess;
}

const SA_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

function fail(object: K8sObject, what: string): never {
  throw new Error(`${object.kind}/${object.metadata.name}: ${what} cannot be run in Docker by this mapping`);
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function portOf(container: any, port: string | number): number | undefined {
  if (typeof port === 'number') return port;
  return (container.ports ?? []).find((p: any) => p.name === port)?.containerPort;
}

/** Every container of every pod the manifests would run, as docker runs. */
export function dockerRunsOf(objects: K8sObject[], opts: MapOptions): DockerRun[] {
  const runs: DockerRun[] = [];
  const services = objects.filter((o) => o.kind === 'Service');
  for (const workload of objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')) {
    if (workload.apiVersion !== 'apps/v1') continue;
    const ns = workload.metadata.namespace ?? 'default';
    const pod = workload.spec.template.spec;
    const labels = workload.spec.template.metadata?.labels ?? {};
    const replicas = workload.spec.replicas ?? 1;
    if (pod.initContainers?.length) fail(workload, 'initContainers');
    if ((pod.containers ?? []).length !== 1) fail(workload, 'a pod with other than one container');
    const container = pod.containers[0];
    const podSc = pod.securityContext ?? {};
    const sc = { ...podSc, ...(container.securityContext ?? {}) };

    // Services selecting this pod: their DNS names, and their ports must be the container's.
    const aliases: string[] = [];
    for (const svc of services) {
      if ((svc.metadata.namespace ?? 'default') !== ns || !selects(svc.spec.selector, labels)) continue;
      for (const p of svc.spec.ports ?? []) {
        const target = portOf(container, p.targetPort ?? p.port);
        if (target !== p.port) fail(svc, `port ${p.port} -> targetPort ${p.targetPort} (${target}): Docker aliases cannot remap ports`);
      }
      const n = svc.metadata.name;
      aliases.push(n, `${n}.${ns}`, `${n}.${ns}.svc`, `${n}.${ns}.svc.cluster.local`);
    }

    for (let i = 0; i < replicas; i++) {
      const podName = `${workload.metadata.name}-${i}`;
      const env: Record<string, string> = {};
      for (const e of container.env ?? []) {
        if (e.valueFrom) fail(workload, `env ${e.name} (valueFrom)`);
        env[e.name] = String(e.value ?? '');
      }
      const mounts: DockerRun['mounts'] = [];
      const tmpfs: string[] = [];
      for (const m of container.volumeMounts ?? []) {
        if (m.subPath) fail(workload, `volumeMount ${m.name} with subPath`);
        const readOnly = m.readOnly === true;
        const vol = (pod.volumes ?? []).find((v: any) => v.name === m.name);
        const claimTemplate = (workload.spec.volumeClaimTemplates ?? []).find((t: any) => t.metadata.name === m.name);
        if (claimTemplate) {
          mounts.push({ type: 'volume', source: `${opts.prefix}-${m.name}-${podName}`, target: m.mountPath, readOnly });
        } else if (vol?.persistentVolumeClaim) {
          mounts.push({ type: 'volume', source: `${opts.prefix}-${vol.persistentVolumeClaim.claimName}`, target: m.mountPath, readOnly });
        } else if (vol?.hostPath) {
          const host = opts.hostPaths[vol.hostPath.path];
          if (!host) fail(workload, `hostPath ${vol.hostPath.path} (no host folder given for it)`);
          mounts.push({ type: 'bind', source: host, target: m.mountPath, readOnly });
        } else if (vol?.emptyDir) {
          tmpfs.push(m.mountPath);
        } else fail(workload, `volume ${m.name}`);
      }
      if (pod.serviceAccountName && pod.automountServiceAccountToken !== false) {
        mounts.push({ type: 'bind', source: opts.cluster.serviceAccountDir(ns), target: SA_PATH, readOnly: true });
        env.KUBERNETES_SERVICE_HOST = opts.cluster.host;
        env.KUBERNETES_SERVICE_PORT = String(opts.cluster.port);
      }
      const probe = container.readinessProbe;
      const readiness = probe?.httpGet
        ? { path: probe.httpGet.path, port: portOf(container, probe.httpGet.port)! }
        : probe?.tcpSocket
          ? { tcpPort: portOf(container, probe.tcpSocket.port)! }
          : undefined;
      if (container.command) fail(workload, 'command (the image entrypoint is the esb CLI)');
      runs.push({
        name: `${opts.prefix}-${podName}`,
        workload: `${workload.kind}/${workload.metadata.name}`,
        namespace: ns,
        hostname: podName,
        image: container.image,
        pullNever: container.imagePullPolicy === 'Never',
        args: (container.args ?? []).map(String),
        env,
        user: sc.runAsUser !== undefined ? `${sc.runAsUser}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ''}` : undefined,
        groupAdd: podSc.fsGroup !== undefined ? [String(podSc.fsGroup)] : [],
        readOnly: sc.readOnlyRootFilesystem === true,
        capDrop: sc.capabilities?.drop ?? [],
        noNewPrivileges: sc.allowPrivilegeEscalation === false,
        tmpfs,
        mounts,
        aliases,
        ports: container.ports ?? [],
        readiness,
      });
    }
  }
  return runs;
}

/** `docker run -d` arguments of one mapped container on `network`. */
export function dockerRunArgs(run: DockerRun, network: string, labels: Record<string, string> = {}): string[] {
  const args = ['run', '-d', '--name', run.name, '--hostname', run.hostname, '--network', network];
  for (const alias of run.aliases) args.push('--network-alias', alias);
  if (run.pullNever) args.push('--pull', 'never');
  if (run.user) args.push('--user', run.user);
  for (const g of run.groupAdd) args.push('--group-add', g);
  if (run.readOnly) args.push('--read-only');
  for (const c of run.capDrop) args.push('--cap-drop', c);
  if (run.noNewPrivileges) args.push('--security-opt', 'no-new-privileges');
  for (const t of run.tmpfs) args.push('--tmpfs', `${t}:mode=1777`);
  for (const m of run.mounts) args.push('--mount', `type=${m.type},source=${m.source},target=${m.target}${m.readOnly ? ',readonly' : ''}`);
  for (const [k, v] of Object.entries(run.env)) args.push('--env', `${k}=${v}`);
  for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
  args.push(run.image, ...run.args);
  return args;
}

export function docker(args: string[], opts: { allowFail?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && !opts.allowFail) reject(new Error(`docker ${args.slice(0, 3).join(' ')}...: ${stderr || error.message}`, { cause: error }));
      else resolve(stdout);
    });
  });
}
