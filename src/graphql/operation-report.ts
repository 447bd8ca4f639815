import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { FastifyRequest } from 'fastify';
import { getOperationAST } from 'graphql';
import { operationLabel, recordGraphQLError } from '../http/request-observation';
import type { GatewayContext } from './context';

/**
 * The Fastify request behind a context. A symbol, so resolvers never see it; an own enumerable
 * property, because Apollo hands plugins and resolvers a shallow copy of the context object.
 */
const FASTIFY_REQUEST = Symbol('fastify request');

type LinkedContext = GatewayContext & { [FASTIFY_REQUEST]?: FastifyRequest };

/** Links a new context to its Fastify request, for `operationReport`; called where the context is built. */
export function linkRequest(context: GatewayContext, request: FastifyRequest): GatewayContext {
  (context as LinkedContext)[FASTIFY_REQUEST] = request;
  return context;
}

/** One listener for every request: it keeps no state of its own. */
const listener: GraphQLRequestListener<GatewayContext> = {
  async willSendResponse({ contextValue, operation, document, request: graphqlRequest, response }) {
    const request = (contextValue as LinkedContext)[FASTIFY_REQUEST];
    if (request === undefined) return;
    // Without a resolved operation (an invalid document), the document may still name it.
    const resolved = operation ?? (document === undefined ? null : getOperationAST(document, graphqlRequest.operationName));
    if (resolved) request.graphqlOperation = operationLabel(resolved.name?.value);
    // Listed after the plugins that reshape errors, so this is the code the client gets.
    const body = response.body;
    const firstError = body.kind === 'single' ? body.singleResult.errors?.[0] : body.initialResult.errors?.[0];
    if (firstError !== undefined) recordGraphQLError(request, String(firstError.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
  },
};

/**
 * Tells the request log and the metrics which operation a GraphQL request ran and how it ended
 * (`extensions.code` of the first error, as the client sees it).
 */
export const operationReport: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return listener;
  },
};
