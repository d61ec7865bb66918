// stacks.yml: each stack's own routes and Outputs, and the owner of every function, route, table
// and bucket of the merged files (docs/apply.md, "Stacks and owners"). Pure: the merge of one
// deploy's stack into the record, what it took over from other stacks, and the exports of all.
import type { StackOutput, StacksFile } from '@esb/contracts';
import type { StackExport } from '../sam/model.js';
import { ExportConflictError } from './errors.js';
import type { RuntimeConfig } from './merge.js';
import { routeKey } from './merge.js';

export type OwnedKind = 'functions' | 'routes' | 'tables' | 'buckets' | 'queues' | 'rules' | 'subscriptions' | 'state_machines' | 'streams' | 'delivery_streams' | 'bucket_notifications' | 'secrets' | 'parameters';

export interface Takeover {
  kind: OwnedKind;
  /** Function key, `METHOD /path`, table or bucket name. */
  key: string;
  /** The stack that had it, and the Deployment that deployed that stack (when known). */
  fromStack: string;
  fromDeployment?: string;
}

export interface StackOwner {
  /** namespace/name of the Deployment applying the stack. */
  deployment?: string;
  /** Absolute path of its template. */
  template?: string;
}

export interface StackUpdate {
  stacks: StacksFile;
  takeovers: Takeover[];
  warnings: string[];
}

const SINGULAR: Record<OwnedKind, string> = { functions: 'function', routes: 'route', tables: 'table', buckets: 'bucket', queues: 'queue', rules: 'rule', subscriptions: 'subscription', state_machines: 'state machine', streams: 'stream', delivery_streams: 'delivery stream', bucket_notifications: 'bucket notification', secrets: 'secret', parameters: 'parameter' };

/** The functions of a CONFIG_DIR whose SQS event reads `queue`. */
function queueReaders(config: RuntimeConfig, queue: string): string[] {
  return Object.entries(config.functions.functions ?? {})
    .filter(([, fn]) => fn.events.some((e) => e.type === 'sqs' && e.queue === queue))
    .map(([name]) => name);
}

export function describeTakeover(t: Takeover): string {
  return `${SINGULAR[t.kind]} ${t.key} (was stack ${t.fromStack}${t.fromDeployment ? `, deployment ${t.fromDeployment}` : ''})`;
}

/**
 * The exports of the stacks of a stacks.yml, by export name, leaving out those of `except` (the
 * stack being deployed: its own exports are not there for it to import). What !ImportValue reads
 * (docs/generate.md "Outputs and exports").
 */
export function exportTable(stacks: StacksFile, except?: string): Record<string, StackExport & { deployment?: string }> {
  const table: Record<string, StackExport & { deployment?: string }> = {};
  for (const [stack, record] of Object.entries(stacks.stacks)) {
    if (stack === except) continue;
    for (const [output, o] of Object.entries(record.outputs ?? {})) {
      if (o.export === undefined) continue;
      table[o.export] = { stack, output, ...(o.value !== undefined ? { value: o.value } : {}), ...(o.problem !== undefined ? { problem: o.problem } : {}), ...(o.placeholder !== undefined ? { placeholder: o.placeholder } : {}), ...(record.deployment ? { deployment: record.deployment } : {}) };
    }
  }
  return table;
}

/**
 * Records `stack` (one artifact entry) as deployed by `owner`, with the artifact entry's digest
 * and the stack's Outputs. Inputs are not modified. An export name another stack exports is
 * refused (ExportConflictError), as CloudFormation refuses it.
 */
export function recordStack(
  current: StacksFile,
  stack: string,
  config: RuntimeConfig,
  owner: StackOwner = {},
  applied: { digest?: string; outputs?: Record<string, StackOutput> } = {},
  existing?: RuntimeConfig,
): StackUpdate {
  const { digest, outputs } = applied;
  if (outputs) {
    const others = exportTable(current, stack);
    for (const [output, o] of Object.entries(outputs)) {
      const other = o.export === undefined ? undefined : others[o.export];
      if (other) throw new ExportConflictError(stack, output, o.export!, other);
    }
  }
  const warnings: string[] = [];
  const takeovers: Takeover[] = [];
  const owners = {
    functions: { ...current.owners.functions },
    routes: { ...current.owners.routes },
    tables: { ...current.owners.tables },
    buckets: { ...current.owners.buckets },
    queues: { ...current.owners.queues },
    rules: { ...current.owners.rules },
    subscriptions: { ...current.owners.subscriptions },
    state_machines: { ...current.owners.state_machines },
    streams: { ...current.owners.streams },
    delivery_streams: { ...current.owners.delivery_streams },
    bucket_notifications: { ...current.owners.bucket_notifications },
    secrets: { ...current.owners.secrets },
    parameters: { ...current.owners.parameters },
  };
  const previous = current.stacks[stack];
  if (previous?.template && owner.template && previous.template !== owner.template) {
    warnings.push(`stack ${stack} was deployed from ${previous.template}; this deploy from ${owner.template} replaces it under the same name (give it another --stack-name to keep both)`);
  } else if (previous?.deployment && owner.deployment && previous.deployment !== owner.deployment) {
    warnings.push(`stack ${stack} was deployed by ${previous.deployment}; ${owner.deployment} now deploys it under the same name`);
  }
  const claim = (kind: OwnedKind, keys: Iterable<string>) => {
    for (const key of keys) {
      const had = owners[kind][key];
      if (had !== undefined && had !== stack) {
        const t: Takeover = { kind, key, fromStack: had };
        const dep = current.stacks[had]?.deployment;
        if (dep) t.fromDeployment = dep;
        takeovers.push(t);
      }
      owners[kind][key] = stack;
    }
  };
  claim('functions', Object.keys(config.functions.functions ?? {}));
  claim('routes', (config.routing.routes ?? []).map(routeKey));
  claim('tables', (config.resources.resources.dynamodb ?? []).map((t) => t.TableName));
  claim('buckets', (config.resources.resources.s3 ?? []).map((b) => b.BucketName));
  claim('queues', (config.resources.resources.sqs ?? []).map((q) => q.QueueName));
  claim('rules', Object.keys(config.functions.rules ?? {}));
  claim('subscriptions', Object.keys(config.functions.subscriptions ?? {}));
  claim('state_machines', Object.keys(config.functions.state_machines ?? {}));
  claim('streams', (config.resources.resources.kinesis ?? []).map((s) => s.Name));
  claim('delivery_streams', Object.keys(config.functions.delivery_streams ?? {}));
  claim('bucket_notifications', Object.keys(config.functions.bucket_notifications ?? {}));
  claim('secrets', (config.resources.resources.secrets ?? []).map((s) => s.Name));
  claim('parameters', (config.resources.resources.parameters ?? []).map((p) => p.Name));
  for (const t of takeovers) {
    // A queue taken over keeps the other stacks' readers (its name is one queue here, where AWS
    // would refuse the second stack): its messages are shared with them (docs/apply.md).
    const readers = t.kind === 'queues' && existing ? queueReaders(existing, t.key).filter((fn) => owners.functions[fn] !== stack) : [];
    warnings.push(`took over ${describeTakeover(t)}: last write wins${readers.length ? `; ${readers.join(', ')} of other stacks still read it, so its messages are shared with them` : ''}`);
  }
  // Keys in the file's order (StackRecord): an unchanged stack encodes as the file it was read from.
  const deployment = owner.deployment ?? previous?.deployment;
  const template = owner.template ?? previous?.template;
  const record: StacksFile['stacks'][string] = { ...(deployment ? { deployment } : {}), ...(template ? { template } : {}), ...(digest ? { digest } : {}), ...(outputs && Object.keys(outputs).length ? { outputs } : {}), routing: config.routing };
  return { stacks: { stacks: { ...current.stacks, [stack]: record }, owners }, takeovers, warnings };
}
