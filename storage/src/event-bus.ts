// EventBridge's PutEvents (docs/eventbridge.md), as a pure operation: each entry is checked as
// EventBridge checks it, and each good one becomes the event its bus carries (id, time, account,
// region added). What happens to an event next (rules, targets) is the agent's business: the
// server hands the accepted events on. Served on the SQS server's port, told apart by the
// `AWSEvents.` prefix of X-Amz-Target (AWS JSON 1.1).
import { randomUUID } from 'node:crypto';
import { busNameOf, LOCAL_ACCOUNT_ID, LOCAL_REGION, type BusEvent } from '@esb/contracts';

export const EVENTS_TARGET_PREFIX = 'AWSEvents.';
export const EVENTS_CONTENT_TYPE = 'application/x-amz-json-1.1';
/** PutEvents takes at most 10 entries of at most 256 KB together. */
export const MAX_PUT_ENTRIES = 10;
export const MAX_PUT_BYTES = 256 * 1024;

/** An error of the whole request, in EventBridge's words. */
export class EventsError extends Error {
  constructor(
    readonly code: 'ValidationException' | 'UnknownOperationException' | 'SerializationException' | 'InternalException',
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'EventsError';
  }
}

interface EntryError {
  ErrorCode: string;
  ErrorMessage: string;
}
type EntryResult = { EventId: string } | EntryError;

export interface PutEventsOutcome {
  output: { FailedEntryCount: number; Entries: EntryResult[] };
  accepted: BusEvent[];
}

export interface PutEventsContext {
  now?: () => Date;
  newId?: () => string;
  region?: string;
}

/** Runs one EventBridge operation; PutEvents is the one a function calls. */
export function runEventsAction(action: string, input: unknown, ctx: PutEventsContext = {}): PutEventsOutcome {
  if (action !== 'PutEvents') throw new EventsError('UnknownOperationException', `esb's EventBridge takes PutEvents only, not ${action.slice(0, 100)} (rules and buses come from the template, docs/eventbridge.md).`);
  return putEvents(input, ctx);
}

export function putEvents(input: unknown, ctx: PutEventsContext = {}): PutEventsOutcome {
  const entries = isRecord(input) ? input.Entries : undefined;
  if (!Array.isArray(entries) || entries.length === 0) throw new EventsError('ValidationException', '1 validation error detected: Value at \'entries\' failed to satisfy constraint: Member must have length greater than or equal to 1');
  if (entries.length > MAX_PUT_ENTRIES) throw new EventsError('ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PUT_ENTRIES}`);
  if (entries.reduce((sum: number, e) => sum + entrySize(e), 0) > MAX_PUT_BYTES) throw new EventsError('ValidationException', 'Total size of the entries in the request is over the limit.');
  const now = ctx.now ?? (() => new Date());
  const newId = ctx.newId ?? randomUUID;
  const region = ctx.region ?? LOCAL_REGION;
  const results: EntryResult[] = [];
  const accepted: BusEvent[] = [];
  for (const entry of entries) {
    const checked = checkEntry(entry);
    if ('ErrorCode' in checked) {
      results.push(checked);
      continue;
    }
    const id = newId();
    accepted.push({
      bus: checked.bus,
      event: { version: '0', id, 'detail-type': checked.detailType, source: checked.source, account: LOCAL_ACCOUNT_ID, time: isoSeconds(checked.time ?? now()), region, resources: checked.resources, detail: checked.detail },
    });
    results.push({ EventId: id });
  }
  return { output: { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results }, accepted };
}

interface GoodEntry {
  bus: string;
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  resources: string[];
  time?: Date;
}

const invalid = (name: string, reason: string): EntryError => ({ ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${name} is not valid. Reason: ${reason}` });

function checkEntry(entry: unknown): GoodEntry | EntryError {
  if (!isRecord(entry)) return invalid('Entry', 'An entry must be an object.');
  const required = (name: string, value: unknown, max: number): string | EntryError => {
    if (value === undefined || value === null || value === '') return invalid(name, `${name} is a required argument.`);
    if (typeof value !== 'string') return invalid(name, `${name} must be a string.`);
    if (value.length > max) return invalid(name, `${name} is longer than ${max} characters.`);
    return value;
  };
  const source = required('Source', entry.Source, 256);
  if (typeof source !== 'string') return source;
  if (source.startsWith('aws.')) return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: `Not authorized for the source ${source}.` };
  const detailType = required('DetailType', entry.DetailType, 128);
  if (typeof detailType !== 'string') return detailType;
  const detailText = required('Detail', entry.Detail, MAX_PUT_BYTES);
  if (typeof detailText !== 'string') return detailText;
  let detail: unknown;
  try {
    detail = JSON.parse(detailText);
  } catch {
    detail = undefined;
  }
  if (!isRecord(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  const bus = busNameOf(typeof entry.EventBusName === 'string' ? entry.EventBusName : undefined);
  if (bus === undefined || (entry.EventBusName !== undefined && typeof entry.EventBusName !== 'string')) return invalid('EventBusName', 'EventBusName must be a bus name or ARN.');
  const resources = entry.Resources ?? [];
  if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string')) return invalid('Resources', 'Resources must be a list of strings.');
  let time: Date | undefined;
  if (entry.Time !== undefined && entry.Time !== null) {
    // The SDKs send a timestamp as epoch seconds; ISO text is taken too.
    time = typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : typeof entry.Time === 'string' ? new Date(entry.Time) : undefined;
    if (time === undefined || Number.isNaN(time.getTime())) return invalid('Time', 'Time must be a timestamp.');
  }
  return { bus, source, detailType, detail, resources, time };
}

/** EventBridge's measure of an entry: the UTF-8 bytes of its texts, 14 for a time. */
function entrySize(entry: unknown): number {
  if (!isRecord(entry)) return 0;
  let size = entry.Time !== undefined ? 14 : 0;
  for (const key of ['Source', 'DetailType', 'Detail'] as const) if (typeof entry[key] === 'string') size += Buffer.byteLength(entry[key] as string);
  if (Array.isArray(entry.Resources)) for (const r of entry.Resources) if (typeof r === 'string') size += Buffer.byteLength(r);
  return size;
}

/** `2026-12-06T03:00:00Z`: events carry their time to the second. */
function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
