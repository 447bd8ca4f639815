import type { ApolloServerOptions } from '@apollo/server';
import type Redis from 'ioredis';

/** Every registered document in Redis is under this prefix (Apollo adds `apq:` after it), then its SHA-256. */
export const PERSISTED_QUERY_KEY_PREFIX = 'hubs-gateway:';

/**
 * How long a registered document is kept after its registration. A client whose hash was forgotten
 * is told PERSISTED_QUERY_NOT_FOUND and registers it again, so this only trades Redis memory for
 * one extra round trip a day per document.
 */
export const PERSISTED_QUERY_TTL_SECONDS = 24 * 60 * 60;

type PersistedQueries = Exclude<NonNullable<ApolloServerOptions<never>['persistedQueries']>, false>;
type DocumentCache = NonNullable<PersistedQueries['cache']>;

/**
 * Automatic persisted queries (CONTRACT.md section 4b): without Redis, Apollo's own in-memory cache
 * of this instance; with it, documents registered through any instance are known to all. Redis
 * failing is a cache miss, never a failed request: a lookup that fails answers "not found", so the
 * client sends the document again and it runs; a registration that fails is forgotten.
 */
export function persistedQueries(redis: Redis | undefined): PersistedQueries {
  if (redis === undefined) return {};
  return { cache: new RedisDocumentCache(redis), ttl: PERSISTED_QUERY_TTL_SECONDS };
}

class RedisDocumentCache implements DocumentCache {
  constructor(private readonly redis: Redis) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(PERSISTED_QUERY_KEY_PREFIX + key)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const ttl = options?.ttl ?? PERSISTED_QUERY_TTL_SECONDS;
    try {
      await this.redis.set(PERSISTED_QUERY_KEY_PREFIX + key, value, 'EX', ttl);
    } catch {
      // Not registered this time: the next request for it registers it again.
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.redis.del(PERSISTED_QUERY_KEY_PREFIX + key)) > 0;
    } catch {
      return false;
    }
  }
}
