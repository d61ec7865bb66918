// kind/ cannot run here (no node image), so its manifests are checked for the things that
// would silently break: RBAC covering every call the kube backend makes, local images, and
// the ports that tie the pieces together.
import { readFileSync } from 'node:fs';

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const KIND = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../kind');
type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };
// The files kind/kustomization.yaml lists (its ../crds base aside): what `kubectl apply -k kind/` applies.
const kustomization = parseAllDocuments(readFileSync(path.join(KIND, 'kustomization.yaml'), 'utf8'))[0].toJS() as { resources: string[] };
const objects: Obj[] = kustomization.resources
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(path.join(KIND, f), 'utf8')).map((d) => d.toJS() as Obj));
const find = (kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in kind/manifests`);
  return o;
};
const allows = (role: Obj, group: string, resource: string, verb: string) =>
  role.rules.some((r: any) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
const env = (dep: Obj, name: string) => dep.spec.template.spec.containers[0].env.find((e: any) => e.name === name)?.value;

describe('kind manifests', () => {
  it('the controller ClusterRole allows every call the kube backend makes, bound to its ServiceAccount', () => {
    const role = find('ClusterRole', 'esb-controller');
    for (const verb of ['get', 'list', 'watch']) expect(allows(role, 'esb.dev', 'deployments', verb)).toBe(true);
    expect(allows(role, 'esb.dev', 'deployments/status', 'patch')).toBe(true);
    expect(allows(role, 'events.k8s.io', 'events', 'create')).toBe(true);
    expect(allows(role, 'events.k8s.io', 'events', 'patch')).toBe(true);
    const binding = find('ClusterRoleBinding', 'esb-controller');
    expect(binding.subjects).toContainEqual({ kind: 'ServiceAccount', name: 'esb-controller', namespace: 'esb-system' });
    expect(find('Deployment', 'esb-controller').spec.template.spec.serviceAccountName).toBe('esb-controller');
  });

  it('every workload runs the one locally loaded esb image (never pulled), as a non-root user with a read-only root', () => {
    const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
    expect(workloads.map((w) => w.metadata.name).sort()).toEqual(['esb-agent', 'esb-controller', 'esb-gateway', 'esb-storage']);
    for (const w of workloads) {
      const pod = w.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
      for (const c of pod.containers) {
        expect(c.image).toBe('esb:latest');
        expect(c.imagePullPolicy).toBe('Never');
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      }
    }
  });

  it('the controller runs the process runtime with leader election and probes on its health port', () => {
    const c = find('Deployment', 'esb-controller').spec.template.spec.containers[0];
    expect(c.args.slice(c.args.indexOf('--runtime'), c.args.indexOf('--runtime') + 2)).toEqual(['--runtime', 'process']);
    expect(c.args).toContain('--leader-elect');
    const port = Number(c.args[c.args.indexOf('--health-port') + 1]);
    expect(c.ports).toContainEqual({ name: 'health', containerPort: port });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(env(find('Deployment', 'esb-controller'), 'AWS_ENDPOINT_URL_DYNAMODB')).toBe(`http://esb-storage.esb-system.svc:${find('Service', 'esb-storage').spec.ports[0].port}`);
  });

  it('ports line up: gateway -> agent Service, gateway NodePort -> kind port mapping', () => {
    const agentPort = find('Service', 'esb-agent').spec.ports[0].port;
    expect(env(find('Deployment', 'esb-gateway'), 'AGENT_URL')).toBe(`http://esb-agent.esb-system.svc:${agentPort}`);
    const agentArgs: string[] = find('Deployment', 'esb-agent').spec.template.spec.containers[0].args;
    expect(agentArgs[agentArgs.indexOf('--port') + 1]).toBe(String(agentPort));
    const nodePort = find('Service', 'esb-gateway').spec.ports[0].nodePort;
    const cluster = parseAllDocuments(readFileSync(path.join(KIND, 'kind-cluster.yaml'), 'utf8'))[0].toJS();
    expect(cluster.nodes[0].extraPortMappings.map((m: any) => m.containerPort)).toContain(nodePort);
  });

  it("the gateway and the agents share one writable CA folder (the gateway's https, the functions' trust)", () => {
    const mountOf = (name: string) => {
      const pod = find('Deployment', name).spec.template.spec;
      const dir = env(find('Deployment', name), 'ESB_TLS_DIR');
      const mount = pod.containers[0].volumeMounts.find((m: any) => m.mountPath === dir);
      expect(mount?.readOnly ?? false).toBe(false);
      return pod.volumes.find((v: any) => v.name === mount.name).persistentVolumeClaim.claimName;
    };
    expect(mountOf('esb-gateway')).toBe('esb-tls');
    expect(mountOf('esb-agent')).toBe('esb-tls');
    expect(find('PersistentVolumeClaim', 'esb-tls').spec.accessModes).toEqual(find('PersistentVolumeClaim', 'esb-state').spec.accessModes);
  });
});
