import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { SUBGRAPH_SCHEMA_FILE } from '../../src/scripts/emit-schema';
import { graphql, newTenant, startGateway, tokenFor, type TestGateway } from '../support/gateway';
import { firstChangeAfter, metric } from '../support/subscriptions';

/**
 * The gateway as an Apollo Federation 2 subgraph (CONTRACT.md section 4c): its SDL, `_entities`
 * within the caller's tenant, and a federated graph built with a second subgraph that extends Hub.
 */
let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway({ GRAPHQL_FEDERATION: 'true' });
});
afterAll(() => gateway.close());

const ENTITIES = 'query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on Hub { hubId name tenantId } } }';

async function createHub(token: string, name: string): Promise<string> {
  const created = await graphql<{ createHub: { hubId: string } }>(gateway, 'mutation ($name: String!) { createHub(input: { name: $name, description: "" }) { hubId } }', {
    token,
    variables: { name },
  });
  return created.body.data!.createHub.hubId;
}

const statementCount = () => metric(gateway.url, 'db_statements_total');

describe('the subgraph', () => {
  test('when _service is asked for its SDL, then it is the committed schema.subgraph.graphql', async () => {
    const answer = await graphql<{ _service: { sdl: string } }>(gateway, '{ _service { sdl } }', { token: await tokenFor(newTenant()) });
    expect(`${answer.body.data!._service.sdl}\n`).toBe(readFileSync(SUBGRAPH_SCHEMA_FILE, 'utf8'));
  });

  test('when _entities gets hubs of the caller, of another tenant and of no one, then the caller sees only its own, in one statement, on every run', async () => {
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const own = await Promise.all(Array.from({ length: 30 }, (_, i) => createHub(token, `Federated ${i}`)));
    const foreign = await createHub(await tokenFor(newTenant()), 'Foreign');
    const representations = [...own, foreign, '7f0d2c5e-0000-4000-8000-000000000000'].map((hubId) => ({ __typename: 'Hub', hubId }));
    // Three runs: graphql-js first, then the compiled (graphql-jit) query.
    for (let run = 0; run < 3; run++) {
      const before = await statementCount();
      const answer = await graphql<{ _entities: unknown[] }>(gateway, ENTITIES, { token, variables: { representations } });
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data!._entities).toEqual([...own.map((hubId, i) => ({ hubId, name: `Federated ${i}`, tenantId })), null, null]);
      expect((await statementCount()) - before).toBe(1);
    }
  });

  test('when a router asks for a federated trace (ftv1), then none is made: tracing is OpenTelemetry\'s, not per field', async () => {
    const answer = await graphql(gateway, '{ hubs { total } }', { token: await tokenFor(newTenant()), headers: { 'apollo-federation-include-trace': 'ftv1' } });
    expect(answer.body).toEqual({ data: { hubs: { total: 0 } } });
  });

  test('when _entities is asked without a token, then 401 like any other field', async () => {
    const answer = await graphql(gateway, ENTITIES, { variables: { representations: [{ __typename: 'Hub', hubId: newTenant() }] } });
    expect(answer.status).toBe(401);
  });

  test('when _entities is asked for more hubs than the cost limit allows, then it is refused before it runs', async () => {
    const representations = Array.from({ length: 2000 }, () => ({ __typename: 'Hub', hubId: newTenant() }));
    const answer = await graphql(gateway, ENTITIES, { token: await tokenFor(newTenant()), variables: { representations } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  test('when subscribed over WebSocket, then hubChanged works on the subgraph schema too', async () => {
    const token = await tokenFor(newTenant());
    expect(await firstChangeAfter(gateway.url, token, () => createHub(token, 'Live and federated'))).toEqual({ kind: 'CREATED', hub: { name: 'Live and federated' } });
  });

  test('when federation is off, then none of its fields exist', async () => {
    const plain = await startGateway();
    try {
      const answer = await graphql(plain, '{ _service { sdl } }', { token: await tokenFor(newTenant()) });
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await plain.close();
    }
  });
});

/** A second subgraph, as another team would own it: ratings of hubs, and a list of hubs it refers to. */
const RATINGS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Hub @key(fields: "hubId") { hubId: ID!  rating: Int! }
  type Query { featuredHubs: [Hub] }
`;

describe('in a federated graph', () => {
  let ratings: ApolloServer;
  let ratingsUrl: string;
  let featured: string[] = [];
  beforeAll(async () => {
    ratings = new ApolloServer({
      schema: buildSubgraphSchema([
        {
          typeDefs: parse(RATINGS_SDL),
          resolvers: {
            Query: { featuredHubs: () => featured.map((hubId) => ({ hubId })) },
            Hub: { __resolveReference: (reference: { hubId: string }) => ({ hubId: reference.hubId, rating: reference.hubId.length }), rating: (hub: { rating: number }) => hub.rating },
          } as never,
        },
      ]),
    });
    ({ url: ratingsUrl } = await startStandaloneServer(ratings, { listen: { port: 0, host: '127.0.0.1' } }));
  });
  afterAll(() => ratings.stop());

  const subgraphs = () => [
    { name: 'hubs', typeDefs: parse(readFileSync(SUBGRAPH_SCHEMA_FILE, 'utf8')), url: `${gateway.url}/graphql` },
    { name: 'ratings', typeDefs: parse(RATINGS_SDL), url: ratingsUrl },
  ];

  test('when composed with a subgraph that extends Hub, then composition succeeds', () => {
    const composed = composeServices(subgraphs());
    expect(composed.errors).toBeUndefined();
    expect(composed.supergraphSdl).toMatch(/type Hub\s+@join__type\(graph: HUBS, key: "hubId"\)\s+@join__type\(graph: RATINGS, key: "hubId"\)/);
  });

  test("when a query crosses both subgraphs through @apollo/gateway with the caller's token, then hubs resolve in its tenant only", async () => {
    const { supergraphSdl } = composeServices(subgraphs());
    const router = new ApolloServer<{ authorization?: string }>({
      gateway: new ApolloGateway({
        supergraphSdl: supergraphSdl!,
        buildService: ({ url }) =>
          new RemoteGraphQLDataSource<{ authorization?: string }>({
            url,
            willSendRequest({ request, context }) {
              if (context.authorization !== undefined) request.http?.headers.set('authorization', context.authorization);
            },
          }),
      }),
    });
    const { url } = await startStandaloneServer(router, { listen: { port: 0, host: '127.0.0.1' }, context: async ({ req }) => ({ authorization: req.headers.authorization }) });
    try {
      const token = await tokenFor(newTenant());
      const mine = await createHub(token, 'Mine');
      const theirs = await createHub(await tokenFor(newTenant()), 'Theirs');
      featured = [mine, theirs];
      const ask = async (query: string, variables: Record<string, unknown> = {}) => {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
        return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
      };
      // From this gateway to the ratings subgraph: a field another team adds to Hub.
      expect(await ask('query ($hubId: ID!) { hub(hubId: $hubId) { name rating } }', { hubId: mine })).toEqual({ data: { hub: { name: 'Mine', rating: mine.length } } });
      // From the ratings subgraph to this one, through _entities: another tenant's hub is not seen.
      const crossed = await ask('{ featuredHubs { hubId name } }');
      expect(crossed.data).toEqual({ featuredHubs: [{ hubId: mine, name: 'Mine' }, null] });
    } finally {
      await router.stop();
    }
  });
});
