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
