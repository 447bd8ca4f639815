import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray, type PubSub } from 'type-graphql';
import type { GatewayContext } from './context';
import type * as FederationModule from './federation';
import type { EntityBinding } from './module';

/**
 * The gateway's schema, from the type-graphql resolver classes of its domains. Argument validation
 * is off on purpose: each domain's service applies its own rules to every transport alike, and
 * running class-validator as well would only judge twice. Resolvers come from each app's own
 * container (through the context), so two apps in one process never share a service.
 */
export async function buildGatewaySchema(
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own type for resolver classes
  resolvers: NonEmptyArray<Function>,
  pubSub: PubSub = NO_TOPICS,
  /** With these, the schema is an Apollo Federation 2 subgraph serving them as entities (GRAPHQL_FEDERATION). */
  entities?: Readonly<Record<string, EntityBinding>>,
): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    pubSub,
    validate: false,
    container: ({ context }) => (context as GatewayContext).container,
  });
  // type-graphql names the root types but cannot describe them; a playground's docs pane opens on them.
  describe(schema.getQueryType(), 'What you can read. Every field needs a token; those of another tenant are never seen.');
  describe(schema.getMutationType(), 'What you can change. The fields of one operation run one after the other, in the order sent.');
  describe(schema.getSubscriptionType(), 'What you can follow live, over GraphQL over WebSocket at /graphql (the token goes in connection_init).');
  if (entities === undefined) return schema;
  // Only a subgraph loads Apollo Federation: 4 MB of heap that every other instance would carry.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { subgraphSchema } = require('./federation') as typeof FederationModule;
  return subgraphSchema(schema, entities);
}

/** For a schema that is only printed or inspected: type-graphql wants a pubSub once a subscription exists. */
const NO_TOPICS: PubSub = {
  publish: () => undefined,
  subscribe: (routingKey) => {
    throw new Error(`This schema serves no topics (asked for ${routingKey})`);
  },
};

function describe(type: GraphQLObjectType | null | undefined, description: string): void {
  if (type !== null && type !== undefined && !type.description) type.description = description;
}
