import { getIntrospectionQuery } from 'graphql';
import {
  gatewayWithTenant,
  graphql,
  HUB_FIELDS,
  LogCapture,
  newTenant,
  startGateway,
  tokenFor,
  type GraphQLResult,
  type TestGateway,
} from '../support/gateway';

const suite = gatewayWithTenant();

const CREATE = `mutation Create($input: CreateHubInput!) { createHub(input: $input) { ${HUB_FIELDS} } }`;
const UPDATE = `mutation Update($hubId: ID!, $input: UpdateHubInput!) { updateHub(hubId: $hubId, input: $input) { ${HUB_FIELDS} } }`;
const DELETE = `mutation Delete($hubId: ID!) { deleteHub(hubId: $hubId) { ${HUB_FIELDS} } }`;
const GET = `query Get($hubId: ID!) { hub(hubId: $hubId) { ${HUB_FIELDS} } }`;
const LIST = `query List($pageNumber: Int!, $pageSize: Int!) { hubs(pageNumber: $pageNumber, pageSize: $pageSize) { pageNumber pageSize total results { hubId name } } }`;
const ABSENT_HUB = '3bc1e69f-c520-446f-ab2c-01751fd66a31';

type HubData = Record<string, unknown> & { hubId: string };

async function create(input: Record<string, unknown>, as = suite.token): Promise<HubData> {
  const result = await graphql<{ createHub: HubData }>(suite.gateway, CREATE, { variables: { input }, token: as });
  expect(result.body.errors).toBeUndefined();
  return result.body.data!.createHub;
}

function onlyError(result: GraphQLResult) {
  expect(result.body.errors).toHaveLength(1);
  return result.body.errors![0]!;
}

describe('queries and mutations', () => {
  test('when a hub is created, then every field of the contract is answered', async () => {
    const hub = await create({ name: ' Sales ', description: 'Sales hub', closeDormantConversation: 30, status: 'PAUSED' });
    expect(hub).toEqual({
      hubId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      tenantId: suite.tenantId,
      name: 'Sales',
      description: 'Sales hub',
      closeDormantConversation: 30,
      statusId: 2002,
      status: 'PAUSED',
      version: 1,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.any(String),
    });
  });

  test('when optional fields are absent or closeDormantConversation is null, then the defaults apply', async () => {
    const hub = await create({ name: 'Defaults', description: '', closeDormantConversation: null });
    expect(hub).toMatchObject({ closeDormantConversation: 0, statusId: 2000, status: 'ACTIVE' });
  });

  test('when a hub is read, then it is answered; when absent, then null', async () => {
    const hub = await create({ name: 'Readable', description: 'x' });
    const found = await graphql(suite.gateway, GET, { variables: { hubId: hub.hubId }, token: suite.token });
    expect(found.body).toEqual({ data: { hub } });
    const absent = await graphql(suite.gateway, GET, { variables: { hubId: ABSENT_HUB }, token: suite.token });
    expect(absent.body).toEqual({ data: { hub: null } });
  });

  test('when hubs are listed without arguments, then page 0 of 50 comes back with the total', async () => {
    await create({ name: 'One', description: 'x' });
    await create({ name: 'Two', description: 'x' });
    const result = await graphql(suite.gateway, '{ hubs { pageNumber pageSize total results { name } } }', { token: suite.token });
    expect(result.body).toEqual({
      data: { hubs: { pageNumber: 0, pageSize: 50, total: 2, results: [{ name: 'One' }, { name: 'Two' }] } },
    });
  });

  test('when paging, then the requested page and size are answered', async () => {
    for (const name of ['a', 'b', 'c']) await create({ name, description: 'x' });
    const result = await graphql(suite.gateway, LIST, { variables: { pageNumber: 1, pageSize: 2 }, token: suite.token });
    expect(result.body.data).toEqual({ hubs: { pageNumber: 1, pageSize: 2, total: 3, results: [{ hubId: expect.any(String), name: 'c' }] } });
  });

  test('when a hub is updated, then only the given fields change', async () => {
    const hub = await create({ name: 'Before', description: 'kept', closeDormantConversation: 7, status: 'PAUSED' });
    const result = await graphql(suite.gateway, UPDATE, { variables: { hubId: hub.hubId, input: { name: 'After' } }, token: suite.token });
    expect(result.body.data?.updateHub).toMatchObject({ name: 'After', description: 'kept', closeDormantConversation: 7, status: 'PAUSED' });
  });

  test('when a hub is deleted, then the deleted hub is answered and it is gone', async () => {
    const hub = await create({ name: 'Doomed', description: 'x' });
    const deleted = await graphql(suite.gateway, DELETE, { variables: { hubId: hub.hubId }, token: suite.token });
    expect(deleted.body).toEqual({ data: { deleteHub: hub } });
    const again = await graphql(suite.gateway, GET, { variables: { hubId: hub.hubId }, token: suite.token });
    expect(again.body.data).toEqual({ hub: null });
  });
});

describe('error codes', () => {
  test('when the input breaks several rules, then one BAD_USER_INPUT lists every problem', async () => {
    const result = await graphql(suite.gateway, CREATE, {
      variables: { input: { name: '   ', description: 'd'.repeat(1001), closeDormantConversation: 4000 } },
      token: suite.token,
    });
    expect(result.status).toBe(200);
    const error = onlyError(result);
    expect(error.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      errorCode: 'PRT000207',
      problems: [
        { path: 'input.name', errorCode: 'PRT000207', message: "Property 'name' must be between 1 and 100 characters long." },
        { path: 'input.description', errorCode: 'PRT000207', message: "Property 'description' must be at most 1000 characters long." },
        { path: 'input.closeDormantConversation', errorCode: 'PRT000207', message: "Property 'closeDormantConversation' must be between 0 and 3650." },
      ],
    });
    expect(error.path).toEqual(['createHub']);
  });

  test('when status or name is explicitly null in an update, then it is a wrong type named as GraphQL names it', async () => {
    const hub = await create({ name: 'Nulls', description: 'x' });
    const result = await graphql(suite.gateway, UPDATE, { variables: { hubId: hub.hubId, input: { name: null, status: null } }, token: suite.token });
    expect(onlyError(result).extensions.problems).toEqual([
      { path: 'input.name', errorCode: 'PRT000302', message: "Property 'name' must be a string." },
      { path: 'input.status', errorCode: 'PRT000302', message: "Property 'status' must be ACTIVE or PAUSED." },
    ]);
  });

  test('when a hubId is not a GUID, then BAD_USER_INPUT with PRT000305', async () => {
    const result = await graphql(suite.gateway, GET, { variables: { hubId: 'not-a-guid' }, token: suite.token });
    expect(onlyError(result).extensions).toMatchObject({ code: 'BAD_USER_INPUT', errorCode: 'PRT000305', problems: [{ path: 'hubId' }] });
  });

  test.each([
    [{ pageNumber: -1, pageSize: 10 }, 'PRT000209'],
    [{ pageNumber: 0, pageSize: 0 }, 'PRT000207'],
    [{ pageNumber: 0, pageSize: 101 }, 'PRT000207'],
  ])('when paging with %j, then BAD_USER_INPUT with %s', async (variables, errorCode) => {
    const result = await graphql(suite.gateway, LIST, { variables, token: suite.token });
    expect(onlyError(result).extensions).toMatchObject({ code: 'BAD_USER_INPUT', errorCode });
  });

  test('when variables have the wrong shape, then HTTP 400 and one BAD_USER_INPUT lists each problem before anything runs', async () => {
    const result = await graphql(suite.gateway, CREATE, {
      variables: { input: { name: 5, status: 'SLEEPING', closeDormantConversation: 2 ** 40, tenantId: ABSENT_HUB } },
      token: suite.token,
    });
    expect(result.status).toBe(400);
    expect(onlyError(result).extensions).toEqual({
      code: 'BAD_USER_INPUT',
      errorCode: 'PRT000302',
      problems: [
        { path: 'input.name', errorCode: 'PRT000302', message: "Property 'name' must be a string." },
        { path: 'input.description', errorCode: 'PRT000301', message: "Property 'description' is required." },
        { path: 'input.closeDormantConversation', errorCode: 'PRT000207', message: "Property 'closeDormantConversation' must be between 0 and 3650." },
        { path: 'input.status', errorCode: 'PRT000206', message: "Property 'status' must be ACTIVE or PAUSED." },
        { path: 'input.tenantId', errorCode: 'PRT000300', message: "Property 'tenantId' is not a field of this input." },
      ],
    });
    expect((await graphql(suite.gateway, '{ hubs { total } }', { token: suite.token })).body.data).toEqual({ hubs: { total: 0 } });
  });

  test('when a variable is named freely or missing, then the problem names the argument it feeds', async () => {
    const paging = await graphql(suite.gateway, 'query($size: Int!) { hubs(pageSize: $size) { total } }', { variables: { size: 'ten' }, token: suite.token });
    expect(onlyError(paging).extensions.problems).toEqual([
      { path: 'pageSize', errorCode: 'PRT000210', message: "Property 'pageSize' must be an integer." },
    ]);
    const missing = await graphql(suite.gateway, DELETE, { variables: {}, token: suite.token });
    expect(onlyError(missing).extensions.problems).toEqual([
      { path: 'hubId', errorCode: 'PRT000301', message: "Property 'hubId' is required." },
    ]);
  });

  test('when the name is taken, then CONFLICT with PRT000600', async () => {
    await create({ name: 'Unique', description: 'x' });
    const result = await graphql(suite.gateway, CREATE, { variables: { input: { name: 'UNIQUE', description: 'y' } }, token: suite.token });
    expect(onlyError(result)).toMatchObject({
      message: "A hub named 'UNIQUE' already exists.",
      extensions: { code: 'CONFLICT', errorCode: 'PRT000600' },
    });
  });

  test('when updating or deleting a missing hub, then NOT_FOUND with PRT000699', async () => {
    for (const [query, variables] of [
      [UPDATE, { hubId: ABSENT_HUB, input: { name: 'x' } }],
      [DELETE, { hubId: ABSENT_HUB }],
    ] as const) {
      const result = await graphql(suite.gateway, query, { variables, token: suite.token });
      expect(onlyError(result).extensions).toEqual({ code: 'NOT_FOUND', errorCode: 'PRT000699' });
    }
  });

  test('when a tenantId is smuggled into the input, then the operation is refused and the tenant never changes', async () => {
    const result = await graphql(suite.gateway, 'mutation { createHub(input: {name: "x", description: "y", tenantId: "3bc1e69f-c520-446f-ab2c-01751fd66a31"}) { hubId } }', { token: suite.token });
    expect(result.status).toBe(400);
    expect(onlyError(result).extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('who may do what', () => {
  test('when there is no token, then HTTP 401 UNAUTHENTICATED with PRT000102', async () => {
    const result = await graphql(suite.gateway, '{ hubs { total } }');
    expect(result.status).toBe(401);
    expect(result.body).toEqual({
      errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED', errorCode: 'PRT000102' } }],
    });
  });

  test.each([
    ['a garbage token', 'Bearer abc.def.ghi'],
    ['a non-Bearer scheme', 'Basic dXNlcjpwYXNz'],
  ])('when the request has %s, then HTTP 401', async (_case, authorization) => {
    const result = await graphql(suite.gateway, '{ hubs { total } }', { headers: { authorization } });
    expect(result.status).toBe(401);
    expect(onlyError(result).extensions.code).toBe('UNAUTHENTICATED');
  });

  test('when the token may only read, then reads work and mutations are FORBIDDEN with PRT000101', async () => {
    const reader = await tokenFor(suite.tenantId, ['hubs:read']);
    expect((await graphql(suite.gateway, '{ hubs { total } }', { token: reader })).body.data).toEqual({ hubs: { total: 0 } });
    const result = await graphql(suite.gateway, CREATE, { variables: { input: { name: 'x', description: 'y' } }, token: reader });
    expect(onlyError(result).extensions).toEqual({ code: 'FORBIDDEN', errorCode: 'PRT000101' });
  });

  test('when the token has no hub scope, then reads are FORBIDDEN too', async () => {
    const nobody = await tokenFor(suite.tenantId, ['profile']);
    const result = await graphql(suite.gateway, '{ hubs { total } }', { token: nobody });
    expect(onlyError(result).extensions.code).toBe('FORBIDDEN');
  });

  test("when another tenant's hub is addressed, then it is null, NOT_FOUND and never listed", async () => {
    const hub = await create({ name: 'Theirs', description: 'x' });
    const stranger = await tokenFor(newTenant());
    expect((await graphql(suite.gateway, GET, { variables: { hubId: hub.hubId }, token: stranger })).body.data).toEqual({ hub: null });
    const update = await graphql(suite.gateway, UPDATE, { variables: { hubId: hub.hubId, input: { name: 'Mine' } }, token: stranger });
    expect(onlyError(update).extensions.code).toBe('NOT_FOUND');
    const remove = await graphql(suite.gateway, DELETE, { variables: { hubId: hub.hubId }, token: stranger });
    expect(onlyError(remove).extensions.code).toBe('NOT_FOUND');
    expect((await graphql(suite.gateway, '{ hubs { total } }', { token: stranger })).body.data).toEqual({ hubs: { total: 0 } });
  });

  test.each([
    ['the standard introspection query', getIntrospectionQuery()],
    ['__typename alone', '{ __typename }'],
  ])('when %s is sent without a token, then it is answered', async (_case, query) => {
    const result = await graphql(suite.gateway, query);
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
  });

  test('when introspection is sent with an invalid token, then the token is still refused', async () => {
    const result = await graphql(suite.gateway, '{ __typename }', { headers: { authorization: 'Bearer a.b.c' } });
    expect(result.status).toBe(401);
  });

  test('when introspection is mixed with data and no token, then HTTP 401', async () => {
    expect((await graphql(suite.gateway, '{ __typename hubs { total } }')).status).toBe(401);
  });
});

describe('with introspection turned off', () => {
  let closed: TestGateway;
  beforeAll(async () => {
    closed = await startGateway({ GRAPHQL_INTROSPECTION: 'false' });
  });
  afterAll(() => closed.close());

  test('when introspection is sent without a token, then HTTP 401', async () => {
    expect((await graphql(closed, '{ __schema { types { name } } }')).status).toBe(401);
  });

  test('when introspection is sent with a token, then it is a validation error', async () => {
    const result = await graphql(closed, '{ __schema { types { name } } }', { token: suite.token });
    expect(result.status).toBe(400);
    expect(onlyError(result).extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('request ids and unexpected errors', () => {
  test("when the caller sends x-request-id, then it is echoed back; otherwise one is made", async () => {
    const own = await graphql(suite.gateway, '{ __typename }', { headers: { 'x-request-id': 'abc-123' } });
    expect(own.headers.get('x-request-id')).toBe('abc-123');
    const made = await graphql(suite.gateway, '{ __typename }');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('when something unexpected fails, then the client sees a masked INTERNAL_SERVER_ERROR and the log has the cause with the request id', async () => {
    const logs = new LogCapture();
    const broken = await startGateway({ LOG_LEVEL: 'error' }, { logStream: logs });
    // A pool that is gone is a failure no client can cause or fix.
    await broken.database.close();
    const result = await graphql(broken, '{ hubs { total } }', { token: suite.token, headers: { 'x-request-id': 'req-broken-1' } });
    const error = onlyError(result);
    expect(error.message).toBe('Internal server error.');
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', errorCode: 'PRT000100' });
    expect(JSON.stringify(result.body)).not.toMatch(/driver|pool|connect|typeorm/i);
    expect(logs.lines).toContainEqual(expect.objectContaining({ reqId: 'req-broken-1', msg: 'unexpected GraphQL error', err: expect.any(Object) }));
    await broken.app.close();
  });
});
