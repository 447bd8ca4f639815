import { writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { newTenant, REST_HUB_FIELDS, startGateway, tokenFor, type TestGateway } from '../support/gateway';

/**
 * A soak: a few thousand mixed REST and GraphQL requests at a steady concurrency against one
 * gateway, across several tenants. No 5xx at all; every answer is the one its kind of request
 * must get; and the books balance: per tenant, `total` = creates answered 200 - deletes answered
 * 200, and every hub created and not deleted is readable, as it was last answered.
 *
 * A hub is used by one request at a time (it is "busy" meanwhile), so each answer is exactly
 * predictable; the concurrency is across hubs and tenants. Quiet unless it fails. Set
 * SOAK_SEED to replay a run, SOAK_STATS_FILE to have its duration and rate written there.
 */

const REQUESTS = 3000;
const CONCURRENCY = 16;
const TENANTS = 8;
const HUBS = '/api/v1/hubs';
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 2 ** 31);

const CREATE = `mutation Create($input: CreateHubInput!) { createHub(input: $input) { ${REST_HUB_FIELDS} } }`;
const UPDATE = `mutation Update($hubId: ID!, $input: UpdateHubInput!) { updateHub(hubId: $hubId, input: $input) { ${REST_HUB_FIELDS} } }`;
const DELETE = `mutation Delete($hubId: ID!) { deleteHub(hubId: $hubId) { ${REST_HUB_FIELDS} } }`;
const GET = `query Get($hubId: ID!) { hub(hubId: $hubId) { ${REST_HUB_FIELDS} } }`;
const LIST = 'query List($pageNumber: Int!, $pageSize: Int!) { hubs(pageNumber: $pageNumber, pageSize: $pageSize) { pageNumber pageSize total results { hubId name } } }';

/** A hub as REST answers it. */
interface HubModel {
  hubId: string;
  tenantId: string;
  name: string;
  description: string;
  closeDormantConversation: number;
  statusId: number;
}

interface Tenant {
  readonly index: number;
  readonly tenantId: string;
  readonly token: string;
  /** Hubs whose create was answered 200 and whose delete was not, as last answered. */
  readonly live: Map<string, HubModel>;
  readonly deleted: Set<string>;
  readonly busy: Set<string>;
  createdOk: number;
  deletedOk: number;
}

/** mulberry32: a small seeded generator, so a failing run can be replayed with SOAK_SEED. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startGateway({ RATE_LIMIT_MAX: '1000000' });
});
afterAll(() => gateway.close());

async function call(method: string, path: string, token: string, payload?: unknown, raw?: string): Promise<Answer> {
  const body = raw ?? (payload === undefined ? undefined : JSON.stringify(payload));
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text };
}

const gql = (token: string, query: string, variables: Record<string, unknown>) => call('POST', '/graphql', token, { query, variables });

/** What an answer was, in one comparable word: `200`, `404/699` (REST), `200 data`, `200 NOT_FOUND` (GraphQL). */
function outcomeOf(answer: Answer, transport: 'rest' | 'graphql'): string {
  const body = answer.body as { errors?: { code?: number; extensions?: { code?: string } }[] } | undefined;
  if (body === undefined) return `${answer.status} not-json`;
  if (transport === 'rest') return answer.status === 200 ? '200' : `${answer.status}/${body.errors?.[0]?.code ?? '?'}`;
  return `${answer.status} ${body.errors?.[0]?.extensions?.code ?? 'data'}`;
}

/** JSON with every object's keys sorted, so equal values compare equal whatever their key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'object' && item !== null && !Array.isArray(item) ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))) : item,
  );

const restHub = (answer: Answer): HubModel => answer.body as HubModel;
const graphqlHub = (answer: Answer, field: string): HubModel => {
  const { status: _status, ...hub } = (answer.body as { data: Record<string, HubModel & { status: string }> }).data[field]!;
  return hub;
};

test(
  'when thousands of mixed requests run at concurrency 16 across 8 tenants, then no 5xx, every answer is as expected and the counts add up',
  async () => {
    const random = generator(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const chance = (p: number) => random() < p;
    let sequence = 0;
    const uniqueName = (tenant: Tenant) => `soak ${SEED} t${tenant.index} n${++sequence}`;

    const tenants: Tenant[] = [];
    for (let index = 0; index < TENANTS; index++) {
      const tenantId = newTenant();
      tenants.push({ index, tenantId, token: await tokenFor(tenantId), live: new Map(), deleted: new Set(), busy: new Set(), createdOk: 0, deletedOk: 0 });
    }

    const violations: string[] = [];
    const outcomes = new Map<string, number>();
    let serverErrors = 0;
    /** Records one answer against what its kind of request must get. */
    const expectOutcome = (kind: string, transport: 'rest' | 'graphql', answer: Answer, expected: readonly string[]): boolean => {
      const outcome = outcomeOf(answer, transport);
      outcomes.set(`${kind} ${outcome}`, (outcomes.get(`${kind} ${outcome}`) ?? 0) + 1);
      if (answer.status >= 500) serverErrors++;
      if (expected.includes(outcome)) return true;
      violations.push(`${kind} (${transport}): expected ${expected.join(' | ')}, got ${outcome}: ${answer.text.slice(0, 300)}`);
      return false;
    };
    const expectEqual = (kind: string, actual: unknown, wanted: unknown) => {
      if (canonical(actual) !== canonical(wanted)) violations.push(`${kind}: answered ${canonical(actual)}, expected ${canonical(wanted)}`);
    };

    /** An idle hub of the tenant, marked busy, or undefined when there is none. */
    const claimHub = (tenant: Tenant): HubModel | undefined => {
      if (tenant.live.size === 0) return undefined;
      const ids = [...tenant.live.keys()];
      for (let attempt = 0; attempt < 4; attempt++) {
        const id = pick(ids);
        if (!tenant.busy.has(id)) {
          tenant.busy.add(id);
          return tenant.live.get(id)!;
        }
      }
      return undefined;
    };

    const randomChanges = (tenant: Tenant): Record<string, unknown> => {
      const changes: Record<string, unknown> = {};
      if (chance(0.4)) changes.name = uniqueName(tenant);
      if (chance(0.4)) changes.description = `described ${++sequence}`;
      if (chance(0.3)) changes.closeDormantConversation = Math.floor(random() * 3651);
      if (chance(0.3)) changes.statusId = pick([2000, 2002]);
      return changes;
    };
    const toGraphQLInput = ({ statusId, ...rest }: Record<string, unknown>): Record<string, unknown> =>
      statusId === undefined ? rest : { ...rest, status: statusId === 2002 ? 'PAUSED' : 'ACTIVE' };

    async function create(tenant: Tenant, viaGraphQL: boolean): Promise<void> {
      const input = { name: uniqueName(tenant), description: chance(0.2) ? '' : 'soak hub', ...(chance(0.5) ? { closeDormantConversation: 30 } : {}), ...(chance(0.3) ? { statusId: 2002 } : {}) };
      const answer = viaGraphQL ? await gql(tenant.token, CREATE, { input: toGraphQLInput(input) }) : await call('POST', HUBS, tenant.token, input);
      if (!expectOutcome('create', viaGraphQL ? 'graphql' : 'rest', answer, [viaGraphQL ? '200 data' : '200'])) return;
      const hub = viaGraphQL ? graphqlHub(answer, 'createHub') : restHub(answer);
      tenant.createdOk++;
      tenant.live.set(hub.hubId, hub);
      expectEqual('create', hub, { hubId: hub.hubId, tenantId: tenant.tenantId, name: input.name, description: input.description, closeDormantConversation: input.closeDormantConversation ?? 0, statusId: input.statusId ?? 2000 });
    }

    async function read(tenant: Tenant, hub: HubModel, viaGraphQL: boolean): Promise<void> {
      const answer = viaGraphQL ? await gql(tenant.token, GET, { hubId: hub.hubId }) : await call('GET', `${HUBS}/${hub.hubId}`, tenant.token);
      if (!expectOutcome('get', viaGraphQL ? 'graphql' : 'rest', answer, [viaGraphQL ? '200 data' : '200'])) return;
      expectEqual('get', viaGraphQL ? graphqlHub(answer, 'hub') : restHub(answer), hub);
    }

    async function update(tenant: Tenant, hub: HubModel, viaGraphQL: boolean): Promise<void> {
      const changes = randomChanges(tenant);
      const answer = viaGraphQL
        ? await gql(tenant.token, UPDATE, { hubId: hub.hubId, input: toGraphQLInput(changes) })
        : await call('PUT', `${HUBS}/${hub.hubId}`, tenant.token, changes);
      if (!expectOutcome('update', viaGraphQL ? 'graphql' : 'rest', answer, [viaGraphQL ? '200 data' : '200'])) return;
      const updated = { ...hub, ...changes } as HubModel;
      tenant.live.set(hub.hubId, updated);
      expectEqual('update', viaGraphQL ? graphqlHub(answer, 'updateHub') : restHub(answer), updated);
    }

    async function remove(tenant: Tenant, hub: HubModel, viaGraphQL: boolean): Promise<void> {
      const answer = viaGraphQL ? await gql(tenant.token, DELETE, { hubId: hub.hubId }) : await call('DELETE', `${HUBS}/${hub.hubId}`, tenant.token);
      if (!expectOutcome('delete', viaGraphQL ? 'graphql' : 'rest', answer, [viaGraphQL ? '200 data' : '200'])) return;
      tenant.deletedOk++;
      tenant.live.delete(hub.hubId);
      tenant.deleted.add(hub.hubId);
      expectEqual('delete', viaGraphQL ? graphqlHub(answer, 'deleteHub') : restHub(answer), hub);
    }

    async function duplicate(tenant: Tenant, hub: HubModel, viaGraphQL: boolean): Promise<void> {
      const input = { name: ` ${hub.name.toUpperCase()} `, description: 'same name, other case' };
      const answer = viaGraphQL ? await gql(tenant.token, CREATE, { input }) : await call('POST', HUBS, tenant.token, input);
      expectOutcome('duplicate name', viaGraphQL ? 'graphql' : 'rest', answer, [viaGraphQL ? '200 CONFLICT' : '400/600']);
    }

    async function list(tenant: Tenant, viaGraphQL: boolean): Promise<void> {
      const pageNumber = Math.floor(random() * 3);
      const pageSize = 1 + Math.floor(random() * 100);
      const answer = viaGraphQL
        ? await gql(tenant.token, LIST, { pageNumber, pageSize })
        : await call('GET', `${HUBS}?pageNumber=${pageNumber}&pageSize=${pageSize}`, tenant.token);
      if (!expectOutcome('list', viaGraphQL ? 'graphql' : 'rest', answer, [viaGraphQL ? '200 data' : '200'])) return;
      const page = (viaGraphQL ? (answer.body as { data: { hubs: unknown } }).data.hubs : answer.body) as { pageNumber: number; pageSize: number; total: number; results: unknown[] };
      if (page.pageNumber !== pageNumber || page.pageSize !== pageSize || page.results.length > pageSize || !Number.isInteger(page.total)) {
        violations.push(`list: malformed page for pageNumber=${pageNumber}, pageSize=${pageSize}: ${answer.text.slice(0, 300)}`);
      }
    }

    /** Requests that must be refused, each with the answer it must get. */
    async function invalid(tenant: Tenant): Promise<void> {
      const variant = Math.floor(random() * 7);
      switch (variant) {
        case 0:
          expectOutcome('bad body', 'rest', await call('POST', HUBS, tenant.token, { name: 5, description: '' }), ['400/302']);
          return;
        case 1:
          expectOutcome('bad body', 'rest', await call('POST', HUBS, tenant.token, { description: 'no name' }), ['400/301']);
          return;
        case 2:
          expectOutcome('bad body', 'rest', await call('POST', HUBS, tenant.token, undefined, '{"name":'), ['400/300']);
          return;
        case 3:
          expectOutcome('bad body', 'rest', await call('POST', HUBS, tenant.token, { name: uniqueName(tenant), description: '', statusId: 2001 }), ['400/206']);
          return;
        case 4:
          expectOutcome('bad body', 'graphql', await gql(tenant.token, CREATE, { input: { name: '   ', description: '' } }), ['200 BAD_USER_INPUT']);
          return;
        case 5:
          expectOutcome('bad body', 'graphql', await gql(tenant.token, CREATE, { input: { name: 5, description: '' } }), ['400 BAD_USER_INPUT']);
          return;
        default:
          expectOutcome('bad paging', 'rest', await call('GET', `${HUBS}?pageSize=0`, tenant.token), ['400/207']);
      }
    }

    /** Hubs that never existed in this tenant (or another tenant's): 404 / null. */
    async function unknown(tenant: Tenant): Promise<void> {
      const other = pick(tenants);
      const otherHub = other === tenant ? undefined : [...other.live.keys()][0];
      const hubId = otherHub ?? randomUUID();
      switch (Math.floor(random() * 5)) {
        case 0:
          expectOutcome('unknown hub', 'rest', await call('GET', `${HUBS}/${hubId}`, tenant.token), ['404/699']);
          return;
        case 1:
          expectOutcome('unknown hub', 'rest', await call('PUT', `${HUBS}/${hubId}`, tenant.token, { description: 'nobody' }), ['404/699']);
          return;
        case 2:
          expectOutcome('unknown hub', 'rest', await call('DELETE', `${HUBS}/${hubId}`, tenant.token), ['404/699']);
          return;
        case 3: {
          const answer = await gql(tenant.token, GET, { hubId });
          if (expectOutcome('unknown hub', 'graphql', answer, ['200 data'])) expectEqual('unknown hub (graphql)', (answer.body as { data: unknown }).data, { hub: null });
          return;
        }
        default:
          expectOutcome('unknown hub', 'graphql', await gql(tenant.token, pick([UPDATE, DELETE]), { hubId, input: { description: 'nobody' } }), ['200 NOT_FOUND']);
      }
    }

    async function one(): Promise<void> {
      const tenant = pick(tenants);
      const viaGraphQL = chance(0.4);
      const roll = random();
      if (roll < 0.1) return invalid(tenant);
      if (roll < 0.18) return unknown(tenant);
      if (roll < 0.28) return list(tenant, viaGraphQL);
      const hub = roll < 0.5 ? undefined : claimHub(tenant);
      if (hub === undefined) return create(tenant, viaGraphQL);
      try {
        if (roll < 0.67) await read(tenant, hub, viaGraphQL);
        else if (roll < 0.84) await update(tenant, hub, viaGraphQL);
        else if (roll < 0.96) await remove(tenant, hub, viaGraphQL);
        else await duplicate(tenant, hub, viaGraphQL);
      } finally {
        tenant.busy.delete(hub.hubId);
      }
    }

    let issued = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (issued < REQUESTS) {
          issued++;
          await one();
        }
      }),
    );
    const durationMs = performance.now() - started;

    // The books: per tenant, the total and the set of hubs are exactly what the answers said.
    for (const tenant of tenants) {
      const listed = new Map<string, HubModel>();
      let total = -1;
      for (let pageNumber = 0; ; pageNumber++) {
        const answer = await call('GET', `${HUBS}?pageNumber=${pageNumber}&pageSize=100`, tenant.token);
        if (!expectOutcome('final list', 'rest', answer, ['200'])) break;
        const page = answer.body as { total: number; results: HubModel[] };
        total = page.total;
        for (const hub of page.results) listed.set(hub.hubId, hub);
        if (page.results.length < 100) break;
      }
      if (total !== tenant.createdOk - tenant.deletedOk) {
        violations.push(`tenant ${tenant.index}: total ${total}, but ${tenant.createdOk} creates - ${tenant.deletedOk} deletes were answered 200`);
      }
      expectEqual(`tenant ${tenant.index}: the listed hubs`, [...listed.values()].sort((a, b) => a.hubId.localeCompare(b.hubId)), [...tenant.live.values()].sort((a, b) => a.hubId.localeCompare(b.hubId)));
      await Promise.all([
        ...[...tenant.live.values()].map(async (hub) => {
          const answer = await call('GET', `${HUBS}/${hub.hubId}`, tenant.token);
          if (expectOutcome('final get', 'rest', answer, ['200'])) expectEqual('final get', answer.body, hub);
        }),
        ...[...tenant.deleted].map(async (hubId) => expectOutcome('final get of a deleted hub', 'rest', await call('GET', `${HUBS}/${hubId}`, tenant.token), ['404/699'])),
      ]);
    }

    if (process.env.SOAK_STATS_FILE) {
      const stats = { seed: SEED, requests: issued, concurrency: CONCURRENCY, durationMs: Math.round(durationMs), requestsPerSecond: Math.round((issued / durationMs) * 1000), outcomes: Object.fromEntries([...outcomes].sort()) };
      writeFileSync(process.env.SOAK_STATS_FILE, `${JSON.stringify(stats, null, 2)}\n`);
    }
    const summary = { seed: SEED, serverErrors, violations: violations.length, first: violations.slice(0, 15) };
    expect(summary).toEqual({ seed: SEED, serverErrors: 0, violations: 0, first: [] });
    expect(issued).toBe(REQUESTS);
  },
  60_000,
);
