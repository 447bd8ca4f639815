import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { GraphQLError, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Context, ServerOptions, SubscribePayload } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Caller } from '../auth/caller';
import type { TokenVerifier } from '../auth/token-verifier';
import { Deadline } from '../common/deadline';
import { Semaphore } from '../common/semaphore';
import { DomainError } from '../errors/domain-error';
import type { GatewayContext } from './context';
import { KnownOperationTypesRule } from './known-operation-types';
import { limitViolations, measureOperation, type OperationLimitOptions } from './operation-limits';

/** What the socket transport counts (CONTRACT.md section 6: open sockets, subscriptions, events). */
export interface SubscriptionMetrics {
  socketOpened(): void;
  socketClosed(): void;
  subscriptionStarted(): void;
  subscriptionEnded(): void;
  eventDelivered(): void;
}

export interface SubscriptionServerOptions {
  readonly schema: GraphQLSchema;
  readonly verifier: TokenVerifier;
  /** Counts one subscribe against the tenant's rate limit; throws the domain's RateLimitedError when it is spent. */
  readonly consume: (caller: Caller) => Promise<void>;
  readonly limits: OperationLimitOptions;
  readonly maxTokens: number;
  readonly maxSubscriptionsPerSocket: number;
  readonly formatError: (error: GraphQLError) => GraphQLFormattedError;
  readonly contextFor: (caller: Caller, request: FastifyRequest) => GatewayContext;
  readonly metrics: SubscriptionMetrics;
  readonly log: FastifyBaseLogger;
}

/** The close code graphql-ws uses, and the contract names, for a socket refused or no longer allowed. */
export const FORBIDDEN = 4403;

/** What the transport keeps about one socket. */
interface SocketState {
  caller?: Caller;
  expiry?: NodeJS.Timeout;
  /** Subscriptions running on the socket, by their id. */
  readonly running: Set<string>;
}

type Extra = { readonly socket: WebSocket; readonly request: FastifyRequest };
type SocketContext = Context<Record<string, unknown> | undefined, Extra>;

/**
 * GraphQL over WebSocket (graphql-transport-ws) at `/graphql`, for subscriptions. Operations on a
 * socket never pass through Apollo, so what Apollo's plugins do for HTTP is done here from the same
 * kit code: the token verifier, the rate limit, the depth/cost/alias limits, the error formatting.
 */
export function subscriptionServerOptions(options: SubscriptionServerOptions): ServerOptions<Record<string, unknown> | undefined, Extra> {
  const states = new WeakMap<SocketContext, SocketState>();
  const stateOf = (ctx: SocketContext): SocketState => {
    let state = states.get(ctx);
    if (state === undefined) states.set(ctx, (state = { running: new Set() }));
    return state;
  };
  const errors = (...found: GraphQLError[]): readonly GraphQLError[] => found;

  return {
    schema: options.schema,
    onConnect: async (ctx) => {
      options.metrics.socketOpened();
      const state = stateOf(ctx);
      try {
        const caller = await options.verifier.verify(authorizationOf(ctx.connectionParams));
        if (!caller.permissions.has('read')) return false;
        state.caller = caller;
      } catch (error) {
        if (error instanceof DomainError) return false;
        throw error;
      }
      const expiresAt = state.caller.expiresAt;
      if (expiresAt !== undefined) {
        // A token's permission ends with it: so does the socket (CONTRACT.md section 4a).
        state.expiry = setTimeout(() => ctx.extra.socket.close(FORBIDDEN, 'Forbidden'), Math.max(0, expiresAt - Date.now()));
        state.expiry.unref();
      }
      return true;
    },
    onClose: (ctx) => {
      const state = stateOf(ctx);
      clearTimeout(state.expiry);
      for (const _ of state.running) options.metrics.subscriptionEnded();
      state.running.clear();
      options.metrics.socketClosed();
    },
    onSubscribe: async (ctx, id, payload: SubscribePayload) => {
      const state = stateOf(ctx);
      const caller = state.caller!;
      if (state.running.size >= options.maxSubscriptionsPerSocket) {
        return errors(new GraphQLError(`At most ${options.maxSubscriptionsPerSocket} subscriptions may run on one connection.`, { extensions: { code: 'BAD_REQUEST' } }));
      }
      try {
        await options.consume(caller);
      } catch (error) {
        if (error instanceof DomainError) return errors(new GraphQLError(error.message, { originalError: error }));
        throw error;
      }
      let document;
      try {
        document = parse(payload.query, { maxTokens: options.maxTokens });
      } catch (error) {
        return errors(error instanceof GraphQLError ? withCode(error, 'GRAPHQL_PARSE_FAILED') : new GraphQLError(String(error)));
      }
      const invalid = validate(options.schema, document, [...specifiedRules, KnownOperationTypesRule]);
      if (invalid.length > 0) return errors(...invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')));
      const operation = document.definitions.find(
        (definition) => definition.kind === 'OperationDefinition' && (payload.operationName == null || definition.name?.value === payload.operationName),
      );
      if (operation === undefined || operation.kind !== 'OperationDefinition') {
        return errors(new GraphQLError('No operation of that name in the document.', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }));
      }
      const violations = limitViolations(measureOperation(options.schema, document, operation, payload.variables ?? {}), options.limits);
      if (violations.length > 0) return errors(new GraphQLError(violations.join(' '), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
      state.running.add(id);
      options.metrics.subscriptionStarted();
      const args: ExecutionArgs = {
        schema: options.schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: options.contextFor(caller, ctx.extra.request),
      };
      return args;
    },
    onNext: (_ctx, _id, _payload, _args, result) => {
      options.metrics.eventDelivered();
      if (result.errors === undefined) return undefined;
      return { ...result, errors: result.errors.map((error) => options.formatError(error)) };
    },
    onError: (_ctx, _id, _payload, found) => found.map((error) => options.formatError(error)),
    onComplete: (ctx, id) => {
      const state = stateOf(ctx);
      if (state.running.delete(id)) options.metrics.subscriptionEnded();
    },
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}

/** `Authorization` or `authorization` of the connection_init payload (CONTRACT.md section 4a). */
function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.Authorization ?? params?.authorization;
  return typeof value === 'string' ? value : undefined;
}

/** A budget for an operation on a socket: its resolvers read what the event carries. */
export function socketBudget(timeoutMs: number, connections: number): { deadline: Deadline; lane: Semaphore } {
  return { deadline: new Deadline(timeoutMs), lane: new Semaphore(connections) };
}
