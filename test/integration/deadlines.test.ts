import { Client } from 'pg';
import { databaseUrl, graphql, newTenant, rest, startGateway, tokenFor, type TestGateway } from '../support/gateway';

/** Holds a row lock on a hub from outside the gateway, so that writes to it must wait. */
async function lockHub(tenantId: string, hubId: string): Promise<Client> {
  const locker = new Client({ connectionString: databaseUrl() });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('SELECT 1 FROM hubs WHERE tenant_id = $1 AND hub_id = $2 FOR UPDATE', [tenantId, hubId]);
  return locker;
}

async function release(locker: Client): Promise<void> {
  await locker.query('ROLLBACK');
  await locker.end();
}

/** Gateway statements still waiting for a lock (they should have been cancelled with the request). */
async function waitingGatewayStatements(): Promise<number> {
  const client = new Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>(
      `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hubs-gateway' AND wait_event_type = 'Lock'`,
    );
    return Number(rows[0]!.count);
  } finally {
    await client.end();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

describe('request deadlines (REQUEST_TIMEOUT_MS = 800)', () => {
  let gateway: TestGateway;
  let tenantId: string;
  let token: string;
  let hubId: string;

  beforeAll(async () => {
    gateway = await startGateway({ REQUEST_TIMEOUT_MS: '800' });
  });
  afterAll(() => gateway.close());
  beforeEach(async () => {
    tenantId = newTenant();
    token = await tokenFor(tenantId);
    hubId = (await rest<{ hubId: string }>(gateway, 'POST', '/api/v1/hubs', { token, body: { name: 'Locked', description: 'before' } })).body.hubId;
  });

  test('when a REST write waits past the deadline, then 408 with code 108 near the deadline, and PostgreSQL cancels the write', async () => {
    const locker = await lockHub(tenantId, hubId);
    try {
      const [result, elapsed] = await timed(() => rest(gateway, 'PUT', `/api/v1/hubs/${hubId}`, { token, body: { description: 'after' } }));
      expect(result.status).toBe(408);
      expect(result.body).toEqual({ status: 408, errors: [{ code: 108, description: expect.stringContaining('(code: PRT000108)') }] });
      expect(elapsed).toBeGreaterThan(700);
      expect(elapsed).toBeLessThan(2500);
      // lock_timeout equals the deadline: the UPDATE is no longer waiting behind the lock.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await waitingGatewayStatements()).toBe(0);
    } finally {
      await release(locker);
    }
    // Released now: had the UPDATE still been queued, it would have applied.
    const after = await rest(gateway, 'GET', `/api/v1/hubs/${hubId}`, { token });
    expect(after.body).toMatchObject({ description: 'before' });
  });

  test('when a GraphQL mutation waits past the deadline, then HTTP 408 with TIMEOUT and PRT000108', async () => {
    const locker = await lockHub(tenantId, hubId);
    try {
      const result = await graphql(gateway, `mutation { updateHub(hubId: "${hubId}", input: { description: "after" }) { hubId } }`, { token });
      expect(result.status).toBe(408);
      expect(result.body.errors?.[0]?.extensions).toEqual({ code: 'TIMEOUT', errorCode: 'PRT000108' });
    } finally {
      await release(locker);
    }
  });

  test('when requests finish in time, then the deadline changes nothing', async () => {
    const result = await rest(gateway, 'PUT', `/api/v1/hubs/${hubId}`, { token, body: { description: 'quick' } });
    expect(result).toMatchObject({ status: 200, body: { description: 'quick' } });
  });
});

describe('waiting for a database connection', () => {
  test('when every pooled connection stays busy, then a request gets 503 with code 112 after the connect timeout, not at the deadline', async () => {
    const gateway = await startGateway({ DATABASE_POOL_SIZE: '1', REQUEST_TIMEOUT_MS: '8000' });
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const { hubId } = (await rest<{ hubId: string }>(gateway, 'POST', '/api/v1/hubs', { token, body: { name: 'Pool', description: 'x' } })).body;
    const locker = await lockHub(tenantId, hubId);
    try {
      // Holds the only pooled connection while it waits for the lock.
      const blocked = rest(gateway, 'PUT', `/api/v1/hubs/${hubId}`, { token, body: { description: 'y' } });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [starved, elapsed] = await timed(() => rest(gateway, 'GET', '/api/v1/hubs', { token }));
      expect(starved.status).toBe(503);
      expect(starved.body).toMatchObject({ status: 503, errors: [{ code: 112 }] });
      expect(starved.headers.get('retry-after')).toBe('2');
      expect(elapsed).toBeGreaterThan(1500);
      expect(elapsed).toBeLessThan(4000);
      await release(locker);
      expect((await blocked).status).toBe(200);
    } finally {
      await locker.end().catch(() => undefined);
      await gateway.close();
    }
  });
});
