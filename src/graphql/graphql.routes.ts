import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import websocket, { type WebsocketHandler } from '@fastify/websocket';
import type Redis from 'ioredis';
import type { ContainerType, NonEmptyArray, PubSub } from 'type-graphql';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Config } from '../config/config';
import { isRetryable } from '../errors/domain-error';
import { ERROR_TABLE } from '../errors/error-table';
import { accessHooks, type AccessHook } from '../http/access';
import { requestBudget, withDeadline } from '../http/deadline';
import { asDomainError } from '../http/error-handler';
import { idempotencyKeyOf } from '../http/idempotency-key';
import { graphqlResponseMediaType } from '../http/media-type';
import { recordGraphQLError } from '../http/request-observation';
import { GatewayContext } from './context';
import { domainErrorExtensions, graphqlErrorFormatter, isUnexpected, type ArgumentPresentations } from './format-error';
import { isIntrospectionOnly } from './introspection';
import { KnownOperationTypesRule } from './known-operation-types';
import { jitExecution, type TraceOperation } from './jit-executor';
import { KnownOperations } from './known-operations';
import { MAX_ALIASES, operationLimits } from './operation-limits';
import { persistedQueries } from './persisted-queries';
import { registerPlayground } from './playground';
import { linkRequest, operationReport } from './operation-report';
import type { GraphQLModule } from './module';
import { buildGatewaySchema } from './schema';
import { socketHandler } from './socket-handler';
import { socketBudget, subscriptionServerOptions, type SubscriptionMetrics } from './subscriptions';
import { transportStatus } from './transport-status';
import { trustGate, TrustedDocuments } from './trusted-documents';
import { variableProblems } from './variable-problems';

export interface GraphQLDependencies {
  readonly config: Config;
  /** The domains served, with their resolvers and how their problems read in GraphQL. */
  readonly modules: readonly GraphQLModule[];
  readonly verifier: TokenVerifier;
  readonly rateLimit: AccessHook;
  /** Counts a subscribe against the tenant's rate limit (a WebSocket message is no HTTP request). */
  readonly consume: (tenantId: string) => Promise<void>;
  readonly metrics: SubscriptionMetrics;
  /** The instance's Redis connection when REDIS_URL is set: persisted queries are shared through it. */
  readonly redis?: Redis;
  /** Pre-filled in the playground's headers editor; only the embedded default has one. */
  readonly playgroundToken?: string;
  /** A span per operation (src/tracing); absent when tracing is off. */
  readonly traceOperation?: TraceOperation;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own type for resolver classes
type ResolverClass = Function;

/**
 * The route's own error handler: what goes wrong before Apollo runs (a refused token, the rate
 * limit, the deadline, an unreadable body, a gateway that is stopping) is a GraphQL response too,
 * with its HTTP status and the media type the client asked for.
 */
function graphqlErrorHandler(presentations: ArgumentPresentations): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (error, request, reply) => {
    const domainError = asDomainError(error, request);
    const { httpStatus, graphqlCode } = ERROR_TABLE[domainError.code];
    if (isRetryable(domainError)) reply.header('retry-after', String(domainError.retryAfterSeconds));
    recordGraphQLError(request, graphqlCode);
    return reply
      .code(httpStatus)
      .type(graphqlResponseMediaType(request.headers.accept))
      .send({ errors: [domainErrorExtensions(domainError, presentations)] });
  };
}

/**
 * Subscriptions run over WebSocket only (graphql-ws): over HTTP, Apollo would start one and have
 * nowhere to send its events.
 */
const subscriptionsOverSockets: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation !== 'subscription') return;
        throw new GraphQLError('Subscriptions are served over WebSocket at /graphql (the graphql-transport-ws protocol, as graphql-ws speaks it).', {
          extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
        });
      },
    };
  },
};

/** Logs each unexpected error once, with the request id, before `formatError` masks it. */
const errorLogging: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          if (isUnexpected(error)) contextValue.log.error({ err: unwrapResolverError(error) }, 'unexpected GraphQL error');
        }
      },
    };
  },
};

const MAX_TOKENS = 5000;

/** CONTRACT.md section 4a. */
const MAX_SUBSCRIPTIONS_PER_SOCKET = 100;
const GOING_AWAY = 1001;
const MAX_SOCKET_MESSAGE_BYTES = 128 * 1024;

/** Every domain's topics as the one pubSub type-graphql takes: a subscribe goes to the domain that owns its topic. */
function topicsOf(modules: readonly GraphQLModule[]): PubSub {
  const topics = new Map(modules.flatMap((module) => Object.entries(module.topics ?? {})));
  return {
    // Domains announce their changes themselves (hubs: from PostgreSQL); nothing publishes through here.
    publish: () => undefined,
    subscribe(routingKey, topicId) {
      const topic = topics.get(routingKey);
      if (topic === undefined) throw new Error(`No module serves the topic ${routingKey}`);
      return topic(topicId);
    },
  };
}

/**
 * GraphQL resolves an operation's root query fields in parallel: at most this many of them hold a
 * database connection at once, so 100 aliases of one costly field queue in their own operation
 * instead of taking the whole pool (CONTRACT.md section 5, fairness).
 */
export const MAX_CONNECTIONS_PER_OPERATION = 2;

function queryOf(request: FastifyRequest): unknown {
  const source = request.method === 'GET' ? request.query : request.body;
  return typeof source === 'object' && source !== null ? (source as { query?: unknown }).query : undefined;
}

/**
 * Serves `/graphql` (CONTRACT.md section 4) and returns the function that stops Apollo; through
 * Apollo's Fastify drain plugin, stopping Apollo closes the Fastify server too.
 */
export async function registerGraphQL(app: FastifyInstance, deps: GraphQLDependencies): Promise<() => Promise<void>> {
  const bindings = deps.modules.flatMap((module) => module.resolvers);
  const instances = new Map(bindings.map((binding) => [binding.type, binding.instance]));
  const container: ContainerType = {
    get(someClass) {
      const instance = instances.get(someClass as ResolverClass);
      if (instance === undefined) throw new Error(`No instance of ${String((someClass as { name?: string }).name)} in the GraphQL container.`);
      return instance;
    },
  };
  const presentations: ArgumentPresentations = Object.assign({}, ...deps.modules.map((module) => module.arguments));

  const entities = deps.config.graphql.federation ? Object.assign({}, ...deps.modules.map((module) => module.entities ?? {})) : undefined;
  const schema = await buildGatewaySchema(bindings.map((binding) => binding.type) as NonEmptyArray<ResolverClass>, topicsOf(deps.modules), entities);
  const formatError = graphqlErrorFormatter(presentations);
  const traceOperation = deps.traceOperation;
  const errorCode = (error: GraphQLError) => String(formatError(error.toJSON(), error).extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  const limits = { maxDepth: deps.config.graphql.maxDepth, maxCost: deps.config.graphql.maxCost, maxAliases: MAX_ALIASES };
  const { trustedDocuments: manifest, introspection } = deps.config.graphql;
  const trusted = manifest === undefined ? undefined : await TrustedDocuments.load(manifest, { schema, maxTokens: MAX_TOKENS, introspection });
  if (trusted !== undefined) app.log.info({ manifest, operations: trusted.size }, 'trusted documents on: only the manifest\'s operations run');
  const execution = jitExecution(schema, traceOperation && ((operation, execute) => traceOperation(operation, execute, errorCode)));
  const known = new KnownOperations(schema, limits, execution.run);
  const apollo = new ApolloServer<GatewayContext>({
    gateway: execution.gateway,
    introspection,
    // With trusted documents nothing is registered: the manifest is the whole list.
    persistedQueries: trusted === undefined ? persistedQueries(deps.redis) : false,
    ...(trusted === undefined ? {} : { documentStore: trusted.documentStore() }),
    formatError,
    includeStacktraceInErrorResponses: false,
    // The gateway owns signal handling and its shutdown order.
    stopOnTerminationSignals: false,
    // A document of more tokens than this is refused before it is even parsed in full; the
    // standard introspection query has ~180 and a 100-alias query of full hubs ~1900.
    parseOptions: { maxTokens: MAX_TOKENS },
    validationRules: [KnownOperationTypesRule],
    // Apollo's CSRF guard refuses GETs without a custom header. It exists for cookie-authenticated
    // APIs: here the token travels only in Authorization, which no cross-site form, link or image
    // can send, so a forged request is anonymous and can only introspect (CONTRACT.md section 4).
    csrfPrevention: false,
    // Without introspection, "did you mean …?" suggestions would leak the schema bit by bit.
    hideSchemaDetailsFromClientErrors: !deps.config.graphql.introspection,
    plugins: [
      fastifyApolloDrainPlugin(app),
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of GraphQL answers here; the cache-control plugin would still hook every field.
      ApolloServerPluginCacheControlDisabled(),
      // Apollo traces every field of a subgraph's operations for the router (ftv1) when asked to;
      // tracing here is OpenTelemetry's, one span per operation, not per field.
      ...(entities === undefined ? [] : [ApolloServerPluginInlineTraceDisabled()]),
      errorLogging,
      variableProblems(deps.modules, presentations),
      transportStatus,
      subscriptionsOverSockets,
      operationLimits(limits),
      // Last: they read the errors as the plugins above leave them.
      operationReport,
      known.recorder(),
    ],
  });
  await apollo.start();

  const servePlayground = registerPlayground(app, { endpoint: '/graphql', token: deps.playgroundToken });
  // GraphQL over WebSocket on the GET route of the same path (a route with a wsHandler may only
  // be GET): graphql-ws does on the socket what Apollo's plugins do over HTTP, from the same code.
  await app.register(websocket, {
    // A message is a document and its variables, bounded like a POST body's document; connection_init
    // is read before the token is known.
    options: { maxPayload: MAX_SOCKET_MESSAGE_BYTES },
    // Going away (1001), as the contract says, rather than the library's bare close.
    preClose: (done) => {
      for (const client of app.websocketServer.clients) client.close(GOING_AWAY, 'The gateway is shutting down.');
      app.websocketServer.close(() => done());
    },
  });
  const sockets = socketHandler(
    subscriptionServerOptions({
      schema,
      verifier: deps.verifier,
      consume: (caller) => deps.consume(caller.tenantId),
      limits,
      maxTokens: MAX_TOKENS,
      trusted,
      maxSubscriptionsPerSocket: MAX_SUBSCRIPTIONS_PER_SOCKET,
      // A refusal raised before execution carries the domain error as its original (no path to unwrap by).
      formatError: (error) => formatError(error.toJSON(), error.path === undefined ? (error.originalError ?? error) : error),
      contextFor: (caller, socket) =>
        new GatewayContext(caller, socket.requestId, socket.log, container, socketBudget(deps.config.requestTimeoutMs, MAX_CONNECTIONS_PER_OPERATION)),
      metrics: deps.metrics,
      log: app.log,
    }),
    app.log,
  );
  const wsHandler: WebsocketHandler = function (this: FastifyInstance, socket, request) {
    deps.metrics.socketOpened();
    socket.once('close', () => deps.metrics.socketClosed());
    return sockets.call(this, socket, request);
  };

  // One context per request: a known operation that Apollo is to answer after all brings its result in it.
  const contexts = new WeakMap<FastifyRequest, Promise<GatewayContext>>();
  const contextOf = (request: FastifyRequest): Promise<GatewayContext> => {
    let context = contexts.get(request);
    if (context === undefined) {
      const built = new GatewayContext(request.caller, request.id, request.log, container, requestBudget(request, MAX_CONNECTIONS_PER_OPERATION), idempotencyKeyOf(request));
      contexts.set(request, (context = Promise.resolve(linkRequest(built, request))));
    }
    return context;
  };
  const answerByApollo = fastifyApolloHandler(apollo, { context: contextOf });

  const route = {
    url: '/graphql',
    // A browser opening the endpoint gets the playground, before any token is asked for.
    onRequest: servePlayground,
    // Errors before Apollo runs (token, rate limit, deadline, body) answer in GraphQL's shape.
    errorHandler: graphqlErrorHandler(presentations),
    // preValidation: the body is parsed (introspection is recognised from it) and nothing has run yet.
    preValidation: accessHooks({
      verifier: deps.verifier,
      rateLimit: deps.rateLimit,
      // A WebSocket sends its token in connection_init, which graphql-ws checks (4403 when refused).
      allowAnonymous: (request) => request.ws || (introspection && isIntrospectionOnly(queryOf(request))),
    }),
    // After the token is checked: an anonymous caller is told 401 before anything about documents.
    ...(trusted === undefined ? {} : { preHandler: trustGate(trusted) }),
    handler: withDeadline(async function (this: FastifyInstance, request, reply) {
      const context = () => contextOf(request);
      return (await known.answer(request, context, (type) => reply.header('content-type', type))) ?? answerByApollo.call(this, request, reply);
    }),
  };
  app.route({ ...route, method: 'GET', wsHandler });
  app.route({ ...route, method: 'POST' });

  return () => apollo.stop();
}
