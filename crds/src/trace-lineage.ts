// How many hops a chain of asynchronous invocations has made (docs/agent.md "Recursive loops"):
// a function's SDK calls carry its trace header (X-Amzn-Trace-Id, from _X_AMZN_TRACE_ID); SNS
// messages and SQS messages keep it; the agent counts one more hop in the header it gives the
// function they invoke, and stops a chain at RECURSION_LIMIT, as Lambda stops a recursive loop.

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
