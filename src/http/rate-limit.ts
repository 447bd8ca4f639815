import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
// The plugin's own Redis store (one atomic Lua script per request): the package has no exports
// map, so the file is reachable; its types are in rate-limit-redis-store.d.ts.
import RedisStore from '@fastify/rate-limit/store/RedisStore';
// Its in-memory store, the plugin's default, taken the same way so that one instance serves all.
import LocalStore from '@fastify/rate-limit/store/LocalStore';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import Redis from 'ioredis';
import type { Config } from '../config/config';
import { RateLimitedError } from '../errors/domain-error';
import type { AccessHook } from './access';
import type { RateLimitKey } from './metrics';

/** Every counter of the gateway in Redis is under this prefix, then `tenant:<id>` or `ip:<address>`. */
export const RATE_LIMIT_KEY_PREFIX = 'hubs-gateway:rate:';

/** The one budget of requests, for HTTP requests (the hook) and for what arrives otherwise. */
export interface RateLimit {
  /** Counts an HTTP request against its tenant's (or, without a caller, its IP's) budget. */
  readonly hook: AccessHook;
  /**
   * Counts one unit of work that is no HTTP request (a subscribe on a WebSocket) against the
   * tenant's budget; throws RateLimitedError when it is spent.
   */
  consume(tenantId: string): Promise<void>;
}

/** Keys the in-memory store keeps (the plugin's default). */
const LOCAL_KEYS = 5000;

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
): Promise<RateLimit> {
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

  // One store for every limit of the plugin and for `consume`: the plugin names the Redis key of a
  // limit after its route, while this limit is one for all routes (its `keyGenerator` says whose),
  // and without a route the plugin would write `undefined` there.
  const store: CountingStore = redis === undefined ? new LocalStore(false, false, LOCAL_KEYS) : new RedisStore(false, false, redis, RATE_LIMIT_KEY_PREFIX);
  await app.register(rateLimit, {
    global: false,
    store: oneStore(store),
    skipOnError: true,
    enableDraftSpec: true,
  });

  const { max, windowMs } = config.rateLimit;
  const hook = app.rateLimit({
    max,
    timeWindow: windowMs,
    keyGenerator: (request) => (request.caller === null ? `ip:${request.ip}` : `tenant:${request.caller.tenantId}`),
    errorResponseBuilder: (request, context) => {
      onRejected(request.caller === null ? 'ip' : 'tenant');
      return new RateLimitedError(context.max, Math.max(1, Math.ceil(context.ttl / 1000)));
    },
  }) as AccessHook;

  const consume = (tenantId: string) =>
    new Promise<void>((resolve, reject) => {
      store.incr(
        `tenant:${tenantId}`,
        (error, result) => {
          // As the plugin's skipOnError: an unreachable store limits nothing.
          if (error !== null || result === undefined || result.current <= max) return resolve();
          onRejected('tenant');
          reject(new RateLimitedError(max, Math.max(1, Math.ceil(result.ttl / 1000))));
        },
        windowMs,
        max,
      );
    });
  return { hook, consume };
}

type CountingStore = Pick<RedisStore, 'incr'>;

/** The one store, whatever limit the plugin makes it for (a constructor may answer an object of its own). */
function oneStore(store: CountingStore): FastifyRateLimitStoreCtor {
  class SharedStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow?: number, max?: number): void {
      store.incr(key, callback, timeWindow as number, max as number);
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  }
  const shared = new SharedStore();
  return function Shared() {
    return shared;
  } as unknown as FastifyRateLimitStoreCtor;
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
