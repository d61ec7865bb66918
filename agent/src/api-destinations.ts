// EventBridge API destinations (docs/eventbridge.md, "API destinations"): a rule's target that is
// an HTTP endpoint gets the event (or what the input fields make of it) as the request's body,
// with the connection's authorization (an OAuth connection's token asked for and kept) and the
// target's headers and query parameters, within EventBridge's 5 s timeout.
import type { EventRuleTarget } from '@esb/contracts';

export type HttpTarget = NonNullable<EventRuleTarget['http']>;

/** EventBridge gives an API destination 5 s to answer. */
export const API_DESTINATION_TIMEOUT_MS = 5_000;

/** Sends one request; resolves with the status, rejects when the endpoint cannot be reached in time. */
export async function callApiDestination(http: HttpTarget, body: string, options: { timeoutMs?: number; tokens?: OAuthTokens } = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? API_DESTINATION_TIMEOUT_MS;
  const tokens = options.tokens ?? new OAuthTokens();
  const url = withQuery(http.url, http.query);
  const withBody = http.method !== 'GET' && http.method !== 'HEAD';
  const send = async (authorization?: string) => {
    const res = await fetch(url, {
      method: http.method,
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Amazon/EventBridge/ApiDestinations', ...http.headers, ...(authorization ? { authorization } : {}) },
      ...(withBody ? { body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.status;
  };
  if (!http.oauth) return send();
  const status = await send(`Bearer ${await tokens.get(http.oauth, timeoutMs)}`);
  // A token the endpoint no longer takes is asked for again, once, as EventBridge does.
  if (status !== 401 && status !== 407) return status;
  tokens.forget(http.oauth);
  return send(`Bearer ${await tokens.get(http.oauth, timeoutMs)}`);
}

type OAuth = NonNullable<HttpTarget['oauth']>;

/** A connection's OAuth tokens, asked for once and kept until they expire (a minute early), per endpoint and client. */
export class OAuthTokens {
  private readonly held = new Map<string, Promise<{ token: string; expiresAt: number }>>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(oauth: OAuth, timeoutMs: number): Promise<string> {
    const key = keyOf(oauth);
    const held = this.held.get(key);
    if (held) {
      const token = await held.catch(() => undefined);
      if (token && token.expiresAt > this.now()) return token.token;
      // Expired or refused: asked again, unless another delivery asked meanwhile.
      if (this.held.get(key) === held) this.held.delete(key);
    }
    return (await (this.held.get(key) ?? this.ask(key, oauth, timeoutMs))).token;
  }

  private ask(key: string, oauth: OAuth, timeoutMs: number): Promise<{ token: string; expiresAt: number }> {
    const pending = requestToken(oauth, timeoutMs).then(({ token, expiresIn }) => ({ token, expiresAt: this.now() + Math.max(0, expiresIn - 60) * 1000 }));
    this.held.set(key, pending);
    pending.catch(() => this.held.get(key) === pending && this.held.delete(key));
    return pending;
  }

  forget(oauth: OAuth): void {
    this.held.delete(keyOf(oauth));
  }
}

function withQuery(base: string, query: Record<string, string>): URL {
  const url = new URL(base);
  for (const [k, v] of Object.entries(query)) url.searchParams.append(k, v);
  return url;
}

function keyOf(oauth: OAuth): string {
  return JSON.stringify([oauth.endpoint, oauth.client_id, oauth.client_secret, oauth.body, oauth.query]);
}

/** Asks the authorization endpoint for a token: the client's credentials as Basic, OAuthHttpParameters as headers, query and form body. */
async function requestToken(oauth: OAuth, timeoutMs: number): Promise<{ token: string; expiresIn: number }> {
  const url = withQuery(oauth.endpoint, oauth.query);
  const withBody = oauth.method !== 'GET';
  const res = await fetch(url, {
    method: oauth.method,
    headers: {
      authorization: `Basic ${Buffer.from(`${oauth.client_id}:${oauth.client_secret}`).toString('base64')}`,
      accept: 'application/json',
      ...(withBody ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...oauth.headers,
    },
    ...(withBody ? { body: new URLSearchParams(oauth.body).toString() } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`the authorization endpoint ${oauth.endpoint} answered ${res.status}: ${text.slice(0, 200)}`);
  let answer: { access_token?: unknown; expires_in?: unknown };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    throw new Error(`the authorization endpoint ${oauth.endpoint} answered no JSON: ${text.slice(0, 200)}`);
  }
  if (typeof answer.access_token !== 'string' || answer.access_token === '') throw new Error(`the authorization endpoint ${oauth.endpoint} answered no access_token`);
  const expiresIn = Number(answer.expires_in);
  return { token: answer.access_token, expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600 };
}

/** Where a rule's delivery to a target goes when it fails (the target's RetryPolicy and DeadLetterConfig). */
export interface DeliveryPolicy {
  retry?: NonNullable<EventRuleTarget['retry_policy']>;
  deadLetterQueue?: string;
  ruleArn?: string;
  targetArn: string;
}

/** EventBridge's defaults without a RetryPolicy: 185 tries over 24 hours. */
export const DEFAULT_RETRY_POLICY = { maximum_retry_attempts: 185, maximum_event_age_seconds: 86_400 } as const;
/** Deliveries kept waiting for their next try at once: an endpoint down under a flood of events cannot fill the agent's memory. */
export const MAX_WAITING_DELIVERIES = 10_000;
/** Waits between tries: 1 s, doubling, at most 5 minutes. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 300_000;

export interface DeliveryOutcome {
  /** Sent: the status; else why it failed and whether trying again may help (429, 5xx, no answer). */
  ok: boolean;
  status?: number;
  error?: string;
  retryable: boolean;
}

/**
 * Delivers `body` by `attempt` as EventBridge delivers to a target (docs/eventbridge.md "Retries
 * and dead-letter queues"): a failure that may pass (a 429 or 5xx answer, no answer) is tried again
 * after 1 s, doubling up to 5 minutes, within the RetryPolicy's tries and event age; then, or at
 * once for another failure, the event goes to the dead-letter queue with EventBridge's attributes.
 */
export function deliverWithRetries(
  attempt: () => Promise<DeliveryOutcome>,
  body: string,
  policy: DeliveryPolicy | undefined,
  o: {
    clock: { now(): number; setTimeout(fn: () => void, ms: number): unknown };
    /** Deliveries waiting to be tried again, over all targets: past MAX_WAITING_DELIVERIES one is given up at once. */
    waiting: { count: number };
    deadLetter(queue: string, body: string, attributes: Record<string, { DataType: 'String'; StringValue: string }>): void;
    /** The first failure (`retried`: it will be tried again), and the end of one given up. */
    failed(reason: string, retried: boolean): void;
    given(reason: string, toQueue: string | undefined): void;
  },
): void {
  const retry = policy?.retry ?? DEFAULT_RETRY_POLICY;
  const firstAt = o.clock.now();
  const run = (tries: number): void => {
    void attempt().then((out) => {
      if (out.ok) return;
      const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** tries);
      const ageExceeded = o.clock.now() + delay - firstAt > retry.maximum_event_age_seconds * 1000;
      const again = out.retryable && tries < retry.maximum_retry_attempts && !ageExceeded && o.waiting.count < MAX_WAITING_DELIVERIES;
      if (tries === 0) o.failed(out.error ?? `answered ${out.status}`, again);
      if (again) {
        o.waiting.count++;
        o.clock.setTimeout(() => {
          o.waiting.count--;
          run(tries + 1);
        }, delay);
        return;
      }
      const reason = out.error ?? `answered ${out.status}`;
      const queue = policy?.deadLetterQueue;
      o.given(reason, queue);
      if (queue === undefined || policy === undefined) return;
      o.deadLetter(queue, body, {
        ...(policy.ruleArn ? { RULE_ARN: { DataType: 'String', StringValue: policy.ruleArn } } : {}),
        TARGET_ARN: { DataType: 'String', StringValue: policy.targetArn },
        ERROR_CODE: { DataType: 'String', StringValue: out.status !== undefined ? `HTTP_${out.status}` : 'SDK_CLIENT_ERROR' },
        ERROR_MESSAGE: { DataType: 'String', StringValue: reason.slice(0, 1024) },
        ...(out.retryable ? { EXHAUSTED_RETRY_CONDITION: { DataType: 'String', StringValue: ageExceeded ? 'MaximumEventAgeExhausted' : 'MaximumRetryAttemptsExhausted' } } : {}),
      });
    });
  };
  run(0);
}
