import { Client } from 'pg';
import { migrateDatabase } from '../../src/db/migrations';
import { holdLock } from '../support/database';
import { graphql, newTenant, rest, startGateway, tokenFor, type TestGateway } from '../support/gateway';
import { sleep } from '../support/raw-http';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database';

/**
 * No tenant can starve the others (CONTRACT.md section 5): a tenant holds at most half of the pool,
 * one GraphQL operation resolves its root fields through a bounded number of connections, and a
 * busy pool is not a database outage. On a database of this file's own, whose tables it may lock.
 */
const POOL_SIZE = 6;
const TENANT_SHARE = POOL_SIZE / 2;
const CONNECTIONS_PER_OPERATION = 2;

let scratch: ScratchDatabase;
let gateway: TestGateway;
let admin: Client;

beforeAll(async () => {
  scratch = await createScratchDatabase('hubs_fairness');
  await migrateDatabase(scratch.url);
  gateway = await startGateway({ DATABASE_URL: scratch.url, DATABASE_POOL_SIZE: String(POOL_SIZE), RATE_LIMIT_MAX: '100000' });
  admin = new Client({ connectionString: scratch.url });
  await admin.connect();
}, 30_000);
afterAll(async () => {
  await admin?.end();
  await gateway?.close();
  await scratch?.drop();
});

/** Statements of the gateway waiting for a lock right now. */
async function gatewayStatementsWaiting(): Promise<number> {
  const { rows } = await admin.query<{ count: string }>(
    `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'hubs-gateway' AND wait_event_type = 'Lock'`,
  );
  return Number(rows[0]!.count);
}

/** Polls until the count of waiting statements stays put, then answers it. */
async function settledWaitingCount(): Promise<number> {
  let last = -1;
  for (let round = 0; round < 20; round++) {
    await sleep(100);
    const now = await gatewayStatementsWaiting();
    if (now === last && now > 0) return now;
    last = now;
  }
  return last;
}

async function createHubs(token: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const created = await rest<{ hubId: string }>(gateway, 'POST', '/api/v1/hubs', { token, body: { name: `Hub ${index}`, description: '' } });
    ids.push(created.body.hubId);
  }
  return ids;
}

const holding = (statement: string, values: unknown[] = []) => holdLock(statement, values, scratch.url);

test('when one GraphQL operation has many root fields that must wait, then at most two of them hold a connection', async () => {
  const token = await tokenFor(newTenant());
  await createHubs(token, 1);
  const lock = await holding('LOCK TABLE hubs IN ACCESS EXCLUSIVE MODE');
  let answer: Promise<unknown> | undefined;
  try {
    // Pages, not hub lookups: lookups of one operation are batched into one statement.
    const fields = Array.from({ length: 8 }, (_, index) => `a${index}: hubs(pageSize: 1) { results { name } }`).join(' ');
    answer = graphql(gateway, `{ ${fields} }`, { token });
    expect(await settledWaitingCount()).toBe(CONNECTIONS_PER_OPERATION);
  } finally {
    await lock.release();
  }
  expect(await answer).toMatchObject({ status: 200, body: { data: { a0: { results: [{ name: 'Hub 0' }] }, a7: { results: [{ name: 'Hub 0' }] } } } });
});

test('when one tenant sends more work than half the pool, then only half the pool works for it, and another tenant is served at once', async () => {
  const busy = await tokenFor(newTenant());
  const other = await tokenFor(newTenant());
  const busyHubs = await createHubs(busy, POOL_SIZE);
  const [otherHub] = await createHubs(other, 1);
  const lock = await holding(`SELECT 1 FROM hubs WHERE hub_id = ANY($1) FOR UPDATE`, [busyHubs]);
  let writes: Promise<{ status: number }>[];
  try {
    writes = busyHubs.map((hubId) => rest(gateway, 'PUT', `/api/v1/hubs/${hubId}`, { token: busy, body: { description: 'finally' } }));
    expect(await settledWaitingCount()).toBe(TENANT_SHARE);
    const started = performance.now();
    const served = await rest(gateway, 'GET', `/api/v1/hubs/${otherHub}`, { token: other });
    expect(served.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await rest(gateway, 'GET', '/health/ready')).toMatchObject({ status: 200, body: { database: 'up' } });
  } finally {
    await lock.release();
  }
  // The tenant's other writes waited for its own share, not for the database: they all apply.
  expect((await Promise.all(writes)).map((write) => write.status)).toEqual(busyHubs.map(() => 200));
});

test('when every connection of the pool is busy, then /health/ready still says the database is up', async () => {
  const tenants = await Promise.all([0, 1].map(() => tokenFor(newTenant())));
  const hubs = (await Promise.all(tenants.map((token) => createHubs(token, TENANT_SHARE)))).flat();
  const lock = await holding(`SELECT 1 FROM hubs WHERE hub_id = ANY($1) FOR UPDATE`, [hubs]);
  const writes = hubs.map((hubId, index) =>
    rest(gateway, 'PUT', `/api/v1/hubs/${hubId}`, { token: tenants[Math.floor(index / TENANT_SHARE)], body: { description: 'x' } }),
  );
  try {
    expect(await settledWaitingCount()).toBe(POOL_SIZE);
    const started = performance.now();
    expect(await rest(gateway, 'GET', '/health/ready')).toMatchObject({ status: 200, body: { status: 'ok', database: 'up' } });
    expect(performance.now() - started).toBeLessThan(1000);
  } finally {
    await lock.release();
    await Promise.all(writes);
  }
});
