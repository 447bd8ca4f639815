import { graphql, newTenant, rest, startGateway, tokenFor, type TestGateway } from '../support/gateway';

const HUBS = '/api/v1/hubs';

async function withGateways(env: Record<string, string>, count: number, work: (gateways: TestGateway[]) => Promise<void>) {
  const gateways = await Promise.all(Array.from({ length: count }, () => startGateway(env)));
  try {
    await work(gateways);
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.close()));
  }
}

describe('rate limits in memory (RATE_LIMIT_MAX = 3 per minute)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
  });
  afterAll(() => gateway.close());

  test('when a tenant sends its 4th request, then 429 with code 111, Retry-After and the RateLimit headers', async () => {
    const token = await tokenFor(newTenant());
    const remaining = [];
    for (let i = 0; i < 3; i++) {
      const ok = await rest(gateway, 'GET', HUBS, { token });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-limit')).toBe('3');
      remaining.push(ok.headers.get('ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const refused = await rest(gateway, 'GET', HUBS, { token });
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ status: 429, errors: [{ code: 111, description: expect.stringContaining('(code: PRT000111)') }] });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
  });

  test('when REST and GraphQL are mixed, then they share one budget and GraphQL answers HTTP 429 RATE_LIMITED', async () => {
    const token = await tokenFor(newTenant());
    expect((await rest(gateway, 'GET', HUBS, { token })).status).toBe(200);
    expect((await graphql(gateway, '{ hubs { total } }', { token })).status).toBe(200);
    expect((await rest(gateway, 'POST', HUBS, { token, body: { name: 'n', description: 'd' } })).status).toBe(200);
    const refused = await graphql(gateway, '{ hubs { total } }', { token });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', errorCode: 'PRT000111' });
    expect(refused.headers.get('retry-after')).not.toBeNull();
  });

  test('when one tenant is limited, then another tenant is not', async () => {
    const busy = await tokenFor(newTenant());
    for (let i = 0; i < 4; i++) await rest(gateway, 'GET', HUBS, { token: busy });
    expect((await rest(gateway, 'GET', HUBS, { token: busy })).status).toBe(429);
    expect((await rest(gateway, 'GET', HUBS, { token: await tokenFor(newTenant()) })).status).toBe(200);
  });

  test('when the health routes are polled, then they are never limited', async () => {
    const statuses = await Promise.all(Array.from({ length: 8 }, () => fetch(`${gateway.url}/health/live`).then((r) => r.status)));
    expect(statuses).toEqual(Array(8).fill(200));
  });
});

describe('rate limits without a usable token', () => {
  test('when unauthenticated requests keep coming from one IP, then they are limited per IP (429 instead of 401)', async () => {
    await withGateways({ RATE_LIMIT_MAX: '2' }, 1, async ([gateway]) => {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await rest(gateway!, 'GET', HUBS, { headers: { authorization: 'Bearer forged.token.x' } })).status);
      expect(statuses).toEqual([401, 401, 429]);
    });
  });
});

describe('the window', () => {
  test('when the window has passed, then the tenant may send again', async () => {
    await withGateways({ RATE_LIMIT_MAX: '1', RATE_LIMIT_WINDOW_MS: '700' }, 1, async ([gateway]) => {
      const token = await tokenFor(newTenant());
      expect((await rest(gateway!, 'GET', HUBS, { token })).status).toBe(200);
      expect((await rest(gateway!, 'GET', HUBS, { token })).status).toBe(429);
      await new Promise((resolve) => setTimeout(resolve, 900));
      expect((await rest(gateway!, 'GET', HUBS, { token })).status).toBe(200);
    });
  });
});

describe('rate limits in Redis (REDIS_URL)', () => {
  test('when two instances share Redis, then a tenant has one budget across both', async () => {
    await withGateways({ REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_MAX: '4' }, 2, async ([first, second]) => {
      const token = await tokenFor(newTenant());
      const statuses = [];
      for (const gateway of [first, second, first, second, first, second]) {
        statuses.push((await rest(gateway!, 'GET', HUBS, { token })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    });
  });

  test('when Redis cannot be reached, then requests are served rather than failed', async () => {
    await withGateways({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_MAX: '1' }, 1, async ([gateway]) => {
      const token = await tokenFor(newTenant());
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await rest(gateway!, 'GET', HUBS, { token })).status);
      expect(statuses).toEqual([200, 200, 200]);
    });
  });
});
