import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import {
  graphql,
  LogCapture,
  newTenant,
  rest,
  startGateway,
  tokenFor,
  type GraphQLResult,
  type RestResult,
  type TestGateway,
} from '../support/gateway';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres';

/**
 * Database outages (CONTRACT.md sections 3 and 5): on a PostgreSQL cluster of this file's own,
 * stopped and started again under a running gateway. Never the shared test server.
 */

/** A 503 must come from noticing the outage, not from the request deadline (10 s by default). */
const PROMPT_MS = 2500;
const REQUEST_TIMEOUT_MS = 10_000;
/** DATABASE_POOL_SIZE of test gateways (test/support/gateway.ts). */
const POOL_SIZE = 4;
/** The pool reconnects on demand; the first requests after the restart may still meet the outage. */
const RECOVERY_MS = 5000;
const HUBS = '/api/v1/hubs';

type Hub = { hubId: string; tenantId: string; name: string; description: string; closeDormantConversation: number; statusId: number };

const logs = new LogCapture();
let own: OwnPostgres | undefined;
let gateway: TestGateway;
let token: string;
let hub: Hub;

beforeAll(async () => {
  own = await startOwnPostgres();
  gateway = await startGateway(
    {
      DATABASE_URL: own.url,
      MIGRATIONS_RUN: 'true',
      RATE_LIMIT_MAX: '100000',
      LOG_LEVEL: 'warn',
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      DATABASE_POOL_SIZE: String(POOL_SIZE),
    },
    { logStream: logs },
  );
  token = await tokenFor(newTenant());
  const created = await rest<Hub>(gateway, 'POST', HUBS, { token, body: { name: 'Outage hub', description: 'outlives the outage' } });
  if (created.status !== 200) throw new Error(`creating the hub failed before any outage: ${created.status} ${created.text}`);
  hub = created.body;
}, 60_000);

afterAll(async () => {
  try {
    await gateway?.close();
  } finally {
    await own?.destroy();
  }
}, 60_000);

/** Runs one call and answers its result with how long it took. */
async function timed<T>(call: () => Promise<T>): Promise<T & { ms: number }> {
  const started = performance.now();
  const result = await call();
  return { ...result, ms: Math.round(performance.now() - started) };
}

/** Asserts the contract's REST outage answer: 503, Hubster body with code 112, Retry-After, promptly. */
function expectRest503(result: RestResult<unknown> & { ms: number }, label: string): void {
  expect({ label, status: result.status, body: result.body }).toEqual({
    label,
    status: 503,
    body: { status: 503, errors: [{ code: 112, description: expect.stringMatching(/\(code: PRT000112\)$/) }] },
  });
  expectRetryAfterPromptly(result, label);
}

/** Asserts the contract's GraphQL outage answer: HTTP 503, SERVICE_UNAVAILABLE / PRT000112, Retry-After, promptly. */
function expectGraphQL503(result: GraphQLResult & { ms: number }, label: string): void {
  expect({ label, status: result.status, extensions: result.body.errors?.[0]?.extensions }).toEqual({
    label,
    status: 503,
    extensions: { code: 'SERVICE_UNAVAILABLE', errorCode: 'PRT000112' },
  });
  expectRetryAfterPromptly(result, label);
}

function expectRetryAfterPromptly(result: { headers: Headers; ms: number }, label: string): void {
  expect({ label, retryAfter: result.headers.get('retry-after') }).toEqual({ label, retryAfter: expect.stringMatching(/^[1-9]\d*$/) });
  // Written so that a failure shows which request it was and how long it took.
  const answered = result.ms < PROMPT_MS ? `within ${PROMPT_MS} ms` : `after ${result.ms} ms`;
  expect(`${label} answered ${answered}`).toBe(`${label} answered within ${PROMPT_MS} ms`);
}

const health = async (path: string) => {
  const response = await fetch(`${gateway.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** Every REST route, as a caller retrying during an outage would send it. */
const REST_CALLS: readonly [string, () => Promise<RestResult<unknown>>][] = [
  ['GET one hub', () => rest(gateway, 'GET', `${HUBS}/${hub.hubId}`, { token })],
  ['GET the list', () => rest(gateway, 'GET', HUBS, { token })],
  ['POST a hub', () => rest(gateway, 'POST', HUBS, { token, body: { name: `During outage ${randomUUID()}`, description: '' } })],
  [
    'POST a hub with an Idempotency-Key',
    () => rest(gateway, 'POST', HUBS, { token, body: { name: 'Keyed during outage', description: '' }, headers: { 'idempotency-key': randomUUID() } }),
  ],
  ['PUT the hub', () => rest(gateway, 'PUT', `${HUBS}/${hub.hubId}`, { token, body: { description: 'changed during outage' } })],
  ['DELETE the hub', () => rest(gateway, 'DELETE', `${HUBS}/${hub.hubId}`, { token })],
];

describe('while PostgreSQL is stopped', () => {
  beforeAll(async () => {
    // The pool holds idle connections now; stopping terminates them under it (pool 'error' events).
    expect((await rest(gateway, 'GET', `${HUBS}/${hub.hubId}`, { token })).status).toBe(200);
    await own!.stop();
  }, 60_000);

  test.each(REST_CALLS)('when PostgreSQL has stopped, then REST %s answers 503 / 112 with Retry-After promptly', async (label, call) => {
    expectRest503(await timed(call), label);
  });

  test('when PostgreSQL has stopped, then a GraphQL query and a mutation answer HTTP 503 / SERVICE_UNAVAILABLE with Retry-After', async () => {
    const query = await timed(() => graphql(gateway, '{ hubs { total } }', { token }));
    expectGraphQL503(query, 'hubs query');
    expect(query.body.data ?? null).toBeNull();
    const mutation = await timed(() =>
      graphql(gateway, 'mutation($input: CreateHubInput!) { createHub(input: $input) { hubId } }', {
        token,
        variables: { input: { name: 'GraphQL during outage', description: '' } },
      }),
    );
    expectGraphQL503(mutation, 'createHub mutation');
  });

  test('when PostgreSQL has stopped, then /health/ready is 503 (database down) while /health/live stays 200', async () => {
    expect(await health('/health/ready')).toEqual({ status: 503, body: { status: 'unavailable', database: 'down' } });
    expect(await health('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  test('when more requests than the pool has connections wait for one, then every one answers 503 promptly', async () => {
    const results = await Promise.all(
      Array.from({ length: 3 * POOL_SIZE }, (_, index) =>
        timed(() => (index % 2 === 0 ? rest(gateway, 'GET', `${HUBS}/${hub.hubId}`, { token }) : rest(gateway, 'GET', HUBS, { token }))),
      ),
    );
    results.forEach((result, index) => expectRest503(result, `concurrent request ${index}`));
  });
});

/**
 * A server that accepts TCP connections and never says a word: a database host that hangs (or a
 * network that drops packets) rather than refusing. Connecting must give up after the pool's
 * connect timeout (2 s), well before the request deadline.
 */
describe('while the database port accepts connections but never answers', () => {
  let silent: Server | undefined;
  const sockets = new Set<Socket>();
  let accepted = 0;

  beforeAll(async () => {
    silent = createServer((socket) => {
      accepted += 1;
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      silent!.once('error', reject);
      silent!.listen(own!.port, '127.0.0.1', resolve);
    });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (silent === undefined ? resolve() : silent.close(() => resolve())));
  });

  test('when connecting to the database hangs, then REST, GraphQL and readiness answer 503 after the connect timeout, not at the deadline', async () => {
    const [get, post, query, ready, ...queued] = await Promise.all([
      timed(() => rest(gateway, 'GET', `${HUBS}/${hub.hubId}`, { token })),
      timed(() => rest(gateway, 'POST', HUBS, { token, body: { name: `Hung ${randomUUID()}`, description: '' } })),
      timed(() => graphql(gateway, '{ hubs { total } }', { token })),
      timed(() => health('/health/ready')),
      // More than the pool's connections: these wait for a free one, and give up in time too.
      ...Array.from({ length: POOL_SIZE }, () => timed(() => rest(gateway, 'GET', HUBS, { token }))),
    ]);
    expectRest503(get, 'GET one hub');
    expectRest503(post, 'POST a hub');
    expectGraphQL503(query, 'hubs query');
    queued.forEach((result, index) => expectRest503(result, `queued request ${index}`));
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(PROMPT_MS);
    expect((await health('/health/live')).status).toBe(200);
    // The gateway did try this port: the 503s come from giving up on the connection attempt.
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('when PostgreSQL is back', () => {
  beforeAll(async () => {
    await own!.start();
  }, 60_000);

  /** Retries a call until `done` holds or RECOVERY_MS pass; answers the last result. */
  async function eventually<T>(call: () => Promise<T>, done: (result: T) => boolean): Promise<T> {
    const deadline = performance.now() + RECOVERY_MS;
    for (;;) {
      const result = await call();
      if (done(result) || performance.now() > deadline) return result;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  test('when PostgreSQL is started again, then REST serves the same hub with no restart of the gateway', async () => {
    const result = await eventually(
      () => rest<Hub>(gateway, 'GET', `${HUBS}/${hub.hubId}`, { token }),
      (answer) => answer.status === 200,
    );
    expect(result.status).toBe(200);
    // Nothing sent during the outage changed it (PUT and DELETE answered 503).
    expect(result.body).toEqual(hub);
  });

  test('when PostgreSQL is started again, then GraphQL reads and writes work again', async () => {
    const listed = await eventually(
      () => graphql<{ hubs: { total: number } }>(gateway, '{ hubs { total } }', { token }),
      (answer) => answer.status === 200,
    );
    expect(listed.status).toBe(200);
    expect(listed.body.errors).toBeUndefined();
    // Only the hub made before the outage: no create sent during it was half-applied.
    expect(listed.body.data).toEqual({ hubs: { total: 1 } });
    const created = await graphql<{ createHub: { name: string } }>(
      gateway,
      'mutation($input: CreateHubInput!) { createHub(input: $input) { name } }',
      { token, variables: { input: { name: 'After the outage', description: '' } } },
    );
    expect(created.body).toEqual({ data: { createHub: { name: 'After the outage' } } });
  });

  test('when PostgreSQL is started again, then /health/ready is 200 again', async () => {
    const ready = await eventually(() => health('/health/ready'), (answer) => answer.status === 200);
    expect(ready).toEqual({ status: 200, body: { status: 'ok', database: 'up', migrations: 'applied' } });
  });

  test('when the outage is over, then the gateway kept running and logged no 503 as an unexpected error', () => {
    expect(gateway.app.server.listening).toBe(true);
    const unexpected = logs.lines.filter(
      (line) => /unexpected/i.test(String(line.msg)) || (typeof line.level === 'number' && line.level >= 50),
    );
    expect(unexpected).toEqual([]);
  });
});
