import { randomUUID } from 'node:crypto';
import { hubNameKey } from '../../src/hubs/hub.rules';
import { sql } from '../support/database';
import { gatewayWithTenant, graphql, HUB_FIELDS, newTenant, tokenFor, type GraphQLError } from '../support/gateway';

/**
 * `hubConnection` (CONTRACT.md section 4): keyset pages in the Relay shape, in every order and
 * direction, that never skip or repeat a hub whatever changes meanwhile, with exact pageInfo,
 * filters that match literally, and every argument error as BAD_USER_INPUT.
 */
const suite = gatewayWithTenant();

interface Edge {
  cursor: string;
  node: { hubId: string; name: string };
}
interface Connection {
  edges: Edge[];
  nodes: { hubId: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount?: number;
}

const CONNECTION = `query($first: Int, $after: String, $last: Int, $before: String, $filter: HubFilter, $orderBy: HubOrder) {
  hubConnection(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    edges { cursor node { hubId name } }
    nodes { hubId }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const WITH_TOTAL = CONNECTION.replace('nodes { hubId }', 'nodes { hubId } totalCount');

async function connection(variables: Record<string, unknown>, token = suite.token, query = CONNECTION): Promise<Connection> {
  const { body } = await graphql<{ hubConnection: Connection }>(suite.gateway, query, { token, variables });
  expect(body.errors).toBeUndefined();
  return body.data!.hubConnection;
}

async function refusal(variables: Record<string, unknown>): Promise<GraphQLError> {
  const { status, body } = await graphql(suite.gateway, CONNECTION, { token: suite.token, variables });
  expect([status, body.errors?.length, body.data ?? null]).toEqual([200, 1, null]);
  return body.errors![0]!;
}

interface Seeded {
  hubId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  statusId: number;
}

/** Hubs written straight to the table, with the timestamps a test needs (ties and microseconds). */
async function seed(hubs: readonly Omit<Seeded, 'hubId'>[], tenantId = suite.tenantId): Promise<Seeded[]> {
  const seeded = hubs.map((hub) => ({ ...hub, hubId: randomUUID() }));
  for (const hub of seeded) {
    await sql(
      `INSERT INTO hubs (tenant_id, hub_id, name, name_key, description, status_id, created_at, updated_at) VALUES ($1, $2, $3, $4, '', $5, $6, $7)`,
      [tenantId, hub.hubId, hub.name, hubNameKey(hub.name), hub.statusId, hub.createdAt, hub.updatedAt],
    );
  }
  return seeded;
}

/**
 * Eleven hubs: three created in the same microsecond (ties go by hub id), two a microsecond apart
 * (one JavaScript millisecond), names in mixed case, statuses mixed.
 */
function elevenHubs(): Omit<Seeded, 'hubId'>[] {
  const names = ['delta', 'Alpha', 'echo', 'Bravo', 'charlie', 'Foxtrot', 'golf', 'Hotel', 'india', 'Juliett', 'kilo'];
  const created = [
    '2026-01-01T00:00:00.000001Z',
    '2026-01-01T00:00:00.000002Z',
    '2026-01-01T00:00:00.000002Z',
    '2026-01-01T00:00:00.000002Z',
    '2026-01-01T00:00:00.000003Z',
    '2026-01-02T00:00:00.000000Z',
    '2026-01-03T00:00:00.500000Z',
    '2026-01-03T00:00:00.500001Z',
    '2026-01-04T00:00:00.000000Z',
    '2026-01-05T00:00:00.000000Z',
    '2026-01-06T00:00:00.000000Z',
  ];
  return names.map((name, i) => ({
    name,
    createdAt: created[i]!,
    // Updated in the reverse order of creation, two at one instant.
    updatedAt: `2026-02-${String(20 - Math.min(i, 9)).padStart(2, '0')}T00:00:00.000007Z`,
    statusId: i % 3 === 0 ? 2002 : 2000,
  }));
}

type Order = { field: 'CREATED_AT' | 'UPDATED_AT' | 'NAME'; direction: 'ASC' | 'DESC' };
const ORDERS: Order[] = (['CREATED_AT', 'UPDATED_AT', 'NAME'] as const).flatMap((field) => (['ASC', 'DESC'] as const).map((direction) => ({ field, direction })));

/** The order the contract defines, computed here: the key, then the hub id; names ignoring case. */
function expectedOrder(hubs: readonly Seeded[], { field, direction }: Order): string[] {
  const key = (hub: Seeded) => (field === 'CREATED_AT' ? hub.createdAt : field === 'UPDATED_AT' ? hub.updatedAt : hub.name.toLowerCase());
  const sorted = [...hubs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.hubId < b.hubId ? -1 : 1));
  return (direction === 'ASC' ? sorted : sorted.reverse()).map((hub) => hub.hubId);
}

/** Every page forward from the start, checking pageInfo on each. */
async function walkForward(variables: Record<string, unknown>, size: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const answer = await connection({ ...variables, first: size, after });
    expect(answer.nodes.map((node) => node.hubId)).toEqual(answer.edges.map((edge) => edge.node.hubId));
    expect(answer.pageInfo.hasPreviousPage).toBe(page > 0);
    expect(answer.pageInfo.startCursor).toBe(answer.edges[0]?.cursor ?? null);
    expect(answer.pageInfo.endCursor).toBe(answer.edges.at(-1)?.cursor ?? null);
    seen.push(...answer.edges.map((edge) => edge.node.hubId));
    if (!answer.pageInfo.hasNextPage) return seen;
    expect(answer.edges).toHaveLength(size);
    after = answer.pageInfo.endCursor;
  }
  throw new Error('more than 50 pages');
}

/** Every page backward from the end, in the order of the list. */
async function walkBackward(variables: Record<string, unknown>, size: number): Promise<string[]> {
  const seen: string[] = [];
  let before: string | null = null;
  for (let page = 0; page < 50; page++) {
    const answer = await connection({ ...variables, last: size, before });
    expect(answer.pageInfo.hasNextPage).toBe(page > 0);
    seen.unshift(...answer.edges.map((edge) => edge.node.hubId));
    if (!answer.pageInfo.hasPreviousPage) return seen;
    expect(answer.edges).toHaveLength(size);
    before = answer.pageInfo.startCursor;
  }
  throw new Error('more than 50 pages');
}

describe('hubConnection paging', () => {
  test.each(ORDERS)('when every page of %o is read forward and backward, then each hub comes exactly once, in the order', async (orderBy) => {
    const hubs = await seed(elevenHubs());
    const expected = expectedOrder(hubs, orderBy);
    expect(await walkForward({ orderBy }, 3)).toEqual(expected);
    expect(await walkBackward({ orderBy }, 4)).toEqual(expected);
  });

  test('when neither first nor last is given, then the page is the first 50, oldest first', async () => {
    const hubs = await seed(Array.from({ length: 55 }, (_, i) => ({ name: `Hub ${i}`, createdAt: `2026-03-01T00:00:${String(i).padStart(2, '0')}.000000Z`, updatedAt: '2026-03-02T00:00:00Z', statusId: 2000 })));
    const answer = await connection({}, suite.token, WITH_TOTAL);
    expect(answer.nodes.map((node) => node.hubId)).toEqual(hubs.slice(0, 50).map((hub) => hub.hubId));
    expect([answer.pageInfo.hasNextPage, answer.pageInfo.hasPreviousPage, answer.totalCount]).toEqual([true, false, 55]);
  });

  test('when the tenant has no hub, then the page is empty with null cursors', async () => {
    const answer = await connection({ first: 10 }, suite.token, WITH_TOTAL);
    expect(answer).toEqual({ edges: [], nodes: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, totalCount: 0 });
  });

  test('when a page past the last hub is asked, then it is empty, knows hubs come before it, and paging back from its end works', async () => {
    await seed(elevenHubs());
    const last = await connection({ last: 1 });
    const past = await connection({ first: 5, after: last.pageInfo.endCursor });
    expect(past.edges).toEqual([]);
    expect(past.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
  });
});

describe('hubConnection stability', () => {
  test('when hubs before and after the cursor are created and deleted, and the cursor\'s own hub is deleted, then the next page neither skips nor repeats', async () => {
    const hubs = await seed(elevenHubs());
    const order = expectedOrder(hubs, { field: 'CREATED_AT', direction: 'ASC' });
    const first = await connection({ first: 4 });
    expect(first.nodes.map((node) => node.hubId)).toEqual(order.slice(0, 4));

    const [earlier, later] = await seed([
      { name: 'Earlier', createdAt: '2025-12-31T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', statusId: 2000 },
      { name: 'Later', createdAt: '2026-06-01T00:00:00Z', updatedAt: '2026-06-01T00:00:00Z', statusId: 2000 },
    ]);
    await sql('DELETE FROM hubs WHERE tenant_id = $1 AND hub_id = ANY($2::uuid[])', [suite.tenantId, [order[0], order[3], order[6]]]);

    const seen: string[] = [];
    let after = first.pageInfo.endCursor;
    for (;;) {
      const page = await connection({ first: 3, after });
      expect(page.pageInfo.hasPreviousPage).toBe(true);
      seen.push(...page.nodes.map((node) => node.hubId));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual([...order.slice(4).filter((hubId) => hubId !== order[6]), later!.hubId]);
    expect(seen).not.toContain(earlier!.hubId);
  });

  test("when a hub changes, then it moves in the UPDATED_AT order, and a page from a cursor made before still continues at the cursor's place", async () => {
    const hubs = await seed(elevenHubs());
    const orderBy = { field: 'UPDATED_AT', direction: 'ASC' };
    const order = expectedOrder(hubs, orderBy as Order);
    const first = await connection({ first: 2, orderBy });
    // The cursor's own hub changes: it moves to the end; the page from its old place goes on there.
    await graphql(suite.gateway, `mutation($id: ID!) { updateHub(hubId: $id, input: { description: "moved" }) { version } }`, { token: suite.token, variables: { id: order[1] } });
    const next = await connection({ first: 20, after: first.pageInfo.endCursor, orderBy });
    expect(next.nodes.map((node) => node.hubId)).toEqual([...order.slice(2), order[1]]);
  });
});

describe('hubConnection filters', () => {
  test('when filtered by status, then only those hubs come, and totalCount counts them', async () => {
    const hubs = await seed(elevenHubs());
    const paused = expectedOrder(hubs, { field: 'NAME', direction: 'ASC' }).filter((hubId) => hubs.find((hub) => hub.hubId === hubId)!.statusId === 2002);
    const answer = await connection({ filter: { status: 'PAUSED' }, orderBy: { field: 'NAME' }, first: 2 }, suite.token, WITH_TOTAL);
    expect([answer.nodes.map((node) => node.hubId), answer.totalCount]).toEqual([paused.slice(0, 2), paused.length]);
    expect(await walkForward({ filter: { status: 'PAUSED' }, orderBy: { field: 'NAME' } }, 2)).toEqual(paused);
  });

  test.each([
    ['50%', ['Sale 50% off']],
    ['a_b', ['a_b']],
    ['back\\slash', ['Back\\Slash']],
    ['%', ['Sale 50% off']],
    ['_', ['a_b']],
    ['SALE', ['Sale 50% off', 'Sale 500 off', 'salesforce']],
  ])('when nameContains is %j, then it matches literally and ignoring case: %j', async (nameContains, names) => {
    const at = (i: number) => `2026-04-01T00:00:0${i}Z`;
    await seed(
      ['Sale 50% off', 'Sale 500 off', 'a_b', 'axb', 'Back\\Slash', 'backslash', 'salesforce'].map((name, i) => ({ name, createdAt: at(i), updatedAt: at(i), statusId: 2000 })),
    );
    const answer = await connection({ filter: { nameContains } }, suite.token, WITH_TOTAL);
    expect([answer.edges.map((edge) => edge.node.name), answer.totalCount]).toEqual([names, names.length]);
  });

  test('when filters combine with an order and a cursor, then paging backward gives the filtered list exactly once', async () => {
    const hubs = await seed(elevenHubs());
    const active = expectedOrder(hubs, { field: 'CREATED_AT', direction: 'DESC' }).filter((hubId) => hubs.find((hub) => hub.hubId === hubId)!.statusId === 2000);
    expect(await walkBackward({ filter: { status: 'ACTIVE' }, orderBy: { direction: 'DESC' } }, 2)).toEqual(active);
  });
});

describe('hubConnection refusals', () => {
  const cursorOf = async (orderBy?: Order) => {
    await seed(elevenHubs().slice(0, 2));
    return (await connection({ first: 1, orderBy })).pageInfo.endCursor!;
  };
  const badDate = Buffer.from(JSON.stringify([1, 'c', 'a', '2026-02-30T00:00:00.000000Z', randomUUID()])).toString('base64url');
  const nul = Buffer.from(JSON.stringify([1, 'n', 'a', 'a\u0000b', randomUUID()])).toString('base64url');
  const future = Buffer.from(JSON.stringify([2, 'c', 'a', '2026-01-01T00:00:00.000000Z', randomUUID()])).toString('base64url');

  test.each<[string, () => Promise<Record<string, unknown>>, string[]]>([
    ['first with last', async () => ({ first: 1, last: 1 }), ['last']],
    ['first with before', async () => ({ first: 1, before: await cursorOf() }), ['before']],
    ['last with after', async () => ({ last: 1, after: await cursorOf() }), ['after']],
    ['first 0', async () => ({ first: 0 }), ['first']],
    ['first 101', async () => ({ first: 101 }), ['first']],
    ['last -1', async () => ({ last: -1 }), ['last']],
    ['a cursor that is no base64url', async () => ({ after: 'not a cursor!' }), ['after']],
    ['a cursor of random bytes', async () => ({ after: 'AAECAwQFBgc' }), ['after']],
    ['a cursor with a date that does not exist', async () => ({ after: badDate }), ['after']],
    ['a cursor with U+0000 in its key', async () => ({ after: nul, orderBy: { field: 'NAME' } }), ['after']],
    ['a cursor of another format', async () => ({ before: future }), ['before']],
    ['a cursor made for another field', async () => ({ after: await cursorOf({ field: 'NAME', direction: 'ASC' }) }), ['after']],
    ['a cursor made for another direction', async () => ({ after: await cursorOf(), orderBy: { direction: 'DESC' } }), ['after']],
    ['an empty nameContains', async () => ({ filter: { nameContains: '' } }), ['filter.nameContains']],
    ['a nameContains of 101 characters', async () => ({ filter: { nameContains: 'x'.repeat(101) } }), ['filter.nameContains']],
    ['first 0 with last and a bad cursor', async () => ({ first: 0, last: 1, before: 'x' }), ['last', 'before']],
  ])('when %s is asked, then it is BAD_USER_INPUT naming each argument', async (_case, variables, paths) => {
    const error = await refusal(await variables());
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    const problems = error.extensions?.problems as { path: string; errorCode: string; message: string }[];
    expect(problems.map((problem) => problem.path)).toEqual(paths);
    expect(problems.every((problem) => /^PRT\d{6}$/.test(problem.errorCode) && problem.message.length > 10)).toBe(true);
  });
});

describe('hubConnection and scopes', () => {
  test('when the token has no hub scope, then it is FORBIDDEN and nothing is read', async () => {
    await seed(elevenHubs());
    const nobody = await tokenFor(suite.tenantId, ['profile']);
    const { body } = await graphql(suite.gateway, CONNECTION, { token: nobody, variables: { first: 5 } });
    expect([body.data ?? null, body.errors?.map((error) => error.extensions?.code)]).toEqual([null, ['FORBIDDEN']]);
  });
});

describe('hubConnection and tenants', () => {
  test("when another tenant pages, then it sees none of this tenant's hubs, even from this tenant's cursor", async () => {
    await seed(elevenHubs());
    const mine = await connection({ first: 2 });
    const other = await tokenFor(newTenant());
    const answer = await connection({ first: 10, after: mine.pageInfo.startCursor }, other, WITH_TOTAL);
    expect([answer.edges, answer.totalCount, answer.pageInfo.hasPreviousPage]).toEqual([[], 0, false]);
  });
});

describe('hubConnection cost', () => {
  /** Statements the gateway sent so far, by name prefix, from its own /metrics. */
  async function statements(prefix: string): Promise<number> {
    const text = await (await fetch(`${suite.gateway.url}/metrics`)).text();
    return [...text.matchAll(/^db_statements_total\{statement="([^"]*)"\} (\d+)$/gm)].filter((match) => match[1]!.startsWith(prefix)).reduce((sum, match) => sum + Number(match[2]), 0);
  }

  test('when totalCount is not selected, then no count runs; selected, one does', async () => {
    await seed(elevenHubs());
    const before = [await statements('hub_slice_'), await statements('hub_count_')];
    await connection({ first: 5 });
    const middle = [await statements('hub_slice_'), await statements('hub_count_')];
    await connection({ first: 5 }, suite.token, WITH_TOTAL);
    const after = [await statements('hub_slice_'), await statements('hub_count_')];
    expect([middle[0]! - before[0]!, middle[1]! - before[1]!, after[0]! - middle[0]!, after[1]! - middle[1]!]).toEqual([1, 0, 1, 1]);
  });

  test('when a page of 100 asks for every field of edges, nodes, pageInfo and totalCount, then the cost limit lets it through', async () => {
    const query = `{ hubConnection(first: 100) { edges { cursor node { ${HUB_FIELDS} } } nodes { ${HUB_FIELDS} } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }`;
    const { status, body } = await graphql(suite.gateway, query, { token: suite.token });
    expect([status, body.errors]).toEqual([200, undefined]);
  });

  test('when two connections of 100 with every field are asked in one operation, then the cost limit refuses it', async () => {
    const page = `hubConnection(first: 100) { edges { cursor node { ${HUB_FIELDS} } } nodes { ${HUB_FIELDS} } totalCount }`;
    const { status, body } = await graphql(suite.gateway, `{ a: ${page} b: ${page} }`, { token: suite.token });
    expect([status, body.errors?.[0]?.extensions?.code]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
  });
});
