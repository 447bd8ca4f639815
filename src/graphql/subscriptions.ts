import type { FastifyBaseLogger } from 'fastify';
import {
  createSourceEventStream,
  execute,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { Context, ServerOptions, SubscribePayload } from 'graphql-ws';
import type { Caller } from '../auth/caller';
import type { TokenVerifier } from '../auth/token-verifier';
import { Deadline } from '../common/deadline';
import { Semaphore } from '../common/semaphore';
import { DomainError } from '../errors/domain-error';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GatewayContext } from './context';
import { isUnexpected } from './format-error';
import { KnownOperationTypesRule } from './known-operation-types';
import { limitViolations, measureOperation, type OperationLimitOptions } from './operation-limits';
import type { SocketExtra } from './socket-handler';
import type { TrustedDocuments } from './trusted-documents';

/** What the socket transport counts (open sockets, subscriptions, events delivered). */
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
  /** With trusted documents on, only they may be subscribed with, as over HTTP. */
  readonly trusted?: TrustedDocuments;
  readonly maxSubscriptionsPerSocket: number;
  readonly formatError: (error: GraphQLError) => GraphQLFormattedError;
  readonly contextFor: (caller: Caller, socket: SocketExtra) => GatewayContext;
  readonly metrics: SubscriptionMetrics;
  readonly log: FastifyBaseLogger;
}

/** The longest delay a Node timer takes (2^31 - 1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The close code graphql-ws uses, and the contract names, for a socket refused or no longer allowed. */
export const FORBIDDEN = 4403;

/** What the transport keeps about one socket. */
interface SocketState {
  caller?: Caller;
  context?: GatewayContext;
  expiry?: NodeJS.Timeout;
  /** Subscriptions running on the socket, by their id. */
  readonly running: Set<string>;
}

type SocketContext = Context<Record<string, unknown> | undefined, SocketExtra>;

/**
 * GraphQL over WebSocket (graphql-transport-ws) at `/graphql`, for subscriptions. Operations on a
 * socket never pass through Apollo, so what Apollo's plugins do for HTTP is done here from the same
 * kit code: the token verifier, the rate limit, the depth/cost/alias limits, the error formatting.
 */
export function subscriptionServerOptions(options: SubscriptionServerOptions): ServerOptions<Record<string, unknown> | undefined, SocketExtra> {
  const states = new WeakMap<SocketContext, SocketState>();
  const stateOf = (ctx: SocketContext): SocketState => {
    let state = states.get(ctx);
    if (state === undefined) states.set(ctx, (state = { running: new Set() }));
    return state;
  };
  // As over HTTP: an unexpected error is logged once, then masked by the formatter.
  const formatted = (error: GraphQLError): GraphQLFormattedError => {
    if (isUnexpected(error.path === undefined ? (error.originalError ?? error) : error)) options.log.error({ err: unwrapResolverError(error) }, 'unexpected GraphQL error in a subscription');
    return options.formatError(error);
  };

  const documents = new DocumentCache(options.schema, options.maxTokens);

  return {
    schema: options.schema,
    subscribe: subscribeShared,
    onConnect: async (ctx) => {
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
        // A token's permission ends with it: so does the socket (CONTRACT.md section 4a). Timers
        // cannot wait longer than about 24.8 days, so a longer-lived token is looked at again then.
        const closeAtExpiry = () => {
          const left = expiresAt - Date.now();
          if (left <= 0) return ctx.extra.socket.close(FORBIDDEN, 'Forbidden');
          state.expiry = setTimeout(closeAtExpiry, Math.min(left, MAX_TIMER_MS));
          state.expiry.unref();
        };
        closeAtExpiry();
      }
      return true;
    },
    onClose: (ctx) => {
      const state = stateOf(ctx);
      clearTimeout(state.expiry);
      for (const _ of state.running) options.metrics.subscriptionEnded();
      state.running.clear();
    },
    onSubscribe: async (ctx, id, payload: SubscribePayload) => {
      const state = stateOf(ctx);
      const caller = state.caller!;
      if (state.running.size >= options.maxSubscriptionsPerSocket) {
        return [new GraphQLError(`At most ${options.maxSubscriptionsPerSocket} subscriptions may run on one connection.`, { extensions: { code: 'BAD_REQUEST' } })];
      }
      try {
        await options.consume(caller);
      } catch (error) {
        if (error instanceof DomainError) return [new GraphQLError(error.message, { originalError: error })];
        throw error;
      }
      const verdict = options.trusted?.judge(payload) ?? { run: 'as-sent' };
      if ('refused' in verdict) return [new GraphQLError(verdict.refused.message, { extensions: { code: verdict.refused.code } })];
      const prepared = verdict.run === 'as-sent' ? documents.prepare(payload.query) : verdict.run;
      if ('errors' in prepared) return prepared.errors;
      const { document } = prepared;
      const operation = document.definitions.find(
        (definition) => definition.kind === 'OperationDefinition' && (payload.operationName == null || definition.name?.value === payload.operationName),
      );
      if (operation === undefined || operation.kind !== 'OperationDefinition') {
        return [new GraphQLError('No operation of that name in the document.', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
      }
      const violations = limitViolations(measureOperation(options.schema, document, operation, payload.variables ?? {}), options.limits);
      if (violations.length > 0) return [new GraphQLError(violations.join(' '), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })];
      state.running.add(id);
      options.metrics.subscriptionStarted();
      const args: ExecutionArgs = {
        schema: options.schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        // One context per socket: its subscriptions share the caller, and an event's fields read no budget.
        contextValue: (state.context ??= options.contextFor(caller, ctx.extra)),
      };
      return args;
    },
    onNext: (_ctx, _id, _payload, _args, result) => {
      options.metrics.eventDelivered();
      if (result.errors === undefined) return undefined;
      return { ...result, errors: result.errors.map(formatted) };
    },
    onError: (_ctx, _id, _payload, found) => found.map(formatted),
    onComplete: (ctx, id) => {
      const state = stateOf(ctx);
      if (state.running.delete(id)) options.metrics.subscriptionEnded();
    },
  };
}

/** Documents the sockets subscribe with, parsed and validated once each (clients send the same few). */
class DocumentCache {
  private readonly entries = new Map<string, { document: DocumentNode } | { errors: readonly GraphQLError[] }>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly maxTokens: number,
  ) {}

  prepare(query: string): { document: DocumentNode } | { errors: readonly GraphQLError[] } {
    let entry = this.entries.get(query);
    if (entry !== undefined) {
      // Most recently used last, so the oldest goes first when the cache is full.
      this.entries.delete(query);
      this.entries.set(query, entry);
      return entry;
    }
    entry = this.parseAndValidate(query);
    if (this.entries.size >= MAX_CACHED_DOCUMENTS) this.entries.delete(this.entries.keys().next().value as string);
    // A document longer than any legitimate one is not worth a place.
    if (query.length <= MAX_CACHED_DOCUMENT_LENGTH) this.entries.set(query, entry);
    return entry;
  }

  private parseAndValidate(query: string): { document: DocumentNode } | { errors: readonly GraphQLError[] } {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.maxTokens });
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? withCode(error, 'GRAPHQL_PARSE_FAILED') : new GraphQLError(String(error))] };
    }
    const invalid = validate(this.schema, document, [...specifiedRules, KnownOperationTypesRule]);
    if (invalid.length > 0) return { errors: invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')) };
    return { document };
  }
}

const MAX_CACHED_DOCUMENTS = 1000;
const MAX_CACHED_DOCUMENT_LENGTH = 20_000;

/**
 * One event goes to every subscription that matches it; those that sent the same document and
 * variables would each run the same execution over the same event. This runs it once per event
 * and document and hands every such subscription the one result (profiled: graphql-js execution
 * was the largest part of the gateway's CPU with 1,000 subscribers). The subscribe phase, which
 * checks the caller and picks the events, still runs per subscription; a result is shared only
 * between subscriptions of the same tenant, scopes, document and variables, whose executions could
 * not differ.
 */
async function subscribeShared(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!isAsyncIterable(stream)) return stream;
  return new SharedResults(stream[Symbol.asyncIterator](), args, interned(sharingKey(args)));
}

/** Who asks is part of what is shared: a result is reused only for the same tenant and scopes. */
function sharingKey(args: ExecutionArgs): string {
  const caller = (args.contextValue as GatewayContext).caller;
  const who = caller === null ? '' : `${caller.tenantId}/${[...caller.permissions].sort().join(',')}`;
  return `${who}\n${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? null)}\n${documentIds(args.document)}`;
}

/**
 * The results of one subscription's events, each taken from (or put in) the results shared by
 * every subscription of the same key. A class rather than closures: there is one per subscription.
 */
class SharedResults implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly events: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    private readonly key: string,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const step = await this.events.next();
    return step.done ? { value: undefined, done: true } : { value: await this.resultOf(step.value), done: false };
  }

  /** Straight to the source, also while a `next` waits: the subscription leaves the feed at once. */
  return(): Promise<IteratorResult<ExecutionResult>> {
    return (this.events.return?.() ?? Promise.resolve({ value: undefined, done: true })) as Promise<IteratorResult<ExecutionResult>>;
  }

  throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    return (this.events.throw?.(error) ?? Promise.reject(error)) as Promise<IteratorResult<ExecutionResult>>;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  private resultOf(event: unknown): ExecutionResult | Promise<ExecutionResult> {
    if (typeof event !== 'object' || event === null) return execute({ ...this.args, rootValue: event });
    let byKey = sharedResults.get(event);
    if (byKey === undefined) sharedResults.set(event, (byKey = new Map()));
    let result = byKey.get(this.key);
    if (result === undefined) byKey.set(this.key, (result = execute({ ...this.args, rootValue: event })));
    return result;
  }
}

/**
 * One string per distinct key, however many subscriptions use it (a thousand subscriptions send the
 * same few); the table is emptied when it grows past what a legitimate load needs.
 */
const keys = new Map<string, string>();
function interned(key: string): string {
  const known = keys.get(key);
  if (known !== undefined) return known;
  if (keys.size >= MAX_CACHED_DOCUMENTS) keys.clear();
  keys.set(key, key);
  return key;
}

/** Results by event (held only as long as the event is), then by document and variables. */
const sharedResults = new WeakMap<object, Map<string, ExecutionResult | Promise<ExecutionResult>>>();

/** Parsed documents are cached (DocumentCache), so one text is one object: its identity names it. */
const documentNumbers = new WeakMap<DocumentNode, number>();
let lastDocumentNumber = 0;
function documentIds(document: DocumentNode): number {
  let number = documentNumbers.get(document);
  if (number === undefined) documentNumbers.set(document, (number = ++lastDocumentNumber));
  return number;
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

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
