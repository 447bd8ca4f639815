import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import Redis from 'ioredis';
import type { Config } from '../config/config';
import { RateLimitedError } from '../errors/domain-error';
import type { AccessHook } from './access';
import type { RateLimitKey } from './metrics';

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
  redis?.on('error', (error) => app.log.warn({ err: error }, 'rate-limit store (Redis) unavailable; requests are not limited meanwhile'));
  // Commands sent before the connection is up would be skipped (fail open), so the first requests
  // of a fresh instance would go uncounted: wait for it, but never longer than a connect attempt.
  if (redis !== undefined) await readyOrTimeout(redis, 1000);
  app.addHook('onClose', async () => {
    redis?.disconnect();
  });

  await app.register(rateLimit, {
    global: false,
    redis,
    nameSpace: 'hubs-gateway:rate:',
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

function readyOrTimeout(redis: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
