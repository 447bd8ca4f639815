import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { mintToken } from '../../src/auth/token-issuer';
import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { lockHub, sql } from '../support/database';
import { gatewayWithTenant, graphql, HUB_FIELDS, LogCapture, newTenant, rest, startGateway, TEST_SECRET, tokenFor, type TestGateway } from '../support/gateway';
import { eventually, metric, socketClient, subscribed, watch } from '../support/subscriptions';

/**
 * Live changes (CONTRACT.md section 4a): every committed change, once, to every matching
 * subscriber of its tenant, on every instance; nothing for a write that failed.
 */
const suite = gatewayWithTenant();
const CHANGES = `subscription($hubId: ID) { hubChanged(hubId: $hubId) { kind hubId hub { ${HUB_FIELDS} } } }`;

interface Change {
  hubChanged: { kind: string; hubId: string; hub: { name: string; description: string; version: number; tenantId: string } };
}

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  // The next test counts subscriptions from zero on this gateway.
  await eventually(async () => (await metric(suite.gateway.url, 'graphql_ws_active_subscriptions')) === 0);
});

/** A client with the token in connection_init; `null`: none. */
function connect(token: string | null = suite.token, gateway: TestGateway = suite.gateway) {
  const client = socketClient(gateway.url, token === null ? {} : { Authorization: `Bearer ${token}` });
  clients.push(client);
  return client;
}

/** Subscribes and waits until the gateway runs the subscription. */
async function follow(variables?: Record<string, unknown>, client = connect(), gateway = suite.gateway) {
  const before = await metric(gateway.url, 'graphql_ws_active_subscriptions');
  const watching = watch<Change>(client, CHANGES, variables);
  await subscribed(gateway.url, before + 1);
  return watching;
}

async function createHub(name: string, token = suite.token, gateway = suite.gateway): Promise<string> {
  const { status, body } = await rest<{ hubId: string }>(gateway, 'POST', '/api/v1/hubs', { token, body: { name, description: 'd' } });
  expect(status).toBe(200);
  return body.hubId;
}

/** Why a subscription was refused: its error message, or the errors of its one result. */
async function refusalOf(watching: { ended: Promise<{ error?: unknown }>; events: unknown[] }): Promise<string> {
  const { error } = await watching.ended;
  return JSON.stringify(error ?? watching.events);
}

const kinds = (events: { data?: Change | null }[]) => events.map((event) => [event.data?.hubChanged.kind, event.data?.hubChanged.hub.name]);

describe('hubChanged', () => {
  test('when hubs are created, updated and deleted through REST and GraphQL, then each change arrives once, with the hub after it', async () => {
    const changes = await follow();
    const first = await createHub('Created by REST');
    const { body } = await graphql<{ createHub: { hubId: string } }>(suite.gateway, 'mutation { createHub(input: { name: "Created by GraphQL", description: "" }) { hubId } }', { token: suite.token });
    const second = body.data!.createHub.hubId;
    await rest(suite.gateway, 'PUT', `/api/v1/hubs/${first}`, { token: suite.token, body: { description: 'changed by REST' } });
    await graphql(suite.gateway, `mutation { updateHub(hubId: "${second}", input: { name: "Renamed" }) { version } }`, { token: suite.token });
    await rest(suite.gateway, 'DELETE', `/api/v1/hubs/${first}`, { token: suite.token });
    await graphql(suite.gateway, `mutation { deleteHub(hubId: "${second}") { version } }`, { token: suite.token });

    const events = await changes.next(6);
    expect(kinds(events)).toEqual([
      ['CREATED', 'Created by REST'],
      ['CREATED', 'Created by GraphQL'],
      ['UPDATED', 'Created by REST'],
      ['UPDATED', 'Renamed'],
      ['DELETED', 'Created by REST'],
      ['DELETED', 'Renamed'],
    ]);
    expect(events.map((event) => [event.data!.hubChanged.hubId, event.data!.hubChanged.hub.version])).toEqual([
      [first, 1],
      [second, 1],
      [first, 2],
      [second, 2],
      [first, 2],
      [second, 2],
    ]);
    expect(events[2]!.data!.hubChanged.hub.description).toBe('changed by REST');
    expect(events.every((event) => event.errors === undefined && event.data!.hubChanged.hub.tenantId === suite.tenantId)).toBe(true);
  });

  test('when a subscription names a hub, then it sees only that hub', async () => {
    const mine = await createHub('Mine');
    const other = await createHub('Other');
    const changes = await follow({ hubId: mine.toUpperCase() });
    await rest(suite.gateway, 'PUT', `/api/v1/hubs/${other}`, { token: suite.token, body: { description: 'not this one' } });
    await rest(suite.gateway, 'PUT', `/api/v1/hubs/${mine}`, { token: suite.token, body: { description: 'this one' } });
    const [event] = await changes.next(1);
    expect(event!.data!.hubChanged).toMatchObject({ kind: 'UPDATED', hubId: mine, hub: { description: 'this one' } });
  });

  test("when another tenant changes its hubs, then nothing of them arrives", async () => {
    const changes = await follow();
    const stranger = await tokenFor(newTenant());
    await createHub('Theirs', stranger);
    await createHub('Ours');
    const [event] = await changes.next(1);
    expect(kinds([event!])).toEqual([['CREATED', 'Ours']]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(changes.events).toHaveLength(1);
  });

  test('when writes fail (name taken, missing hub, invalid input, an idempotent replay), then they announce nothing', async () => {
    const hubId = await createHub('Taken');
    const key = randomUUID();
    await rest(suite.gateway, 'POST', '/api/v1/hubs', { token: suite.token, body: { name: 'Keyed', description: '' }, headers: { 'idempotency-key': key } });
    const changes = await follow();
    expect((await rest(suite.gateway, 'POST', '/api/v1/hubs', { token: suite.token, body: { name: 'TAKEN', description: '' } })).status).toBe(400);
    expect((await rest(suite.gateway, 'PUT', `/api/v1/hubs/${randomUUID()}`, { token: suite.token, body: { description: 'x' } })).status).toBe(404);
    expect((await rest(suite.gateway, 'PUT', `/api/v1/hubs/${hubId}`, { token: suite.token, body: { closeDormantConversation: -1 } })).status).toBe(400);
    expect((await rest(suite.gateway, 'PUT', `/api/v1/hubs/${hubId}`, { token: suite.token, body: { name: 'Keyed' } })).status).toBe(400);
    expect((await rest(suite.gateway, 'DELETE', `/api/v1/hubs/${hubId}`, { token: suite.token, headers: { 'if-match': '"7"' } })).status).toBe(412);
    expect((await rest(suite.gateway, 'POST', '/api/v1/hubs', { token: suite.token, body: { name: 'Keyed', description: '' }, headers: { 'idempotency-key': key } })).status).toBe(200);
    // A PUT that changes nothing is no change either.
    expect((await rest(suite.gateway, 'PUT', `/api/v1/hubs/${hubId}`, { token: suite.token, body: {} })).status).toBe(200);
    await createHub('The marker');
    const events = await changes.next(1);
    expect(kinds(events)).toEqual([['CREATED', 'The marker']]);
  });

  test('when one hub is changed many times quickly, then its changes arrive in the order they were committed', async () => {
    const hubId = await createHub('Busy');
    const changes = await follow({ hubId });
    for (let i = 0; i < 25; i++) await rest(suite.gateway, 'PUT', `/api/v1/hubs/${hubId}`, { token: suite.token, body: { description: `change ${i}` } });
    const events = await changes.next(25);
    expect(events.map((event) => event.data!.hubChanged.hub.version)).toEqual(Array.from({ length: 25 }, (_, i) => i + 2));
  });

  test('when a change is announced in parts (its message is over 8000 bytes), then it arrives whole', async () => {
    // Hubs within the contract's limits fit one notification (7,200 bytes at most); a longer one,
    // written here past the gateway, goes as parts that the listener puts together.
    const hubId = await createHub('Long');
    const changes = await follow({ hubId });
    const description = '\u0001'.repeat(3000);
    await sql(
      `SELECT hubs_announce('UPDATED', tenant_id, json_build_object('tenant_id', tenant_id, 'hub_id', hub_id, 'name', name, 'name_key', name_key,
         'description', $3::text, 'close_dormant_conversation', close_dormant_conversation, 'status_id', status_id, 'version', version,
         'created_at', created_at, 'updated_at', updated_at)) FROM hubs WHERE tenant_id = $1 AND hub_id = $2`,
      [suite.tenantId, hubId, description],
    );
    const [event] = await changes.next(1);
    expect([event!.data!.hubChanged.kind, event!.data!.hubChanged.hub.name, event!.data!.hubChanged.hub.description]).toEqual(['UPDATED', 'Long', description]);
  });

  test('when a hub has the longest texts the contract allows, then its change arrives whole, also when deleted', async () => {
    const description = '\u0001'.repeat(1000);
    const name = '\u{1F600}'.repeat(100);
    const changes = await follow();
    const { status, body } = await rest<{ hubId: string }>(suite.gateway, 'POST', '/api/v1/hubs', { token: suite.token, body: { name, description } });
    expect(status).toBe(200);
    await rest(suite.gateway, 'DELETE', `/api/v1/hubs/${body.hubId}`, { token: suite.token });
    const events = await changes.next(2);
    expect(events.map((event) => [event.data!.hubChanged.kind, event.data!.hubChanged.hub.name, event.data!.hubChanged.hub.description])).toEqual([
      ['CREATED', name, description],
      ['DELETED', name, description],
    ]);
  });
});

describe('hubChanged metrics', () => {
  test('when sockets open, subscribe, receive and close, then /metrics counts sockets, subscriptions and deliveries', async () => {
    const url = suite.gateway.url;
    const [sockets, delivered] = [await metric(url, 'graphql_ws_open_sockets'), await metric(url, 'graphql_ws_events_delivered_total')];
    const first = connect();
    const second = connect();
    const watching = [watch<Change>(first, CHANGES), watch<Change>(first, CHANGES), watch<Change>(second, CHANGES)];
    await subscribed(url, 3);
    expect(await metric(url, 'graphql_ws_open_sockets')).toBe(sockets + 2);
    await createHub('Counted');
    for (const changes of watching) await changes.next(1);
    expect(await metric(url, 'graphql_ws_events_delivered_total')).toBe(delivered + 3);
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await eventually(async () => (await metric(url, 'graphql_ws_open_sockets')) <= sockets);
    expect([await metric(url, 'graphql_ws_open_sockets'), await metric(url, 'graphql_ws_active_subscriptions')]).toEqual([sockets, 0]);
  });
});

describe('hubChanged logs', () => {
  test('when a socket closes, then the gateway writes one line for it, with its request id and close code', async () => {
    const logs = new LogCapture();
    const logged = await startGateway({ LOG_LEVEL: 'info' }, { logStream: logs });
    try {
      const client = connect(suite.token, logged);
      await follow(undefined, client, logged);
      await client.dispose();
      await eventually(() => logs.lines.some((line) => line.msg === 'GraphQL WebSocket closed'));
      const closed = logs.lines.filter((line) => line.msg === 'GraphQL WebSocket closed');
      expect(closed).toEqual([expect.objectContaining({ code: 1000, reqId: expect.any(String) })]);
    } finally {
      await logged.close();
    }
  });
});

describe('hubChanged with Apollo Client', () => {
  test('when Apollo Client subscribes through GraphQLWsLink, then it receives the changes', async () => {
    const apollo = new ApolloClient({ link: new GraphQLWsLink(connect()), cache: new InMemoryCache() });
    const received: { kind: string; hub: { name: string } }[] = [];
    const before = await metric(suite.gateway.url, 'graphql_ws_active_subscriptions');
    const subscription = apollo
      .subscribe<{ hubChanged: { kind: string; hub: { name: string } } }>({ query: gql`subscription { hubChanged { kind hubId hub { hubId name } } }` })
      .subscribe({ next: (result) => received.push(result.data!.hubChanged) });
    try {
      await subscribed(suite.gateway.url, before + 1);
      await createHub('Seen by Apollo Client');
      await eventually(() => received.length > 0);
      expect(received).toEqual([expect.objectContaining({ kind: 'CREATED', hub: expect.objectContaining({ name: 'Seen by Apollo Client' }) })]);
    } finally {
      subscription.unsubscribe();
      apollo.stop();
    }
  });
});

describe('hubChanged and deadlines', () => {
  let hurried: TestGateway;
  beforeAll(async () => {
    hurried = await startGateway({ REQUEST_TIMEOUT_MS: '500' });
  });
  afterAll(() => hurried?.close());

  test('when a write runs past its deadline (408), then it announces nothing', async () => {
    const token = await tokenFor(newTenant());
    const hubId = await createHub('Locked', token, hurried);
    const changes = await follow(undefined, connect(token, hurried), hurried);
    const tenantId = (await rest<{ tenantId: string }>(hurried, 'GET', `/api/v1/hubs/${hubId}`, { token })).body.tenantId;
    const lock = await lockHub(tenantId, hubId);
    try {
      expect((await rest(hurried, 'PUT', `/api/v1/hubs/${hubId}`, { token, body: { description: 'too late' } })).status).toBe(408);
    } finally {
      await lock.release();
    }
    await createHub('After the timeout', token, hurried);
    expect(kinds(await changes.next(1))).toEqual([['CREATED', 'After the timeout']]);
    expect((await rest<{ description: string }>(hurried, 'GET', `/api/v1/hubs/${hubId}`, { token })).body.description).toBe('d');
  });
});

describe('hubChanged across instances', () => {
  let other: TestGateway;
  beforeAll(async () => {
    other = await startGateway();
  });
  afterAll(() => other?.close());

  test('when a hub changes through one instance, then subscribers of another instance on the same database see it', async () => {
    const here = await follow();
    const there = await follow(undefined, connect(suite.token, other), other);
    await createHub('Through the other instance', suite.token, other);
    await createHub('Through this instance');
    for (const changes of [here, there]) {
      expect(kinds(await changes.next(2))).toEqual([
        ['CREATED', 'Through the other instance'],
        ['CREATED', 'Through this instance'],
      ]);
    }
  });
});

describe('hubChanged and the database session', () => {
  test("when the listening session is terminated, then subscriptions stay open and changes arrive again once it is back", async () => {
    const changes = await follow();
    const reconnects = await metric(suite.gateway.url, 'db_change_listener_reconnects_total');
    await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hubs-gateway-listener' AND datname = current_database()`);
    if (!(await eventually(async () => (await metric(suite.gateway.url, 'db_change_listener_reconnects_total')) > reconnects, 10_000))) {
      throw new Error('the listener did not reconnect');
    }
    await createHub('After the outage');
    expect(kinds(await changes.next(1))).toEqual([['CREATED', 'After the outage']]);
  });
});

describe('hubChanged and access', () => {
  test.each([
    ['no token', null],
    ['a malformed token', 'not-a-jwt'],
    ['a token of another key', 'eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnRJZCI6IjZmMWMyYTUyLTdhNTgtNGMzZS05YzU1LTBlNmEwZjhkOGExMSJ9.c2lnbmF0dXJl'],
  ])('when the socket comes with %s, then it closes with 4403', async (_case, token) => {
    const client = connect(token);
    expect((await client.closed).code).toBe(4403);
  });

  test('when the token lacks the read scope, then the socket closes with 4403', async () => {
    const client = connect(await tokenFor(suite.tenantId, ['profile']));
    expect((await client.closed).code).toBe(4403);
  });

  test('when the token expires, then the socket closes with 4403', async () => {
    const token = await mintToken({ secret: TEST_SECRET, tenantId: suite.tenantId, tenantClaim: 'tenantId', scopes: ['hubs:read'], ttlSeconds: 2 });
    const client = connect(token);
    await follow(undefined, client);
    const closed = await client.closed;
    expect(closed.code).toBe(4403);
  });

  test('when the token lives longer than a timer can wait (30 days), then the socket stays open', async () => {
    const token = await mintToken({ secret: TEST_SECRET, tenantId: suite.tenantId, tenantClaim: 'tenantId', scopes: ['hubs:read', 'hubs:write'], ttlSeconds: 30 * 24 * 3600 });
    const changes = await follow(undefined, connect(token));
    await createHub('A month of access');
    expect(kinds(await changes.next(1))).toEqual([['CREATED', 'A month of access']]);
  });

  test('when the key "authorization" is used in connection_init, then it is read too', async () => {
    const client = socketClient(suite.gateway.url, { authorization: `Bearer ${suite.token}` });
    clients.push(client);
    const changes = await follow(undefined, client);
    await createHub('Lower-case key');
    expect(kinds(await changes.next(1))).toEqual([['CREATED', 'Lower-case key']]);
  });
});

describe('hubChanged limits', () => {
  test('when a connection starts its 101st subscription, then that one gets an error and the others go on', async () => {
    const client = connect();
    const before = await metric(suite.gateway.url, 'graphql_ws_active_subscriptions');
    const all = Array.from({ length: 100 }, () => watch<Change>(client, CHANGES));
    await subscribed(suite.gateway.url, before + 100);
    const extra = watch<Change>(client, CHANGES);
    const { error } = await extra.ended;
    expect(JSON.stringify(error)).toMatch(/At most 100 subscriptions/);
    await createHub('Seen by 100');
    for (const changes of all) expect(kinds(await changes.next(1))).toEqual([['CREATED', 'Seen by 100']]);
  });

  test('when a subscription is malformed or asks for an invalid hub id, then it gets the same errors as over HTTP', async () => {
    const client = connect();
    const badHub = watch(client, CHANGES, { hubId: 'not-a-guid' });
    expect(await refusalOf(badHub)).toMatch(/BAD_USER_INPUT/);
    const unknown = watch(client, 'subscription { nothing }');
    expect(await refusalOf(unknown)).toMatch(/GRAPHQL_VALIDATION_FAILED/);
    const unparsable = watch(client, 'subscription {');
    expect(await refusalOf(unparsable)).toMatch(/GRAPHQL_PARSE_FAILED/);
  });

  describe('on a gateway with tight limits', () => {
    let limited: TestGateway;
    beforeAll(async () => {
      limited = await startGateway({ RATE_LIMIT_MAX: '3', GRAPHQL_MAX_DEPTH: '2' });
    });
    afterAll(() => limited?.close());

    test('when a subscription is deeper than GRAPHQL_MAX_DEPTH, then it is refused as over HTTP', async () => {
      const client = connect(await tokenFor(newTenant()), limited);
      const deep = watch(client, 'subscription { hubChanged { hub { name } } }');
      expect(await refusalOf(deep)).toMatch(/levels deep.*GRAPHQL_VALIDATION_FAILED/);
    });

    test('when the tenant has spent its rate limit, then a subscribe is refused with RATE_LIMITED', async () => {
      const token = await tokenFor(newTenant());
      const client = connect(token, limited);
      for (let i = 0; i < 3; i++) await rest(limited, 'GET', '/api/v1/hubs', { token });
      const refused = watch(client, 'subscription { hubChanged { kind } }');
      expect(await refusalOf(refused)).toMatch(/RATE_LIMITED/);
    });
  });
});
