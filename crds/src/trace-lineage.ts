// How many hops a chain of asynchronous invocations has made (docs/agent.md "Recursive loops"):
// a function's SDK calls carry its trace header (X-Amzn-Trace-Id, from _X_AMZN_TRACE_ID); SNS
// messages and SQS messages keep it; the agent counts one more hop in the header it gives the
// function they invoke, and stops a chain at RECURSION_LIMIT, as Lambda stops a recursive loop.

import { randomUUID } from 'node:crypto';
import { oncePerSecond } from './time-text.js';

const tracePrefix = oncePerSecond((second) => `Root=1-${second.toString(16).padStart(8, '0')}-`);
/** A new trace header, `Root=1-<8 hex seconds>-<24 hex>`, as X-Ray makes one. */
export function newTraceId(nowMs: number): string {
  // randomUUID draws from a cached entropy pool; randomBytes() per request showed in profiles.
  // Its last group (12 hex), then the first two (8 + 4): 24 random hex digits in three slices.
  const u = randomUUID();
  return tracePrefix(nowMs) + u.slice(24) + u.slice(0, 8) + u.slice(9, 13);
}

/**
 * The trace header a function gets for an invocation (Lambda-Runtime-Trace-Id, the runtimes'
 * `_X_AMZN_TRACE_ID`; docs/agent.md "Trace id"), from the one it came with, as Lambda completes
 * it: that Root, else a new one; that Parent, else a new segment id; that sampling decision,
 * else 1 for a function with active tracing and 0 otherwise. Other fields (Lineage) stay.
 */
export function functionTraceHeader(header: string | undefined, activeTracing: boolean, nowMs: number): string {
  let root: string | undefined;
  let parent: string | undefined;
  let sampled: string | undefined;
  const rest: string[] = [];
  if (header) {
    for (const raw of header.split(';')) {
      const part = raw.trim();
      const eq = part.indexOf('=');
      const key = part.slice(0, eq < 0 ? part.length : eq).toLowerCase();
      const value = part.slice(eq + 1);
      if (key === 'root' && eq > 0 && value) root = value;
      else if (key === 'parent' && eq > 0 && value) parent = value;
      else if (key === 'sampled') sampled = value === '0' || value === '1' ? value : undefined; // `?`: not decided yet
      else if (part) rest.push(part);
    }
  }
  const head = `${root ? `Root=${root}` : newTraceId(nowMs)};Parent=${parent ?? newSegmentId()};Sampled=${sampled ?? (activeTracing ? '1' : '0')}`;
  return rest.length ? `${head};${rest.join(';')}` : head;
}

/** 16 random hex digits: an X-Ray segment id. */
function newSegmentId(): string {
  const u = randomUUID();
  return u.slice(24) + u.slice(19, 23);
}

/** Lambda stops a loop of Lambda, SQS and SNS after about this many invocations. */
export const RECURSION_LIMIT = 16;

/** The hops a trace header has counted (its `Lineage=<id>:<n>` entries, the largest n); 0 for none. */
export function lineageOf(header: string | undefined): number {
  const lineage = header?.split(';').find((part) => part.trim().startsWith('Lineage='));
  if (!lineage) return 0;
  let hops = 0;
  for (const entry of lineage.trim().slice('Lineage='.length).split('|')) {
    const n = Number(entry.split(':')[1]);
    if (Number.isInteger(n) && n > hops) hops = n;
  }
  return hops;
}

/** The header with its lineage set to `hops` (added when it had none). */
export function withLineage(header: string, hops: number): string {
  const parts = header.split(';').filter((part) => part.trim() !== '' && !part.trim().startsWith('Lineage='));
  return [...parts, `Lineage=e5b0c4a1:${hops}`].join(';');
}
