import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ContainerType } from 'type-graphql';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Config } from '../config/config';
import { HubResolver } from '../hubs/hub.resolver';
import type { HubService } from '../hubs/hub.service';
import { accessHooks, type AccessHook } from '../http/access';
import { requestBudget, withDeadline } from '../http/deadline';
import { idempotencyKeyOf } from '../http/idempotency-key';
import { GatewayContext } from './context';
import { formatGraphQLError, isUnexpected } from './format-error';
import { isIntrospectionOnly } from './introspection';
import { KnownOperationTypesRule } from './known-operation-types';
import { jitGateway } from './jit-executor';
import { MAX_ALIASES, operationLimits } from './operation-limits';
import { registerPlayground } from './playground';
import { linkRequest, operationReport } from './operation-report';
import { buildGatewaySchema } from './schema';
import { transportStatus } from './transport-status';
import { variableProblems } from './variable-problems';

export interface GraphQLDependencies {
  readonly config: Config;
  readonly hubService: HubService;
  readonly verifier: TokenVerifier;
  readonly rateLimit: AccessHook;
  /** Pre-filled in the playground's headers editor; only the embedded default has one. */
  readonly playgroundToken?: string;
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
  const resolver = new HubResolver(deps.hubService);
  const container: ContainerType = {
    get(someClass) {
      if (someClass === HubResolver) return resolver;
      throw new Error(`No instance of ${String((someClass as { name?: string }).name)} in the GraphQL container.`);
    },
  };

  const apollo = new ApolloServer<GatewayContext>({
    gateway: jitGateway(await buildGatewaySchema()),
    introspection: deps.config.graphql.introspection,
    formatError: formatGraphQLError,
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
      variableProblems,
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
