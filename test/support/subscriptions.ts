import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client of the gateway at `url` (http://...), with the token in connection_init. */
export function socketClient(url: string, connectionParams: Record<string, unknown> | undefined, options: { retryAttempts?: number } = {}): Client & { closed: Promise<{ code: number; reason: string }> } {
  let closedWith: (event: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (closedWith = resolve));
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: options.retryAttempts ?? 0,
    lazy: false,
    // Errors such as 4403 show as closes; the test reads them from `closed`.
    onNonLazyError: () => undefined,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closedWith({ code, reason });
      },
    },
  });
  return Object.assign(client, { closed });
}

/** One subscription's events as they come, and its end (an error or completion). */
export interface Watch<T> {
  readonly events: FormattedExecutionResult<T, unknown>[];
  /** Resolves when `count` events have arrived (rejects after `timeoutMs`). */
  next(count: number, timeoutMs?: number): Promise<FormattedExecutionResult<T, unknown>[]>;
  readonly ended: Promise<{ error?: unknown }>;
  stop(): void;
}

export function watch<T = Record<string, unknown>>(client: Client, query: string, variables?: Record<string, unknown>): Watch<T> {
  const events: FormattedExecutionResult<T, unknown>[] = [];
  const waiters: Array<() => void> = [];
  let finish: (outcome: { error?: unknown }) => void = () => undefined;
  const ended = new Promise<{ error?: unknown }>((resolve) => (finish = resolve));
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (event) => {
        events.push(event);
        waiters.splice(0).forEach((wake) => wake());
      },
      error: (error) => finish({ error }),
      complete: () => finish({}),
    },
  );
  return {
    events,
    ended,
    stop,
    next(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${events.length} of ${count} events after ${timeoutMs} ms: ${JSON.stringify(events)}`)), timeoutMs);
        const check = () => {
          if (events.length >= count) {
            clearTimeout(timer);
            resolve(events.slice(0, count));
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** A gauge or counter of the gateway's /metrics (summed over labels). */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Whether `holds` came true within `timeoutMs` (checked every 20 ms); the caller asserts what follows. */
export async function eventually(holds: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!(await holds())) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/**
 * The first `hubChanged` a new subscriber of the tenant hears after `act` (a write): the socket is
 * subscribed before `act` runs and closed afterwards.
 */
export async function firstChangeAfter(url: string, token: string, act: () => Promise<unknown>): Promise<unknown> {
  const client = socketClient(url, { Authorization: `Bearer ${token}` });
  try {
    const changes = watch<{ hubChanged: unknown }>(client, 'subscription { hubChanged { kind hub { name } } }');
    await subscribed(url, 1);
    await act();
    const [first] = await changes.next(1);
    changes.stop();
    return first?.data?.hubChanged;
  } finally {
    await client.dispose();
  }
}

/**
 * Waits until the gateway runs at least `count` subscriptions (graphql-ws acknowledges none), so
 * that a write made next is surely heard.
 */
export async function subscribed(url: string, count: number, timeoutMs = 5000): Promise<void> {
  if (!(await eventually(async () => (await metric(url, 'graphql_ws_active_subscriptions')) >= count, timeoutMs))) {
    throw new Error(`fewer than ${count} subscriptions after ${timeoutMs} ms`);
  }
}
