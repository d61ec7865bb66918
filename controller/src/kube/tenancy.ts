// Tenancy on a shared CONFIG_DIR (docs/kube.md "Tenancy"): every namespace's Deployments land in
// the one gateway, so a namespace must never silently take another's functions or routes.
// The apply step is wrapped: before applying, the artifact's function names and route keys are
// checked against a ledger of who applied what (owners.json beside CONFIG_DIR, on the same
// volume); one held by a Deployment of another namespace refuses the apply with reason
// Conflict, shown in status. Within one namespace, the last apply wins as before.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@esb/contracts';
import { loadArtifact, routeKey } from '@esb/deploy';
import type { DeploySteps } from '../reconcile/deployment-reconciler.js';
import { ReasonError } from '@esb/contracts';
import { keyOf, type Request } from '../reconcile/types.js';

interface Ledger {
  /** Deployment key (namespace/name) -> what its last apply brought. */
  deployments: Record<string, { functions: string[]; routes: string[] }>;
}

export function ledgerPath(configDir: string): string {
  return path.join(path.dirname(configDir), 'owners.json');
}

async function readLedger(file: string): Promise<Ledger> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Ledger;
    return parsed && typeof parsed.deployments === 'object' ? parsed : { deployments: {} };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { deployments: {} };
    throw new Error(`${file}: unreadable ownership ledger: ${(error as Error).message}`, { cause: error });
  }
}

/** What the artifact would serve: function names and "METHOD /path" route keys. */
export async function servedBy(artifactPath: string): Promise<{ functions: string[]; routes: string[] }> {
  const artifact = await loadArtifact(artifactPath);
  const functions = new Set<string>();
  const routes = new Set<string>();
  for (const entry of artifact.entries) {
    for (const name of Object.keys(entry.config.functions.functions)) functions.add(name);
    for (const route of entry.config.routing.routes) routes.add(routeKey(route));
  }
  return { functions: [...functions].sort(), routes: [...routes].sort() };
}

/** The conflicts of `owner` bringing `served` against the ledger: one message, or undefined. */
export function conflictOf(ledger: Ledger, owner: Request, served: { functions: string[]; routes: string[] }): string | undefined {
  const taken: string[] = [];
  for (const [key, held] of Object.entries(ledger.deployments)) {
    const namespace = key.slice(0, key.indexOf('/'));
    if (namespace === owner.namespace) continue;
    const functions = served.functions.filter((f) => held.functions.includes(f));
    const routes = served.routes.filter((r) => held.routes.includes(r));
    if (functions.length || routes.length) {
      const what = [...functions.map((f) => `function ${f}`), ...routes.map((r) => `route ${r}`)].join(', ');
      taken.push(`${what} (served for namespace ${namespace} by deployments.esb.dev ${key})`);
    }
  }
  if (!taken.length) return undefined;
  return `not applied: ${taken.join('; ')}. A namespace never takes another's functions or routes: rename them in the template, or deploy from that namespace`;
}

/** `steps` whose apply refuses, with reason Conflict, what another namespace serves. */
export function namespaceIsolatedSteps(steps: DeploySteps): DeploySteps {
  // One check-then-apply at a time: two namespaces must not both pass the check for one route.
  let chain: Promise<unknown> = Promise.resolve();
  return {
    ...steps,
    apply(input) {
      const run = async () => {
        if (!input.owner) return steps.apply(input);
        const slash = input.owner.deployment.indexOf('/');
        const owner: Request = { namespace: input.owner.deployment.slice(0, slash), name: input.owner.deployment.slice(slash + 1) };
        const file = ledgerPath(input.configDir);
        const served = await servedBy(input.artifactPath);
        const ledger = await readLedger(file);
        const conflict = conflictOf(ledger, owner, served);
        if (conflict) throw new ReasonError(conflict, 'Conflict');
        const out = await steps.apply(input);
        ledger.deployments[keyOf(owner)] = served;
        await writeFileAtomic(file, `${JSON.stringify(ledger, null, 2)}\n`);
        return out;
      };
      const result = chain.then(run, run);
      chain = result.catch(() => undefined);
      return result;
    },
  };
}
