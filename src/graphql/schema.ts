import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { HubResolver } from '../hubs/hub.resolver';
import type { GatewayContext } from './context';

/**
 * The gateway's schema, from the type-graphql classes. Argument validation is off here on purpose:
 * `HubService` applies the class-validator rules of `hub.rules.ts` to REST and GraphQL alike, and
 * running them twice would only cost time. Resolvers come from each app's own container (through
 * the context), so two apps in one process never share a service.
 */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [HubResolver],
    validate: false,
    container: ({ context }) => (context as GatewayContext).container,
  });
}
