import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
// The plugin's own Redis store (one atomic Lua script per request): the package has no exports
// map, so the file is reachable; its types are in rate-limit-redis-store.d.ts.
import RedisStore from '@fastify/rate-limit/store/RedisStore';
// Its in-memory store, the plugin's default, taken the same way so that one instance serves all.
import LocalStore from '@fastify/rate-limit/store/LocalStore';
import type { FastifyInstance } from 'fastify';
import type Redis from 'ioredis';
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
  /** The instance's Redis connection when REDIS_URL is set (src/common/redis.ts). */
  redis: Redis | undefined,
  /** Told of each request refused with 429 (metrics). */
  onRejected: (key: RateLimitKey) => void,
): Promise<RateLimit> {
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
