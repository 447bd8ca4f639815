import type { FastifyBaseLogger } from 'fastify';
import type { ContainerType } from 'type-graphql';
import { UnauthenticatedError, type Caller } from '../auth/caller';
import type { RequestBudget } from '../db/database';

/** What every resolver sees of the request. Built once per request; only its per-request values are added to. */
export class GatewayContext {
  private readonly perRequest = new Map<object, unknown>();

  constructor(
    /** Null only for an unauthenticated, introspection-only operation. */
    readonly caller: Caller | null,
    readonly requestId: string,
    readonly log: FastifyBaseLogger,
    /** This app's resolver instances (type-graphql's scoped container). */
    readonly container: ContainerType,
    /** The operation's deadline and its lane of database connections, shared by all its fields. */
    readonly budget: RequestBudget,
    /** The request's `Idempotency-Key` header, which `createHub` honours like REST's POST. */
    readonly idempotencyKey?: string,
  ) {}

  /**
   * The value `make` builds, once per request under `key` (a module's own constant): how a domain
   * keeps per-request state, such as a DataLoader, without the kit knowing it.
   */
  once<T>(key: object, make: () => T): T {
    if (!this.perRequest.has(key)) this.perRequest.set(key, make());
    return this.perRequest.get(key) as T;
  }

  requireCaller(): Caller {
    if (this.caller === null) throw new UnauthenticatedError('An Authorization header with a Bearer token is required.');
    return this.caller;
  }
}
