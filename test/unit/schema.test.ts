import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Kind, parse, print, visit, type DefinitionNode, type ObjectTypeDefinitionNode } from 'graphql';
import { printGatewaySchema, printSubgraphSdl, SCHEMA_FILE, SUBGRAPH_SCHEMA_FILE } from '../../src/scripts/emit-schema';

/** CONTRACT.md section 4, verbatim but for comments, plus the scalar it uses. */
const CONTRACT_SDL = `
enum HubStatus { ACTIVE PAUSED }
type Hub {
  hubId: ID!
  tenantId: ID!
  name: String!
  description: String!
  closeDormantConversation: Int!
  statusId: Int!
  status: HubStatus!
  version: Int!
  createdAt: DateTimeISO!
  updatedAt: DateTimeISO!
}
type HubPage { pageNumber: Int!  pageSize: Int!  total: Int!  results: [Hub!]! }
input CreateHubInput { name: String!  description: String!  closeDormantConversation: Int  status: HubStatus }
input UpdateHubInput { name: String  description: String  closeDormantConversation: Int  status: HubStatus }
type Query {
  hub(hubId: ID!): Hub
  hubs(pageNumber: Int! = 0, pageSize: Int! = 50): HubPage!
  hubsByIds(hubIds: [ID!]!): [Hub]!
  hubConnection(first: Int, after: String, last: Int, before: String,
                filter: HubFilter, orderBy: HubOrder): HubConnection!
}
type Mutation {
  createHub(input: CreateHubInput!): Hub!
  updateHub(hubId: ID!, input: UpdateHubInput!, expectedVersion: Int): Hub!
  deleteHub(hubId: ID!, expectedVersion: Int): Hub!
}
scalar DateTimeISO
input HubFilter {
  status: HubStatus
  nameContains: String
}
enum HubOrderField { CREATED_AT UPDATED_AT NAME }
enum OrderDirection { ASC DESC }
input HubOrder { field: HubOrderField! = CREATED_AT, direction: OrderDirection! = ASC }
type HubConnection { edges: [HubEdge!]!  nodes: [Hub!]!  pageInfo: PageInfo!  totalCount: Int! }
type HubEdge { cursor: String!  node: Hub! }
type PageInfo { hasNextPage: Boolean!  hasPreviousPage: Boolean!  startCursor: String  endCursor: String }
type Subscription {
  hubChanged(hubId: ID): HubChange!
}
enum HubChangeKind { CREATED UPDATED DELETED }
type HubChange { kind: HubChangeKind!  hubId: ID!  hub: Hub! }
`;

/** Each definition printed without descriptions, keyed by name, so only the shape is compared. */
function shapes(sdl: string): Record<string, string> {
  const withoutDescriptions = visit(parse(sdl), {
    enter(node) {
      return 'description' in node && node.description ? { ...node, description: undefined } : undefined;
    },
  });
  return Object.fromEntries(
    withoutDescriptions.definitions.map((definition: DefinitionNode) => [
      (definition as { name?: { value: string } }).name?.value ?? '',
      print(definition),
    ]),
  );
}

describe('the GraphQL schema', () => {
  test('when the code is built, then its SDL equals the committed schema.graphql (run `npm run schema` after a change)', async () => {
    expect(await printGatewaySchema()).toBe(readFileSync(SCHEMA_FILE, 'utf8'));
  });

  test('when the code is built, then its Federation 2 subgraph SDL equals the committed schema.subgraph.graphql (run `npm run schema`)', async () => {
    expect(await printSubgraphSdl()).toBe(readFileSync(SUBGRAPH_SCHEMA_FILE, 'utf8'));
  });

  test('when served as a subgraph, then Hub is an entity keyed by hubId and the API is otherwise the same', async () => {
    const document = parse(await printSubgraphSdl());
    const links = document.definitions.flatMap((definition) =>
      definition.kind === Kind.SCHEMA_EXTENSION ? (definition.directives ?? []).map((directive) => print(directive)) : [],
    );
    expect(links).toContainEqual(expect.stringMatching(/^@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+", import: \["@key"\]\)$/));
    const hub = document.definitions.find((definition) => definition.kind === Kind.OBJECT_TYPE_DEFINITION && definition.name.value === 'Hub');
    expect((hub as ObjectTypeDefinitionNode).directives?.map((directive) => print(directive))).toEqual(['@key(fields: "hubId")']);
    // Without the key and the two fields federation adds to Query, the subgraph is the gateway's schema.
    const plain = visit(document, {
      Directive: (node, _key, _parent, _path, ancestors) => (ancestors.some((a) => (a as { kind?: string }).kind === Kind.OBJECT_TYPE_DEFINITION) && node.name.value === 'key' ? null : undefined),
      FieldDefinition: (node) => (node.name.value === '_entities' || node.name.value === '_service' ? null : undefined),
    });
    const served = shapes(print(plain));
    for (const [name, shape] of Object.entries(shapes(await printGatewaySchema()))) {
      expect([name, served[name]]).toEqual([name, shape]);
    }
  });

  test('when compared with the contract, then every type, field, argument, default and nullability matches', async () => {
    expect(shapes(await printGatewaySchema())).toEqual(shapes(CONTRACT_SDL));
  });
});
