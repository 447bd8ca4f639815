import { connect } from 'node:net';
import { Client } from 'pg';
import { databaseUrl, newTenant, rest, startGateway, TEST_SECRET, tokenFor } from '../support/gateway';
import { cleanEnv, startMain, stopMain } from '../support/processes';
import { RawConnection, requestHead, responsesOf } from '../support/raw-http';
import { lockHub } from '../support/database';

describe('closing the gateway', () => {
  test('when a request arrives while in-flight work finishes, then it gets 503 / 112 with Connection: close, and the in-flight one completes', async () => {
    const gateway = await startGateway();
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const { hubId } = (await rest<{ hubId: string }>(gateway, 'POST', '/api/v1/hubs', { token, body: { name: 'Slow', description: 'x' } })).body;

    const locker = await lockHub(tenantId, hubId);

    const { port } = new URL(gateway.url);
    const socket = connect(Number(port), '127.0.0.1');
    let raw = '';
    socket.on('data', (chunk) => (raw += chunk.toString()));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    const body = JSON.stringify({ description: 'changed while closing' });
    socket.write(
      `PUT /api/v1/hubs/${hubId} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    const closed = gateway.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Same connection, arriving after the close began: refused, and told to go away.
    socket.write(`GET /api/v1/hubs HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await locker.release();
    await ended;
    await closed;

    const [inFlight, late] = responsesOf(raw);
    expect(inFlight?.status).toBe(200);
    expect(JSON.parse(inFlight!.body)).toMatchObject({ hubId, description: 'changed while closing' });
    expect(late?.status).toBe(503);
    expect(late?.head).toContain('connection: close');
    expect(late?.head).toContain('retry-after: 1');
    expect(JSON.parse(late!.body)).toMatchObject({ status: 503, errors: [{ code: 112 }] });
    expect(gateway.database.closed).toBe(true);
  });
});

describe('the order of a stop', () => {
  test('when a stop begins with SHUTDOWN_GRACE_MS, then readiness is 503 at once while requests are still served, and 503 / 112 after the grace', async () => {
    const gateway = await startGateway({ SHUTDOWN_GRACE_MS: '800' });
    const token = await tokenFor(newTenant());
    const closed = gateway.close();
    const ready = await fetch(`${gateway.url}/health/ready`, { headers: { connection: 'close' } });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'stopping' });
    expect((await rest(gateway, 'GET', '/api/v1/hubs', { token, headers: { connection: 'close' } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const late = await rest(gateway, 'GET', '/api/v1/hubs', { token, headers: { connection: 'close' } }).catch(() => undefined);
    // Past the grace the gateway refuses new work (or has already stopped listening).
    if (late !== undefined) expect(late).toMatchObject({ status: 503, body: { errors: [{ code: 112 }] } });
    await closed;
  });

  test('when a request in flight at the stop is answered, then its connection is not kept open, and the stop does not wait on it', async () => {
    const gateway = await startGateway();
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const { hubId } = (await rest<{ hubId: string }>(gateway, 'POST', '/api/v1/hubs', { token, body: { name: 'Kept', description: 'x' } })).body;
    const locker = await lockHub(tenantId, hubId);
    const connection = new RawConnection(gateway.url);
    const body = JSON.stringify({ description: 'in flight' });
    connection.write(requestHead('PUT', `/api/v1/hubs/${hubId}`, { authorization: `Bearer ${token}` }, Buffer.byteLength(body)) + body);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    const closed = gateway.close();
    await locker.release();
    // The client keeps its connection and sends nothing more, as an idle keep-alive client does.
    await closed;
    expect(performance.now() - started).toBeLessThan(3000);
    const [response] = connection.responses();
    expect(response?.status).toBe(200);
    expect(response?.head).toMatch(/keep-alive: timeout=0|connection: close/);
    connection.destroy();
  });
});

describe('SIGTERM under concurrent writes', () => {
  test('when the process is stopped while creates are in flight, then it exits 0 and every create answered 200 is stored', async () => {
    const started = await startMain(
      process.cwd(),
      cleanEnv({ DATABASE_URL: databaseUrl(), AUTH_JWT_SECRET: TEST_SECRET, PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_MAX: '1000000' }),
    );
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let stopping = false;
    let sequence = 0;

    const writer = async () => {
      while (!stopping) {
        try {
          const response = await fetch(started.restUrl, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name: `hub ${sequence++}`, description: 'soak' }),
          });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const body = (await response.json()) as { hubId?: string };
          if (response.status === 200 && body.hubId) acknowledged.push(body.hubId);
        } catch {
          // Refused connections once the server stopped listening: the gateway is gone.
          return;
        }
      }
    };
    const writers = Array.from({ length: 16 }, writer);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const exitCode = await stopMain(started);
    stopping = true;
    await Promise.all(writers);

    expect(exitCode).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(20);
    expect([...statuses.keys()].every((status) => status === 200 || status === 503)).toBe(true);
    const client = new Client({ connectionString: databaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<{ hub_id: string }>('SELECT hub_id FROM hubs WHERE tenant_id = $1', [tenantId]);
      const stored = new Set(rows.map((row) => row.hub_id));
      expect(acknowledged.filter((hubId) => !stored.has(hubId))).toEqual([]);
    } finally {
      await client.end();
    }
  }, 30_000);
});
