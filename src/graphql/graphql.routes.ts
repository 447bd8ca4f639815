import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ContainerType, NonEmptyArray } from 'type-graphql';
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
import { jitGateway } from './jit-executor';
import { MAX_ALIASES, operationLimits } from './operation-limits';
import { registerPlayground } from './playground';
import { linkRequest, operationReport } from './operation-report';
import type { GraphQLModule } from './module';
import { buildGatewaySchema } from './schema';
import { transportStatus } from './transport-status';
import { variableProblems } from './variable-problems';

export interface GraphQLDependencies {
  readonly config: Config;
  /** The domains served, with their resolvers and how their problems read in GraphQL. */
  readonly modules: readonly GraphQLModule[];
  readonly verifier: TokenVerifier;
  readonly rateLimit: AccessHook;
  /** Pre-filled in the playground's headers editor; only the embedded default has one. */
  readonly playgroundToken?: string;
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

  const apollo = new ApolloServer<GatewayContext>({
    gateway: jitGateway(await buildGatewaySchema(bindings.map((binding) => binding.type) as NonEmptyArray<ResolverClass>)),
    introspection: deps.config.graphql.introspection,
    formatError: graphqlErrorFormatter(presentations),
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
      errorLogging,
      variableProblems(deps.modules, presentations),
      transportStatus,
      operationLimits({ maxDepth: deps.config.graphql.maxDepth, maxCost: deps.config.graphql.maxCost, maxAliases: MAX_ALIASES }),
      // Last: it reads the errors as the plugins above leave them.
      operationReport,
    ],
  });
  await apollo.start();

  const introspectionOpen = deps.config.graphql.introspection;
  const servePlayground = registerPlayground(app, { endpoint: '/graphql', token: deps.playgroundToken });
  app.route({
    method: ['GET', 'POST'],
    url: '/graphql',
    // A browser opening the endpoint gets the playground, before any token is asked for.
    onRequest: servePlayground,
    // Errors before Apollo runs (token, rate limit, deadline, body) answer in GraphQL's shape.
    errorHandler: graphqlErrorHandler(presentations),
    // preValidation: the body is parsed (introspection is recognised from it) and nothing has run yet.
    preValidation: accessHooks({
      verifier: deps.verifier,
      rateLimit: deps.rateLimit,
      allowAnonymous: (request) => introspectionOpen && isIntrospectionOnly(queryOf(request)),
    }),
    handler: withDeadline(
      fastifyApolloHandler(apollo, {
        context: async (request) =>
          linkRequest(
            new GatewayContext(
              request.caller,
              request.id,
              request.log,
              container,
              requestBudget(request, MAX_CONNECTIONS_PER_OPERATION),
              idempotencyKeyOf(request),
            ),
            request,
          ),
      }),
    ),
  });

  return () => apollo.stop();
}
