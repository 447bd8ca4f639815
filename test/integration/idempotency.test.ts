import { Client } from 'pg';
import { hubNameKey } from '../../src/hubs/hub.rules';
import { IdempotencyRepository } from '../../src/idempotency/idempotency.repository';
import { testBudget } from '../support/database';
import { databaseUrl, gatewayWithTenant, graphql, newTenant, rest, tokenFor } from '../support/gateway';

const HUBS = '/api/v1/hubs';
const BODY = { name: 'Once', description: 'created once', closeDormantConversation: 30, statusId: 2000 };
type Hub = typeof BODY & { hubId: string; tenantId: string };

const suite = gatewayWithTenant();
let key: string;

beforeEach(() => {
  key = `key-${suite.tenantId}`;
});

const post = (body: unknown, options: { key?: string; as?: string } = {}) =>
  rest<Hub>(suite.gateway, 'POST', HUBS, { token: options.as ?? suite.token, body, headers: { 'idempotency-key': options.key ?? key } });

const total = async (as = suite.token) => (await rest<{ total: number }>(suite.gateway, 'GET', HUBS, { token: as })).body.total;

async function query(text: string, values: unknown[]) {
  const client = new Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

const sql = async (text: string, values: unknown[]): Promise<void> => void (await query(text, values));

describe('POST /api/v1/hubs with an Idempotency-Key', () => {
  test('when the same key and body are sent again, then the first answer comes back and no second hub is made', async () => {
    const first = await post(BODY);
    expect(first.status).toBe(200);
    const again = await post(BODY);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(await total()).toBe(1);
  });

  test('when the retry differs only in what the rules normalise, then it is the same create', async () => {
    const first = await post(BODY);
    const again = await post({ ...BODY, name: `  ${BODY.name} `, unknown: true });
    expect(again.body).toEqual(first.body);
  });

  test('when the hub changed since, then the retry still gets the first answer', async () => {
    const first = await post(BODY);
    await rest(suite.gateway, 'PUT', `${HUBS}/${first.body.hubId}`, { token: suite.token, body: { description: 'changed' } });
    expect((await post(BODY)).body).toEqual(first.body);
  });

  test('when the same key comes with another body, then 422 with code 114 and nothing is created', async () => {
    await post(BODY);
    const other = await post({ ...BODY, description: 'something else' });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ status: 422, errors: [{ code: 114 }] });
    expect(await total()).toBe(1);
  });

  test('when the first create is still running, then a retry gets 409 with code 115, and the first then succeeds', async () => {
    // An uncommitted hub of the same name makes the gateway's INSERT wait on the unique index.
    const blocker = new Client({ connectionString: databaseUrl() });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO hubs (tenant_id, hub_id, name, name_key, description) VALUES ($1, gen_random_uuid(), $2, $3, 'blocker')`,
      [suite.tenantId, BODY.name, hubNameKey(BODY.name)],
    );
    try {
      const first = post(BODY);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const retry = await post(BODY);
      expect(retry.status).toBe(409);
      expect(retry.body).toMatchObject({ status: 409, errors: [{ code: 115 }] });
      expect(retry.headers.get('retry-after')).toBe('1');
      await blocker.query('ROLLBACK');
      expect((await first).status).toBe(200);
      expect((await post(BODY)).status).toBe(200);
      expect(await total()).toBe(1);
    } finally {
      await blocker.end();
    }
  });

  test('when the first answer was "name taken", then a retry gets it again even after the name is free', async () => {
    const existing = await rest<Hub>(suite.gateway, 'POST', HUBS, { token: suite.token, body: BODY });
    const first = await post(BODY);
    expect(first.status).toBe(400);
    await rest(suite.gateway, 'DELETE', `${HUBS}/${existing.body.hubId}`, { token: suite.token });
    const again = await post(BODY);
    expect(again.status).toBe(400);
    expect(again.text).toBe(first.text);
    expect(await total()).toBe(0);
  });

  test('when the first body was invalid, then the key was not used up', async () => {
    expect((await post({ name: 'x' })).status).toBe(400);
    expect((await post(BODY)).status).toBe(200);
  });

  test('when another tenant uses the same key, then the keys never meet', async () => {
    await post(BODY);
    const otherToken = await tokenFor(newTenant());
    const other = await post({ ...BODY, description: 'theirs' }, { as: otherToken });
    expect(other.status).toBe(200);
    expect(other.body.description).toBe('theirs');
  });

  test('when the key has expired (24 h), then it starts afresh', async () => {
    await post(BODY);
    await sql(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE tenant_id = $1`, [suite.tenantId]);
    const fresh = await post({ ...BODY, name: 'Second' });
    expect(fresh.status).toBe(200);
    expect(await total()).toBe(2);
  });

  test('when expired keys are purged, then they are deleted and fresh ones kept', async () => {
    await post(BODY);
    await post({ ...BODY, name: 'Kept' }, { key: `${key}-kept` });
    await sql(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND key = $2`, [suite.tenantId, key]);
    const work = { tenantId: suite.tenantId, ...testBudget() };
    expect(await new IdempotencyRepository(suite.gateway.database, { timeoutMs: 1000 }).purgeExpired(work)).toBeGreaterThanOrEqual(1);
    const { rows } = await query(`SELECT key FROM idempotency_keys WHERE tenant_id = $1`, [suite.tenantId]);
    expect(rows).toEqual([{ key: `${key}-kept` }]);
  });

  test('when a first request died without an answer, then its stale claim is taken over', async () => {
    await sql(
      `INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at, expires_at)
       VALUES ($1, $2, repeat('0', 64), now() - interval '1 hour', now() + interval '23 hours')`,
      [suite.tenantId, key],
    );
    expect((await post(BODY)).status).toBe(200);
  });

  test.each([
    ['empty', ''],
    ['256 characters long', 'k'.repeat(256)],
  ])('when the key is %s, then 400 with code 207', async (_case, badKey) => {
    const result = await post(BODY, { key: badKey });
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ errors: [{ code: 207, description: expect.stringContaining('Idempotency-Key') }] });
  });

  test('when 10 retries race with one key, then exactly one hub exists and every 200 carries it', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => post(BODY)));
    const created = results.filter((result) => result.status === 200);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((result) => result.body.hubId)).size).toBe(1);
    expect(results.every((result) => result.status === 200 || result.status === 409)).toBe(true);
    expect(await total()).toBe(1);
  });
});

describe('createHub with an Idempotency-Key header', () => {
  const CREATE = 'mutation($input: CreateHubInput!) { createHub(input: $input) { hubId name } }';
  const create = (input: Record<string, unknown>) =>
    graphql<{ createHub: { hubId: string } }>(suite.gateway, CREATE, { token: suite.token, variables: { input }, headers: { 'idempotency-key': key } });

  test('when the same mutation is retried, then it answers the same hub and creates one', async () => {
    const first = await create({ name: 'GraphQL once', description: 'x' });
    const again = await create({ name: 'GraphQL once', description: 'x' });
    expect(again.body).toEqual(first.body);
    expect(await total()).toBe(1);
  });

  test('when the key is reused with another input, then IDEMPOTENCY_KEY_REUSED with PRT000114', async () => {
    await create({ name: 'GraphQL once', description: 'x' });
    const other = await create({ name: 'GraphQL once', description: 'y' });
    expect(other.body.errors?.[0]?.extensions).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED', errorCode: 'PRT000114' });
  });

  test('when REST and GraphQL create the same hub under one key, then it is one create', async () => {
    const viaRest = await post({ name: 'Both', description: 'x', statusId: 2002 });
    const viaGraphQL = await create({ name: 'Both', description: 'x', status: 'PAUSED' });
    expect(viaGraphQL.body.data?.createHub.hubId).toBe(viaRest.body.hubId);
  });
});
