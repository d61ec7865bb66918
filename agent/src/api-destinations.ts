// EventBridge API destinations (docs/eventbridge.md, "API destinations"): a rule's target that is
// an HTTP endpoint gets the event (or what the input fields make of it) as the request's body,
// with the connection's authorization and the target's headers and query parameters, within
// EventBridge's 5 s timeout.
import type { EventRuleTarget } from '@esb/contracts';

export type HttpTarget = NonNullable<EventRuleTarget['http']>;

/** EventBridge gives an API destination 5 s to answer. */
export const API_DESTINATION_TIMEOUT_MS = 5_000;

/** Sends one request; resolves with the status, rejects when the endpoint cannot be reached in time. */
export async function callApiDestination(http: HttpTarget, body: string, timeoutMs = API_DESTINATION_TIMEOUT_MS): Promise<number> {
  const url = new URL(http.url);
  for (const [k, v] of Object.entries(http.query)) url.searchParams.append(k, v);
  const withBody = http.method !== 'GET' && http.method !== 'HEAD';
  const res = await fetch(url, {
    method: http.method,
    headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Amazon/EventBridge/ApiDestinations', ...http.headers },
    ...(withBody ? { body } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer();
  return res.status;
}
