import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
// The plugin's own Redis store (one atomic Lua script per request): the package has no exports
// map, so the file is reachable; its types are in rate-limit-redis-store.d.ts.
import RedisStore from '@fastify/rate-limit/store/RedisStore';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import Redis from 'ioredis';
import type { Config } from '../config/config';
import { RateLimitedError } from '../errors/domain-error';
import type { AccessHook } from './access';
import type { RateLimitKey } from './metrics';

/** Every counter of the gateway in Redis is under this prefix, then `tenant:<id>` or `ip:<address>`. */
export const RATE_LIMIT_KEY_PREFIX = 'hubs-gateway:rate:';

/**
 * RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS per tenant, or per client IP when there is no
 * caller, on REST and GraphQL alike (@fastify/rate-limit, IETF draft RateLimit headers and
 * Retry-After). With REDIS_URL the counters live in Redis, so every instance shares one budget; if
 * Redis is unreachable the gateway keeps serving without limits rather than failing every request.
 */
export async function createRateLimit(
  app: FastifyInstance,
  config: Config,
  /** Told of each request refused with 429 (metrics). */
  onRejected: (key: RateLimitKey) => void,
): Promise<AccessHook> {
  const redis =
    config.redisUrl === undefined
      ? undefined
      : new Redis(config.redisUrl, { connectTimeout: 1000, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  if (redis !== undefined) {
    reportAvailability(redis, app.log);
    // Commands sent before the connection is up would be skipped (fail open), so the first requests
    // of a fresh instance would go uncounted: wait for it, but never longer than a connect attempt.
    await readyOrTimeout(redis, 1000);
  }
  app.addHook('onClose', async () => {
    redis?.disconnect();
  });

  await app.register(rateLimit, {
    global: false,
    // The plugin names the Redis key of a limit after its route; this limit is one for all routes
    // (its `keyGenerator` says whose), and without a route the plugin would write `undefined` there.
    store: redis === undefined ? undefined : oneKeyspace(redis),
    skipOnError: true,
    enableDraftSpec: true,
  });

  return app.rateLimit({
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    keyGenerator: (request) => (request.caller === null ? `ip:${request.ip}` : `tenant:${request.caller.tenantId}`),
    errorResponseBuilder: (request, context) => {
      onRejected(request.caller === null ? 'ip' : 'tenant');
      return new RateLimitedError(context.max, Math.max(1, Math.ceil(context.ttl / 1000)));
    },
  }) as AccessHook;
}

/** The plugin's Redis store under one fixed prefix, whatever limit asks for a child store. */
function oneKeyspace(redis: Redis): FastifyRateLimitStoreCtor {
  return class implements FastifyRateLimitStore {
    private readonly store: RedisStore;

    constructor(options: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      this.store = new RedisStore(options.continueExceeding, options.exponentialBackoff, redis, RATE_LIMIT_KEY_PREFIX);
    }

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow?: number, max?: number): void {
      this.store.incr(key, callback, timeWindow as number, max as number);
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}

/**
 * One warning when Redis goes away and one line when it is back: ioredis reports every failed
 * reconnect attempt, which would fill the log while Redis is down.
 */
function reportAvailability(redis: Redis, log: FastifyBaseLogger): void {
  let down = false;
  redis.on('error', (error) => {
    if (down) return;
    down = true;
    log.warn({ err: error }, 'rate-limit store (Redis) unavailable; requests are not limited until it is back');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('rate-limit store (Redis) is back; requests are limited again');
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
