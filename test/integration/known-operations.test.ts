import { ApolloServer } from '@apollo/server';
import { HubResolver } from '../../src/hubs/hub.resolver';
import { gatewayWithTenant, rest } from '../support/gateway';

/**
 * The short way through for queries sent again (src/graphql/known-operations.ts): what it answers
 * must be, byte for byte, what Apollo's own pipeline answers for the same request.
 */
const suite = gatewayWithTenant({ GRAPHQL_MAX_COST: '400' });

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | null>;
  readonly text: string;
}

/** The headers an answer's meaning depends on (a request id differs on every request). */
const COMPARED_HEADERS = ['content-type', 'content-length', 'cache-control', 'x-content-type-options', 'retry-after'];

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Raw> {
  const response = await fetch(`${suite.gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${suite.token}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: Object.fromEntries(COMPARED_HEADERS.map((name) => [name, response.headers.get(name)])), text: await response.text() };
}

/** How many requests reached Apollo's pipeline while `body` ran. */
async function throughApollo<T>(body: () => Promise<T>): Promise<{ answer: T; calls: number }> {
  const spy = jest.spyOn(ApolloServer.prototype, 'executeHTTPGraphQLRequest');
  try {
    const answer = await body();
    return { answer, calls: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
}

async function createHubs(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await rest<{ hubId: string }>(suite.gateway, 'POST', '/api/v1/hubs', { token: suite.token, body: { name: `Known ${i}`, description: 'd' } });
    ids.push(created.body.hubId);
  }
  return ids;
}

const HUB = 'query KnownHub($id: ID!) { hub(hubId: $id) { hubId name description status version createdAt } }';
const PAGE = 'query KnownPage($size: Int!) { hubs(pageSize: $size) { total pageSize results { hubId name } } }';
const CREATE = 'mutation Create($name: String!) { createHub(input: { name: $name, description: "" }) { name } }';
const CONNECTION = '{ hubConnection(first: 2) { pageInfo { hasNextPage endCursor } edges { cursor node { name } } } }';

describe('a query sent again', () => {
  test.each([
    ['a hub', HUB, (ids: string[]) => ({ id: ids[0] }), {}],
    ['a page', PAGE, () => ({ size: 2 }), {}],
    ['a connection page, asked for as graphql-response+json', CONNECTION, () => undefined, { accept: 'application/graphql-response+json' }],
    ['a hub, asked for as either media type', HUB, (ids: string[]) => ({ id: ids[1] }), { accept: 'application/graphql-response+json;q=0.5, application/json' }],
  ])('when %s is asked for a second time, then Apollo\'s pipeline is skipped and the answer is the same, byte for byte', async (name, query, variablesOf, headers) => {
    const ids = await createHubs(3);
    // A text of the case's own: no other test has made it known.
    const body = { query: `${query}\n# ${name}`, variables: variablesOf(ids) };
    const first = await throughApollo(() => post(body, headers));
    const again = await throughApollo(() => post(body, headers));
    expect(first.calls).toBe(1);
    expect(again.calls).toBe(0);
    expect(first.answer.status).toBe(200);
    expect(again.answer).toEqual(first.answer);
    expect(JSON.parse(again.answer.text).errors).toBeUndefined();
  });

  test('when a known query runs with other variables, then it answers for those variables', async () => {
    const ids = await createHubs(2);
    await post({ query: HUB, variables: { id: ids[0] } });
    const { answer, calls } = await throughApollo(() => post({ query: HUB, variables: { id: ids[1] } }));
    expect(calls).toBe(0);
    expect(JSON.parse(answer.text).data.hub).toMatchObject({ hubId: ids[1], name: 'Known 1' });
  });

  test('when a known query is sent again, then the metrics count it under its operation name', async () => {
    const [id] = await createHubs(1);
    const count = async () => {
      const text = await (await fetch(`${suite.gateway.url}/metrics`)).text();
      return [...text.matchAll(/^graphql_operations_total\{([^}]*)\} (\S+)$/gm)].filter((match) => match[1]!.includes('operation="KnownHub"')).reduce((sum, match) => sum + Number(match[2]), 0);
    };
    const before = await count();
    await post({ query: HUB, variables: { id } });
    const again = await throughApollo(() => post({ query: HUB, variables: { id } }));
    expect(again.calls).toBe(0);
    expect((await count()) - before).toBe(2);
  });
});

describe('what Apollo still answers', () => {
  /** The answer Apollo gives a text it has not seen: the same query with a space more at its end. */
  const unseen = (query: string) => `${query} `;

  test('when a known query\'s variables cost more than the limit, then it is refused as Apollo refuses it', async () => {
    await post({ query: PAGE, variables: { size: 2 } });
    const { answer, calls } = await throughApollo(() => post({ query: PAGE, variables: { size: 100 } }));
    expect(calls).toBe(1);
    expect(answer.status).toBe(400);
    expect(answer).toEqual(await post({ query: unseen(PAGE), variables: { size: 100 } }));
  });

  test('when a known query\'s variables are not valid, then the problems are Apollo\'s and no resolver runs', async () => {
    const [id] = await createHubs(1);
    await post({ query: HUB, variables: { id } });
    const resolver = jest.spyOn(HubResolver.prototype, 'hub');
    try {
      const { answer, calls } = await throughApollo(() => post({ query: HUB, variables: { id: null } }));
      expect(calls).toBe(1);
      expect(resolver).not.toHaveBeenCalled();
      expect(answer.status).toBe(400);
      expect(answer).toEqual(await post({ query: unseen(HUB), variables: { id: null } }));
    } finally {
      resolver.mockRestore();
    }
  });

  test('when a known query\'s result has an error, then Apollo words it from the one execution', async () => {
    const [id] = await createHubs(1);
    await post({ query: HUB, variables: { id } });
    const resolver = jest.spyOn(HubResolver.prototype, 'hub');
    try {
      const { answer, calls } = await throughApollo(() => post({ query: HUB, variables: { id: 'not-a-hub-id' } }));
      expect(calls).toBe(1);
      expect(resolver).toHaveBeenCalledTimes(1);
      const expected = await post({ query: unseen(HUB), variables: { id: 'not-a-hub-id' } });
      expect(JSON.parse(answer.text).errors).toHaveLength(1);
      expect(answer).toEqual(expected);
    } finally {
      resolver.mockRestore();
    }
  });

  test('when a known query asks for a media type Apollo does not serve, then it is refused as Apollo refuses it', async () => {
    const [id] = await createHubs(1);
    await post({ query: HUB, variables: { id } });
    const { answer, calls } = await throughApollo(() => post({ query: HUB, variables: { id } }, { accept: 'application/xml' }));
    expect(calls).toBe(1);
    expect(answer.status).toBe(406);
  });

  test.each([
    ['a mutation sent again', { query: CREATE, variables: { name: 'Twice 1' } }, { query: CREATE, variables: { name: 'Twice 2' } }],
    ['a persisted-query extension', { query: '{ hubs { total } }' }, { query: '{ hubs { total } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x'.repeat(64) } } }],
  ])('when %s comes, then Apollo answers it', async (_case, first, second) => {
    await post(first);
    const { calls } = await throughApollo(() => post(second));
    expect(calls).toBe(1);
  });

  test('when a query is sent with GET, then Apollo answers it each time', async () => {
    const get = () => fetch(`${suite.gateway.url}/graphql?query=${encodeURIComponent('{ hubs { total } }')}`, { headers: { authorization: `Bearer ${suite.token}` } });
    await get();
    const { answer, calls } = await throughApollo(async () => (await get()).status);
    expect(answer).toBe(200);
    expect(calls).toBe(1);
  });
});
