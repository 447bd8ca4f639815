import type Redis from 'ioredis';
import type * as IoRedisModule from 'ioredis';

/** The two log calls the connection makes; pino's logger (Fastify's `app.log`) is one. */
export interface RedisLog {
  warn(details: object, message: string): void;
  info(message: string): void;
}

/** How long the first connection may take before the gateway starts without it, and how long a command may take. */
const CONNECT_TIMEOUT_MS = 1000;
const COMMAND_TIMEOUT_MS = 1000;

/**
 * The one Redis connection of an instance (REDIS_URL), shared by the rate limit and the persisted
 * queries. Redis is a shared cache here, never a store of record: every user of it carries on
 * without it, so commands fail at once while it is away (no offline queue, one attempt) instead of
 * holding requests until it is back.
 */
export async function connectRedis(url: string, log: RedisLog): Promise<Redis> {
  // Loaded only with REDIS_URL: an instance without Redis does not carry the client's modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: RedisClient } = require('ioredis') as typeof IoRedisModule;
  const redis = new RedisClient(url, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
  });
  reportAvailability(redis, log);
  // Commands sent before the connection is up would fail (and count as a miss), so the first
  // requests of a fresh instance would go unlimited: wait for it, but never longer than a connect attempt.
  await readyOrTimeout(redis, CONNECT_TIMEOUT_MS);
  return redis;
}

/**
 * One warning when Redis goes away and one line when it is back: ioredis reports every failed
 * reconnect attempt, which would fill the log while Redis is down.
 */
function reportAvailability(redis: Redis, log: RedisLog): void {
  let down = false;
  redis.on('error', (error) => {
    if (down) return;
    down = true;
    log.warn({ err: error }, 'Redis unavailable; until it is back, requests are not rate-limited and persisted queries are registered again');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('Redis is back; rate limits and persisted queries are shared again');
  });
}

function readyOrTimeout(redis: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
