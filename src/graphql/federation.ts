import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { concatAST, isObjectType, Kind, parse, visit, type ConstDirectiveNode, type GraphQLSchema } from 'graphql';
import { createResolversMap } from 'type-graphql';
import type { GatewayContext } from './context';
import type { EntityBinding } from './module';
import { listCost } from './operation-limits';

/** The modules buildSubgraphSchema takes (the package does not export their type). */
type SubgraphModules = Extract<Parameters<typeof buildSubgraphSchema>[0], unknown[]>;

/** Federation 2, importing only what this subgraph uses. */
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

/**
 * The schema as an Apollo Federation 2 subgraph (CONTRACT.md section 4c), the way type-graphql's
 * own `examples/apollo-federation-2` builds one: its SDL (directives kept) with `@key` on each
 * entity, rebuilt by `buildSubgraphSchema` (which adds `_service`, `_entities`, `_Any`, `_Entity`)
 * over type-graphql's resolvers, plus each entity's reference resolver.
 *
 * Rebuilding from SDL drops what SDL cannot say: the fields' `extensions`, where the cost limit
 * reads each list field's `complexity`. They are copied over, and `_entities` is costed by its
 * number of representations like any list, so a router cannot fetch thousands of hubs for the
 * price of one field.
 */
export function subgraphSchema(schema: GraphQLSchema, entities: Readonly<Record<string, EntityBinding>>): GraphQLSchema {
  const document = visit(parse(printSchemaWithDirectives(schema)), {
    ObjectTypeDefinition(node) {
      const entity = entities[node.name.value];
      return entity === undefined ? undefined : { ...node, directives: [...(node.directives ?? []), keyDirective(entity.key)] };
    },
  });
  const resolvers = createResolversMap(schema) as Record<string, object>;
  for (const [type, entity] of Object.entries(entities)) {
    resolvers[type] = { ...resolvers[type], __resolveReference: (reference: Readonly<Record<string, unknown>>, context: GatewayContext) => entity.resolveReference(reference, context) };
  }
  const subgraph = buildSubgraphSchema([{ typeDefs: concatAST([parse(FEDERATION_LINK), document]), resolvers }] as SubgraphModules);
  keepFieldExtensions(schema, subgraph);
  const entitiesField = subgraph.getQueryType()?.getFields()._entities;
  if (entitiesField !== undefined) {
    setExtensions(entitiesField, { complexity: listCost((args) => (Array.isArray(args.representations) ? Math.max(1, args.representations.length) : 1)) });
  }
  return subgraph;
}

function keyDirective(fields: string): ConstDirectiveNode {
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: 'key' },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'fields' }, value: { kind: Kind.STRING, value: fields } }],
  };
}

function keepFieldExtensions(from: GraphQLSchema, to: GraphQLSchema): void {
  for (const type of Object.values(from.getTypeMap())) {
    const target = to.getType(type.name);
    if (!isObjectType(type) || !isObjectType(target)) continue;
    const targetFields = target.getFields();
    for (const field of Object.values(type.getFields())) {
      const twin = targetFields[field.name];
      if (twin !== undefined && Object.keys(field.extensions).length > 0) setExtensions(twin, field.extensions);
    }
  }
}

/** graphql-js types `extensions` read-only; the schema is still being assembled here. */
function setExtensions(field: { extensions: object }, extensions: object): void {
  (field as { extensions: object }).extensions = { ...field.extensions, ...extensions };
}
