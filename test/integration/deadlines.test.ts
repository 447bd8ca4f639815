import { Client } from 'pg';
import { hubNameKey } from '../../src/hubs/hub.rules';
import { holdLock, lockHub } from '../support/database';
import { databaseUrl, graphql, newTenant, rest, startGateway, tokenFor, type TestGateway } from '../support/gateway';
import { RawConnection, requestHead, sleep } from '../support/raw-http';


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
      await locker.release();
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
      await locker.release();
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
      await locker.release();
      expect((await blocked).status).toBe(200);
    } finally {
      await locker.release().catch(() => undefined);
      await gateway.close();
    }
  });
});

/**
 * The deadline counts from arrival and covers the upload (CONTRACT.md section 5): a statement that
 * starts late gets only what is left, and a request answered 408 has changed nothing.
 */
describe('a deadline that passes while the database works (REQUEST_TIMEOUT_MS = 1000)', () => {
  const TIMEOUT_MS = 1000;
  /** The body arrives this late, so the statement starts with little of the deadline left. */
  const BODY_DELAY_MS = 600;
  /** The outside lock is released after the deadline, but before the statement's own timeout would have run out. */
  const RELEASE_AFTER_MS = 1400;
  let gateway: TestGateway;
  let tenantId: string;
  let token: string;

  beforeAll(async () => {
    gateway = await startGateway({ REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) });
  });
  afterAll(() => gateway.close());
  beforeEach(async () => {
    tenantId = newTenant();
    token = await tokenFor(tenantId);
  });

  /** Sends the request head now and its body `BODY_DELAY_MS` later; resolves with the raw connection once the server closed it or answered. */
  async function lateBody(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawConnection> {
    const text = JSON.stringify(body);
    const connection = new RawConnection(gateway.url);
    connection.write(requestHead(method, path, { authorization: `Bearer ${token}`, ...headers }, Buffer.byteLength(text)));
    await sleep(BODY_DELAY_MS);
    connection.write(text);
    return connection;
  }

  async function answered(connection: RawConnection): Promise<number | undefined> {
    for (let waited = 0; waited < 5000 && connection.responses().length === 0; waited += 20) await sleep(20);
    return connection.responses()[0]?.status;
  }

  test('when a PUT whose body came late waits on a lock past the deadline, then it is answered 408 and never applied', async () => {
    const { hubId } = (await rest<{ hubId: string }>(gateway, 'POST', '/api/v1/hubs', { token, body: { name: 'Late', description: 'before' } })).body;
    const locker = await lockHub(tenantId, hubId);
    const started = performance.now();
    try {
      const connection = await lateBody('PUT', `/api/v1/hubs/${hubId}`, { description: 'after' });
      expect(await answered(connection)).toBe(408);
      connection.destroy();
      await sleep(Math.max(0, RELEASE_AFTER_MS - (performance.now() - started)));
    } finally {
      await locker.release();
    }
    await sleep(200);
    expect((await rest(gateway, 'GET', `/api/v1/hubs/${hubId}`, { token })).body).toMatchObject({ description: 'before' });
  });

  test.each([
    ['without an Idempotency-Key', {}],
    ['with an Idempotency-Key (a transaction)', { 'idempotency-key': 'late-create' }],
  ])('when a POST (%s) waits past the deadline on an uncommitted hub of the same name, then it is answered 408 and creates nothing', async (_case, headers) => {
    const rival = await holdLock(`INSERT INTO hubs (tenant_id, hub_id, name, name_key, description) VALUES ($1, gen_random_uuid(), 'Race', $2, '')`, [
      tenantId,
      hubNameKey('Race'),
    ]);
    const started = performance.now();
    try {
      const connection = await lateBody('POST', '/api/v1/hubs', { name: 'Race', description: 'mine' }, headers);
      expect(await answered(connection)).toBe(408);
      connection.destroy();
      await sleep(Math.max(0, RELEASE_AFTER_MS - (performance.now() - started)));
    } finally {
      // The rival gives up: had the gateway's INSERT still been waiting, it would now go through.
      await rival.release();
    }
    await sleep(200);
    expect((await rest(gateway, 'GET', '/api/v1/hubs', { token })).body).toMatchObject({ total: 0 });
  });

  test('when an idempotent create was answered 408, then its key is free again and a retry creates the hub', async () => {
    const { hubId } = (await rest<{ hubId: string }>(gateway, 'POST', '/api/v1/hubs', { token, body: { name: 'Blocker', description: '' } })).body;
    // The create's transaction must wait for this lock on the tenant's only other hub name.
    const rival = await holdLock('UPDATE hubs SET name = $3, name_key = $4 WHERE tenant_id = $1 AND hub_id = $2', [tenantId, hubId, 'Retry', hubNameKey('Retry')]);
    try {
      const first = await rest(gateway, 'POST', '/api/v1/hubs', { token, headers: { 'idempotency-key': 'retry-me' }, body: { name: 'Retry', description: '' } });
      expect(first.status).toBe(408);
    } finally {
      await rival.release();
    }
    const retry = await rest(gateway, 'POST', '/api/v1/hubs', { token, headers: { 'idempotency-key': 'retry-me' }, body: { name: 'Retry', description: '' } });
    expect(retry).toMatchObject({ status: 200, body: { name: 'Retry' } });
  });
});

describe('slow uploads (REQUEST_TIMEOUT_MS = 1000)', () => {
  let gateway: TestGateway;
  let token: string;

  beforeAll(async () => {
    gateway = await startGateway({ REQUEST_TIMEOUT_MS: '1000' });
    token = await tokenFor(newTenant());
  });
  afterAll(() => gateway.close());

  test('when a body drips one byte at a time past the deadline, then 408 in Hubster\'s shape near the deadline, and the connection is closed', async () => {
    const body = JSON.stringify({ name: 'Drip', description: 'x'.repeat(100) });
    const connection = new RawConnection(gateway.url);
    connection.write(requestHead('POST', '/api/v1/hubs', { authorization: `Bearer ${token}` }, Buffer.byteLength(body)));
    void connection.drip(body, 100);
    expect(await connection.closedWithin(4000)).toBe(true);
    const [response] = connection.responses();
    expect(response?.status).toBe(408);
    expect(response?.head).toContain('connection: close');
    expect(JSON.parse(response!.body)).toEqual({ status: 408, errors: [{ code: 108, description: expect.stringContaining('PRT000108') }] });
    expect(connection.closedAfterMs).toBeGreaterThan(900);
    expect(connection.closedAfterMs).toBeLessThan(3000);
    expect((await rest(gateway, 'GET', '/api/v1/hubs', { token })).body).toMatchObject({ total: 0 });
  });

  test('when a GraphQL body drips past the deadline, then 408 in GraphQL\'s shape, and the connection is closed', async () => {
    const body = JSON.stringify({ query: '{ hubs { total } }' });
    const connection = new RawConnection(gateway.url);
    connection.write(requestHead('POST', '/graphql', { authorization: `Bearer ${token}` }, Buffer.byteLength(body)));
    void connection.drip(body, 100);
    expect(await connection.closedWithin(4000)).toBe(true);
    const [response] = connection.responses();
    expect(response?.status).toBe(408);
    expect(JSON.parse(response!.body)).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'TIMEOUT', errorCode: 'PRT000108' } })] });
  });

  test('when a request without a token keeps dripping its body after the 401, then the connection is closed instead of read on', async () => {
    const body = JSON.stringify({ name: 'Nobody', description: 'x'.repeat(200) });
    const connection = new RawConnection(gateway.url);
    connection.write(requestHead('POST', '/api/v1/hubs', {}, Buffer.byteLength(body)));
    void connection.drip(body, 50);
    expect(await connection.closedWithin(1500)).toBe(true);
    expect(connection.responses().map((response) => response.status)).toEqual([401]);
  });

  test('when a client stalls in the middle of its headers, then 408 in Hubster\'s shape and the connection is closed', async () => {
    const connection = new RawConnection(gateway.url);
    connection.write('GET /api/v1/hubs HTTP/1.1\r\nHost: gateway\r\nAuthori');
    // The headers timeout is the deadline here (1 s); Node checks it once a second.
    expect(await connection.closedWithin(4000)).toBe(true);
    const [response] = connection.responses();
    expect(response?.status).toBe(408);
    expect(JSON.parse(response!.body)).toEqual({ status: 408, errors: [{ code: 108, description: expect.stringContaining('PRT000108') }] });
  });
});
