import type { GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import type { GatewayContext } from './context';

/**
 * The gateway's schema, from the type-graphql resolver classes of its domains. Argument validation
 * is off on purpose: each domain's service applies its own rules to every transport alike, and
 * running class-validator as well would only judge twice. Resolvers come from each app's own
 * container (through the context), so two apps in one process never share a service.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own type for resolver classes
export function buildGatewaySchema(resolvers: NonEmptyArray<Function>): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    validate: false,
    container: ({ context }) => (context as GatewayContext).container,
  });
}
