// Writing a Deployment to the cluster, as `kubectl apply` would for the fields esb deploy owns:
// create it, or (it exists) JSON-merge-patch its spec. Used by `esb deploy --kube`.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { DeploymentSpec } from '@esb/contracts';
import { API_VERSION, GROUP, KIND, PLURAL, statusOf, VERSION } from './config.js';
import { KubeApiError } from './store.js';

export interface DeploymentWrite {
  namespace: string;
  name: string;
  spec: DeploymentSpec;
}

/** The namespace of the kubeconfig's current context, else `default` (what kubectl does). */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
}

/** Creates the Deployment, or merge-patches the spec of the existing one. */
export async function writeDeployment(kc: KubeConfig, write: DeploymentWrite, fieldManager = 'esb-deploy'): Promise<'created' | 'updated'> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const { namespace, name, spec } = write;
  const source = `kube:${namespace}/${name}`;
  const body = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec };
  try {
    await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, body, fieldManager });
    return 'created';
  } catch (error) {
    const status = statusOf(error);
    if (status !== 409) {
      const hint = status === 404 ? ' (is the CRD installed? kubectl apply -k crds/)' : '';
      throw new KubeApiError(`${source}: create failed: ${messageOf(error)}${hint}`, source, status, { cause: error });
    }
  }
  // Exists: replace the fields this command sets; clear the ones it leaves out (null in a merge patch).
  const patch = { spec: { artifact: null, parameters: null, ...spec } };
  try {
    await api.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: patch, fieldManager },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    return 'updated';
  } catch (error) {
    throw new KubeApiError(`${source}: update failed: ${messageOf(error)}`, source, statusOf(error), { cause: error });
  }
}

function messageOf(error: unknown): string {
  const body = (error as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      /* not JSON */
    }
  } else if (body && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return error instanceof Error ? error.message : String(error);
}
