// DynamoDB time to live for the embedded DynamoDB server (docs/provisioner.md, "Time to live").
// dynalite answers DescribeTimeToLive with DISABLED and has no UpdateTimeToLive: here both are
// served from the table's record, and a sweeper deletes the items whose time-to-live attribute (a
// Number, epoch seconds) is past, as DynamoDB's background process does, through the server's own
// Scan and a conditional DeleteItem (so indexes and streams see an ordinary delete). The stream
// record of such a delete carries DynamoDB's service identity, as on AWS.
import { canonicalJson } from '@esb/contracts';
/** What a table record (dynalite's) holds of time to live. */
export interface TtlTableRecord {
  TableName: string;
  KeySchema: Array<{ AttributeName: string }>;
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
}

interface Answerer {
  answer(status: number, body: unknown): void;
  invalid(message: string): void;
  missing(name: string): void;
}

interface TableDb {
  get(key: string, cb: (err: Error | null | undefined, value?: unknown) => void): void;
  put(key: string, value: unknown, cb: (err: Error | null | undefined) => void): void;
}

/** The actions served here instead of by dynalite. */
export const TTL_ACTIONS = new Set(['UpdateTimeToLive', 'DescribeTimeToLive']);

/** UpdateTimeToLive / DescribeTimeToLive on the table's record, answered as DynamoDB answers them. */
export function timeToLiveAction(tableDb: TableDb, action: string, data: Record<string, unknown> | undefined, { answer, invalid, missing }: Answerer): void {
  const name = typeof data?.TableName === 'string' ? data.TableName : '';
  if (!data || name === '') return invalid('TableName is required');
  const spec = data.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
  if (action === 'UpdateTimeToLive') {
    if (!spec || typeof spec.Enabled !== 'boolean') return invalid('TimeToLiveSpecification.Enabled must be true or false');
    if (typeof spec.AttributeName !== 'string' || spec.AttributeName.length < 1 || spec.AttributeName.length > 255) return invalid('TimeToLiveSpecification.AttributeName must be 1-255 characters');
  }
  tableDb.get(name, (err, value) => {
    const table = !err && value && typeof value === 'object' ? (value as TtlTableRecord) : undefined;
    if (!table) return missing(name);
    const current = table.TimeToLiveSpecification;
    if (action === 'DescribeTimeToLive') return answer(200, { TimeToLiveDescription: current?.Enabled ? { TimeToLiveStatus: 'ENABLED', AttributeName: current.AttributeName } : { TimeToLiveStatus: 'DISABLED' } });
    const wanted = { AttributeName: spec!.AttributeName as string, Enabled: spec!.Enabled as boolean };
    if (wanted.Enabled && current?.Enabled) return invalid('TimeToLive is already enabled');
    if (!wanted.Enabled && !current?.Enabled) return invalid('TimeToLive is already disabled');
    if (!wanted.Enabled && current?.AttributeName !== wanted.AttributeName) return invalid(`TimeToLive is enabled on attribute ${current?.AttributeName}, not ${wanted.AttributeName}`);
    table.TimeToLiveSpecification = wanted;
    tableDb.put(name, table, (putErr) => {
      if (putErr) return answer(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(putErr) });
      answer(200, { TimeToLiveSpecification: wanted });
    });
  });
}

/** Deletes the sweeper is making, by table and canonical key: their stream records are DynamoDB's own. */
const expiring = new Map<string, Set<string>>();

/** Whether the delete of this item (its keys, canonical) is time to live's; forgets it once asked. */
export function takeTtlDelete(table: string, canonicalKeys: string): boolean {
  const keys = expiring.get(table);
  if (!keys?.delete(canonicalKeys)) return false;
  if (keys.size === 0) expiring.delete(table);
  return true;
}

export interface TtlSweeperOptions {
  /** The DynamoDB endpoint of this server. */
  endpoint: string;
  /** The tables' records (dynalite's table store). */
  tables(): AsyncIterable<unknown>;
  /** How often expired items are looked for (ms). */
  everyMs: number;
  onError(err: Error): void;
  /** Deletes per table and sweep at most (a table with many expired items is caught up over several sweeps). */
  maxDeletes?: number;
}

export interface TtlSweeper {
  /** Runs one sweep now; how many items it deleted. */
  sweep(): Promise<number>;
  close(): void;
}

const TARGET = 'DynamoDB_20120810.';
// dynalite wants a SigV4-shaped Authorization header and does not check it.
const AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=esb-ttl/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0';

export function startTtlSweeper(o: TtlSweeperOptions): TtlSweeper {
  const maxDeletes = o.maxDeletes ?? 1000;
  const call = async (action: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(o.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `${TARGET}${action}`, 'x-amz-date': '20260101T000000Z', authorization: AUTHORIZATION }, body: JSON.stringify(body) });
    const out = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw Object.assign(new Error(`${action}: ${String(out.message ?? out.Message ?? res.status)}`), { type: String(out.__type ?? '') });
    return out;
  };
  const sweepTable = async (table: TtlTableRecord, attribute: string): Promise<number> => {
    const now = { N: String(Math.floor(Date.now() / 1000)) };
    const keyNames = table.KeySchema.map((k) => k.AttributeName);
    const names: Record<string, string> = { '#ttl': attribute };
    keyNames.forEach((k, i) => (names[`#k${i}`] = k));
    let deleted = 0;
    let start: unknown;
    do {
      const page = await call('Scan', {
        TableName: table.TableName,
        // Only a Number is a time to live, as in DynamoDB; an item without one never expires.
        FilterExpression: 'attribute_type(#ttl, :n) AND #ttl < :now',
        ProjectionExpression: keyNames.map((_, i) => `#k${i}`).join(', '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':n': { S: 'N' }, ':now': now },
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      for (const key of (page.Items as Array<Record<string, unknown>> | undefined) ?? []) {
        if (deleted >= maxDeletes) return deleted;
        const canonicalKeys = canonicalJson(key);
        const keys = expiring.get(table.TableName) ?? expiring.set(table.TableName, new Set()).get(table.TableName)!;
        keys.add(canonicalKeys);
        try {
          // Still expired when deleted: an item written again meanwhile stays.
          await call('DeleteItem', { TableName: table.TableName, Key: key, ConditionExpression: '#ttl < :now', ExpressionAttributeNames: { '#ttl': attribute }, ExpressionAttributeValues: { ':now': now } });
          deleted++;
          // A table without a stream writes no record that would take the mark.
          takeTtlDelete(table.TableName, canonicalKeys);
        } catch (err) {
          takeTtlDelete(table.TableName, canonicalKeys);
          if (!String((err as { type?: string }).type).includes('ConditionalCheckFailed')) throw err;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return deleted;
  };
  let running: Promise<number> | undefined;
  const sweep = () =>
    (running ??= (async () => {
      let deleted = 0;
      try {
        for await (const value of o.tables()) {
          const table = value as TtlTableRecord;
          const ttl = table?.TimeToLiveSpecification;
          if (!ttl?.Enabled) continue;
          try {
            deleted += await sweepTable(table, ttl.AttributeName);
          } catch (err) {
            o.onError(new Error(`time to live of table ${table.TableName}: ${err instanceof Error ? err.message : String(err)}`));
          }
        }
      } finally {
        running = undefined;
      }
      return deleted;
    })());
  // The next sweep waits at least ten times as long as the last one took: scanning big tables
  // takes at most a tenth of a core, whatever they hold.
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const next = (delay: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      const started = Date.now();
      void sweep()
        .catch((err: unknown) => o.onError(err instanceof Error ? err : new Error(String(err))))
        .finally(() => next(Math.max(o.everyMs, 10 * (Date.now() - started))));
    }, delay).unref();
  };
  next(o.everyMs);
  return {
    sweep,
    close: () => {
      closed = true;
      clearTimeout(timer);
    },
  };
}
