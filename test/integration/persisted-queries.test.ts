import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { LogCapture, newTenant, startGateway, tokenFor, type TestGateway } from '../support/gateway';
import { startOwnRedis } from '../support/own-redis';
import { eventually } from '../support/subscriptions';

/**
 * Automatic persisted queries (CONTRACT.md section 4b), as Apollo Client's persisted query link
 * sends them: the hash alone first, the document with its hash when the gateway does not know it.
 */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Answer {
  readonly status: number;
  readonly body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/** One query with APQ's extension, by POST or GET, with or without its text. */
async function send(gateway: TestGateway, token: string, query: string, options: { withText: boolean; method?: 'GET' | 'POST' }): Promise<Answer> {
  const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
  const headers = { authorization: `Bearer ${token}` };
  const response =
    options.method === 'GET'
      ? await fetch(
          `${gateway.url}/graphql?${new URLSearchParams({ ...(options.withText ? { query } : {}), extensions: JSON.stringify(extensions) })}`,
          { headers },
        )
      : await fetch(`${gateway.url}/graphql`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ ...(options.withText ? { query } : {}), extensions }),
        });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const notFound = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND';

/** A document no other test has registered (APQ caches outlive a test; Redis outlives a run). */
const freshQuery = () => `query Unique_${randomName()} { hubs { total } }`;
const randomName = () => sha256(String(Math.random())).slice(0, 16);

describe('on one instance, without Redis', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  test.each(['POST', 'GET'] as const)('when a hash is sent by %s before and after its document, then it is unknown, registered, then run by hash alone', async (method) => {
    const token = await tokenFor(newTenant());
    const query = freshQuery();
    const first = await send(gateway, token, query, { withText: false, method });
    expect(notFound(first)).toBe(true);
    expect(await send(gateway, token, query, { withText: true, method })).toEqual({ status: 200, body: { data: { hubs: { total: 0 } } } });
    expect(await send(gateway, token, query, { withText: false, method })).toEqual({ status: 200, body: { data: { hubs: { total: 0 } } } });
  });
});

describe('across instances sharing Redis (REDIS_URL)', () => {
  test('when a document is registered through one instance, then the other runs it by hash, and Redis keeps it under the prefix with a TTL', async () => {
    const [first, second] = [await startGateway({ REDIS_URL: 'redis://127.0.0.1:6379' }), await startGateway({ REDIS_URL: 'redis://127.0.0.1:6379' })];
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      const token = await tokenFor(newTenant());
      const query = freshQuery();
      expect(notFound(await send(second, token, query, { withText: false }))).toBe(true);
      expect((await send(first, token, query, { withText: true })).status).toBe(200);
      const key = `hubs-gateway:apq:${sha256(query)}`;
      // Apollo registers after answering; the write is on its way.
      await eventually(async () => (await redis.exists(key)) === 1, 1000);
      expect(await send(second, token, query, { withText: false })).toEqual({ status: 200, body: { data: { hubs: { total: 0 } } } });
      expect(await redis.get(key)).toBe(query);
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(24 * 3600 - 60);
      expect(ttl).toBeLessThanOrEqual(24 * 3600);
    } finally {
      redis.disconnect();
      await Promise.all([first.close(), second.close()]);
    }
  });

  test('when Redis stops, then a hash is unknown, the client registers again, and nothing fails', async () => {
    const own = await startOwnRedis();
    const logs = new LogCapture();
    const gateway = await startGateway({ REDIS_URL: own.url, LOG_LEVEL: 'warn' }, { logStream: logs });
    try {
      const token = await tokenFor(newTenant());
      const query = freshQuery();
      expect((await send(gateway, token, query, { withText: true })).status).toBe(200);
      await own.stop();
      const byHash = await send(gateway, token, query, { withText: false });
      expect(byHash.status).toBe(200);
      expect(notFound(byHash)).toBe(true);
      expect(await send(gateway, token, query, { withText: true })).toEqual({ status: 200, body: { data: { hubs: { total: 0 } } } });
      expect(logs.lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
    } finally {
      await gateway.close();
      await own.stop();
    }
  });

  test('when Redis cannot be reached from the start, then documents sent with their hash still run', async () => {
    const gateway = await startGateway({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const token = await tokenFor(newTenant());
      const query = freshQuery();
      expect(notFound(await send(gateway, token, query, { withText: false }))).toBe(true);
      expect(await send(gateway, token, query, { withText: true })).toEqual({ status: 200, body: { data: { hubs: { total: 0 } } } });
    } finally {
      await gateway.close();
    }
  });
});
