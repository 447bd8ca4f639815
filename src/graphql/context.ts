import type { FastifyBaseLogger } from 'fastify';
import type { ContainerType } from 'type-graphql';
import { UnauthenticatedError, type Caller } from '../auth/caller';
import type { RequestBudget } from '../db/database';

/** What every resolver sees of the request. Built once per request, never mutated. */
export class GatewayContext {
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

  requireCaller(): Caller {
    if (this.caller === null) throw new UnauthenticatedError('An Authorization header with a Bearer token is required.');
    return this.caller;
  }
}
