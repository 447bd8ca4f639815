import { getIntrospectionQuery, Lexer, Source, TokenKind } from 'graphql';
import {
  graphql,
  HUB_FIELDS,
  newTenant,
  startGateway,
  tokenFor,
  type GraphQLResult,
  type TestGateway,
} from '../support/gateway';

/** The default gateway, and one with limits low enough to reach with small queries. */
let standard: TestGateway;
let limited: TestGateway;
let token: string;

beforeAll(async () => {
  [standard, limited] = await Promise.all([
    startGateway(),
    startGateway({ GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_COST: '20' }),
  ]);
});
afterAll(() => Promise.all([standard.close(), limited.close()]));
beforeEach(async () => {
  token = await tokenFor(newTenant());
});

const LARGEST_PAGE = `{ hubs(pageSize: 100) { pageNumber pageSize total results { ${HUB_FIELDS} } } }`;

/** `count` aliased copies of `field` in one operation. */
function aliased(count: number, field: (index: number) => string, operation = 'query'): string {
  return `${operation} { ${Array.from({ length: count }, (_, index) => `a${index}: ${field(index)}`).join(' ')} }`;
}

/** A refusal is a validation error that ran nothing: HTTP 400, no data, no `http` in the extensions. */
function expectRefused(result: GraphQLResult, message: RegExp): void {
  expect(result.status).toBe(400);
  expect(result.body).toEqual({
    errors: [{ message: expect.stringMatching(message), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
  });
}

async function totalHubs(): Promise<number> {
  const result = await graphql<{ hubs: { total: number } }>(standard, '{ hubs { total } }', { token });
  expect(result.body.errors).toBeUndefined();
  return result.body.data!.hubs.total;
}

describe('depth', () => {
  test('when an operation is deeper than GRAPHQL_MAX_DEPTH, then it is refused with 400 before anything runs', async () => {
    const result = await graphql(limited, '{ hubs(pageSize: 1) { total } __type(name: "Hub") { fields { type { name } } } }', { token });
    expectRefused(result, /^The operation is 4 levels deep; at most 3 are allowed\.$/);
  });

  test('when introspection without a token is too deep, then it is refused with 400, not 401', async () => {
    const result = await graphql(limited, '{ __schema { types { fields { name } } } }');
    expectRefused(result, /^The operation is 4 levels deep; at most 3 are allowed\.$/);
  });

  test('when an operation is exactly GRAPHQL_MAX_DEPTH deep, then it runs', async () => {
    const result = await graphql(limited, '{ hubs(pageSize: 5) { results { name } } }', { token });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ data: { hubs: { results: [] } } });
  });
});

describe('cost', () => {
  test('when a page costs more than GRAPHQL_MAX_COST, then it is refused with the cost and the limit', async () => {
    const result = await graphql(limited, '{ hubs(pageSize: 10) { total results { name } } }', { token });
    expectRefused(result, /^The operation costs 31; at most 20 is allowed/);
  });

  test('when the page size comes from a variable, then the variable sets the cost', async () => {
    const query = 'query List($size: Int!) { hubs(pageSize: $size) { total } }';
    expect((await graphql(limited, query, { variables: { size: 19 }, token })).status).toBe(200);
    expectRefused(await graphql(limited, query, { variables: { size: 20 }, token }), /^The operation costs 21;/);
  });

  test('when a connection page is asked, then first or last sets its cost, and neither counts as 50', async () => {
    // 1 for the field, plus (nodes + name) per hub.
    expect((await graphql(limited, '{ hubConnection(first: 9) { nodes { name } } }', { token })).status).toBe(200);
    expectRefused(await graphql(limited, 'query P($n: Int) { hubConnection(last: $n) { nodes { name } } }', { variables: { n: 10 }, token }), /^The operation costs 21;/);
    expectRefused(await graphql(limited, '{ hubConnection { nodes { name } } }', { token }), /^The operation costs 101;/);
  });

  test('when a connection page of 100 asks for every field, then it costs 3001, within the default limit', async () => {
    const fields = `edges { cursor node { ${HUB_FIELDS} } } nodes { ${HUB_FIELDS} } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount`;
    expectRefused(await graphql(limited, `{ hubConnection(first: 100) { ${fields} } }`, { token }), /The operation costs 3001;/);
    expect((await graphql(standard, `{ hubConnection(first: 100) { ${fields} } }`, { token })).body.errors).toBeUndefined();
  });

  test('when a too costly mutation is refused, then no hub is created', async () => {
    const create = (index: number) => `createHub(input: { name: "Costly ${index}", description: "" }) { ${HUB_FIELDS} }`;
    const result = await graphql(limited, aliased(3, create, 'mutation'), { token });
    expectRefused(result, /^The operation costs 33; at most 20 is allowed/);
    expect(await totalHubs()).toBe(0);
  });

  test('when the page size is beyond 100, then the service answers BAD_USER_INPUT, not the cost check', async () => {
    const result = await graphql(standard, '{ hubs(pageSize: 100000) { total results { name } } }', { token });
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', errorCode: 'PRT000207' });
  });
});

describe('aliases', () => {
  test('when an operation has 100 aliases, then it runs', async () => {
    const result = await graphql(standard, aliased(100, () => '__typename'), { token });
    expect(result.status).toBe(200);
    expect(Object.keys(result.body.data ?? {})).toHaveLength(100);
  });

  test('when a mutation has 101 aliases, then it is refused and no hub is created', async () => {
    const create = (index: number) => `createHub(input: { name: "Aliased ${index}", description: "" }) { hubId }`;
    const result = await graphql(standard, aliased(101, create, 'mutation'), { token });
    expectRefused(result, /^The operation has 101 aliases; at most 100 are allowed\.$/);
    expect(await totalHubs()).toBe(0);
  });
});

describe('what the default limits allow', () => {
  test('when a playground sends the standard introspection query without a token, then it is answered', async () => {
    const result = await graphql<{ __schema: { types: { name: string }[] } }>(standard, getIntrospectionQuery());
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data!.__schema.types.map((type) => type.name)).toContain('HubPage');
  });

  test('when one page of 100 hubs asks for every field, then it is answered', async () => {
    const created = await graphql(standard, 'mutation { createHub(input: { name: "Largest", description: "" }) { hubId } }', { token });
    expect(created.body.errors).toBeUndefined();
    const result = await graphql<{ hubs: { pageSize: number; results: unknown[] } }>(standard, LARGEST_PAGE, { token });
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data!.hubs).toMatchObject({ pageSize: 100, results: [expect.objectContaining({ name: 'Largest' })] });
  });

  test('when a batch (a JSON array of operations) is sent, then it is refused with 400', async () => {
    const response = await fetch(`${standard.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }],
    });
  });
});

/**
 * Documents of more than 5000 tokens are refused while they are parsed (graphql-js `maxTokens`),
 * before any validation rule or the limits above look at them.
 */
describe('document size in tokens', () => {
  const MAX_TOKENS = 5000;

  function tokenCount(query: string): number {
    const lexer = new Lexer(new Source(query));
    let count = 0;
    while (lexer.advance().kind !== TokenKind.EOF) count++;
    return count;
  }

  const hubById = (index: number) => `hub(hubId: "00000000-0000-4000-8000-${String(index).padStart(12, '0')}") { ${HUB_FIELDS} }`;

  test('when the documents the limits let through are counted, then they stay well inside the budget', () => {
    const counts = {
      introspection: tokenCount(getIntrospectionQuery()),
      largestPage: tokenCount(LARGEST_PAGE),
      hundredHubsById: tokenCount(aliased(100, hubById)),
    };
    expect(counts).toEqual({ introspection: 163, largestPage: 26, hundredHubsById: 2003 });
    expect(Math.max(...Object.values(counts)) * 2).toBeLessThan(MAX_TOKENS);
  });

  test('when a document has more tokens than the budget, then it fails to parse with HTTP 400', async () => {
    const huge = aliased(2000, () => '__typename');
    expect(tokenCount(huge)).toBeGreaterThan(MAX_TOKENS);
    const result = await graphql(standard, huge, { token });
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});

describe('field suggestions', () => {
  const TYPO = '{ hubz { total } }';

  test('when introspection is on, then a typo gets a "did you mean" hint', async () => {
    const result = await graphql(standard, TYPO, { token });
    expect(result.body.errors?.[0]?.message).toMatch(/Did you mean .*"hubs"\?/);
  });

  test('when introspection is off, then the hint is hidden so the schema does not leak', async () => {
    const closed = await startGateway({ GRAPHQL_INTROSPECTION: 'false' });
    try {
      const result = await graphql(closed, TYPO, { token });
      expect(result.status).toBe(400);
      expect(result.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
    } finally {
      await closed.close();
    }
  });
});
