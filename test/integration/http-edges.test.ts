import Redis from 'ioredis';
import { LogCapture, newTenant, rest, startGateway, tokenFor, type TestGateway } from '../support/gateway';
import { RawConnection, sleep } from '../support/raw-http';

/**
 * What HTTP clients meet at the edges (CONTRACT.md section 3: every error in Hubster's body;
 * section 5): requests the parser cannot read, browser headers, and what sits around the limits.
 */
let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway.close());

async function rawExchange(text: string): Promise<{ status?: number; head?: string; body?: unknown }> {
  const connection = new RawConnection(gateway.url);
  connection.write(text);
  await connection.closedWithin(3000);
  connection.destroy();
  const [response] = connection.responses();
  return { status: response?.status, head: response?.head, body: response?.body ? JSON.parse(response.body) : undefined };
}

describe('requests the HTTP parser cannot read get Hubster\'s body, status equal to the HTTP status', () => {
  test('when a header line is malformed, then 400 with code 300 and the connection closed', async () => {
    const answer = await rawExchange('GET /api/v1/hubs HTTP/1.1\r\nHost: gateway\r\nThis is not a header\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.head).toContain('connection: close');
    expect(answer.body).toEqual({ status: 400, errors: [{ code: 300, description: 'The request cannot be read as HTTP. (code: PRT000300)' }] });
  });

  test('when the headers are over 16 KiB, then 431 with code 300', async () => {
    const answer = await rawExchange(`GET /api/v1/hubs HTTP/1.1\r\nHost: gateway\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect(answer.body).toEqual({ status: 431, errors: [{ code: 300, description: 'The request headers are larger than 16 KiB. (code: PRT000300)' }] });
  });

  test('when OPTIONS * asks about the server as a whole, then 204 and no framework body', async () => {
    const answer = await rawExchange('OPTIONS * HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n');
    expect(answer.status).toBe(204);
    expect(answer.body).toBeUndefined();
  });
});

describe('headers of API answers', () => {
  test('when REST, GraphQL or health answer, then they are never sniffed nor cached', async () => {
    const token = await tokenFor(newTenant());
    const answers = [
      await fetch(`${gateway.url}/api/v1/hubs`, { headers: { authorization: `Bearer ${token}` } }),
      await fetch(`${gateway.url}/api/v1/hubs/not-a-guid`, { headers: { authorization: `Bearer ${token}` } }),
      await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ hubs { total } }"}' }),
      await fetch(`${gateway.url}/health/ready`),
    ];
    for (const answer of answers) {
      expect([answer.status, answer.headers.get('x-content-type-options'), answer.headers.get('cache-control')]).toEqual([answer.status, 'nosniff', 'no-store']);
    }
  });

  test('when a browser script reads the rate-limit headers, then CORS exposes the ones actually sent', async () => {
    const token = await tokenFor(newTenant());
    const answer = await fetch(`${gateway.url}/api/v1/hubs`, { headers: { authorization: `Bearer ${token}`, origin: 'https://app.example.com' } });
    const exposed = (answer.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/,\s*/);
    const sent = [...answer.headers.keys()].filter((name) => name.startsWith('ratelimit'));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((name) => !exposed.includes(name))).toEqual([]);
    expect(exposed).toContain('x-request-id');
  });
});

describe('rate-limit counters in Redis', () => {
  test('when requests are counted in Redis, then the keys read hubs-gateway:rate:tenant:<id>', async () => {
    const shared = await startGateway({ REDIS_URL: 'redis://127.0.0.1:6379' });
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      const tenantId = newTenant();
      expect((await rest(shared, 'GET', '/api/v1/hubs', { token: await tokenFor(tenantId) })).status).toBe(200);
      expect(await redis.keys(`*${tenantId}*`)).toEqual([`hubs-gateway:rate:tenant:${tenantId}`]);
    } finally {
      redis.disconnect();
      await shared.close();
    }
  });

  test('when Redis is down for a while, then the gateway warns once, not at every reconnect attempt', async () => {
    const logs = new LogCapture();
    const lonely = await startGateway({ REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'warn' }, { logStream: logs });
    try {
      await sleep(3000);
      expect(logs.lines.filter((line) => String(line.msg).startsWith('Redis unavailable'))).toHaveLength(1);
    } finally {
      await lonely.close();
    }
  });
});

describe('TRUST_PROXY', () => {
  const anonymous = (target: TestGateway, forwardedFor: string) =>
    rest(target, 'GET', '/api/v1/hubs', { headers: { 'x-forwarded-for': forwardedFor } }).then((answer) => answer.status);

  test('when it is off (the default), then X-Forwarded-For is ignored: one client address, one budget', async () => {
    const direct = await startGateway({ RATE_LIMIT_MAX: '1' });
    try {
      expect([await anonymous(direct, '198.51.100.1'), await anonymous(direct, '198.51.100.2')]).toEqual([401, 429]);
    } finally {
      await direct.close();
    }
  });

  test('when it trusts the balancer in front, then each forwarded client has a budget of its own', async () => {
    const behind = await startGateway({ RATE_LIMIT_MAX: '1', TRUST_PROXY: '127.0.0.1' });
    try {
      expect([await anonymous(behind, '198.51.100.1'), await anonymous(behind, '198.51.100.2'), await anonymous(behind, '198.51.100.1')]).toEqual([401, 401, 429]);
    } finally {
      await behind.close();
    }
  });
});
