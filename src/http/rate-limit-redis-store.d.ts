/** The Redis store that ships inside @fastify/rate-limit (store/RedisStore.js), which has no types of its own. */
declare module '@fastify/rate-limit/store/RedisStore' {
  import type Redis from 'ioredis';

  export default class RedisStore {
    constructor(continueExceeding: boolean | undefined, exponentialBackoff: boolean | undefined, redis: Redis, key?: string);
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number, max: number): void;
  }
}

/** The in-memory store that ships inside @fastify/rate-limit (store/LocalStore.js). */
declare module '@fastify/rate-limit/store/LocalStore' {
  export default class LocalStore {
    constructor(continueExceeding: boolean | undefined, exponentialBackoff: boolean | undefined, cache?: number);
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number, max: number): void;
  }
}
