import { SignJWT } from 'jose';
import { RawConnection } from '../support/raw-http';
import {
  gatewayWithTenant,
  newTenant,
  REST_HUB_KEYS,
  rest,
  startGateway,
  TEST_SECRET,
  tokenFor,
  type RestResult,
} from '../support/gateway';

/** The seed page's example request body, verbatim. */
const SEED_BODY = {
  name: 'Your New Cool Hub Name',
  description: 'This hub is cool',
  closeDormantConversation: 30,
  statusId: 2000,
};
const ABSENT = '3bc1e69f-c520-446f-ab2c-01751fd66a31';
const HUBS = '/api/v1/hubs';

type Hub = typeof SEED_BODY & { hubId: string; tenantId: string };
type ErrorBody = { status: number; errors: { code: number; description: string }[] };

const suite = gatewayWithTenant();

async function create(body: Record<string, unknown> = SEED_BODY): Promise<Hub> {
  const result = await rest<Hub>(suite.gateway, 'POST', HUBS, { token: suite.token, body });
  expect(result.status).toBe(200);
  return result.body;
}

/** Asserts Hubster's error body and answers its codes, in order. */
function codesOf(result: RestResult<unknown>, status: number): number[] {
  const body = result.body as ErrorBody;
  expect(result.status).toBe(status);
  expect(body.status).toBe(status);
  expect(Object.keys(body).sort()).toEqual(['errors', 'status']);
  for (const entry of body.errors) {
    expect(entry.description).toMatch(new RegExp(`\\(code: PRT${String(entry.code).padStart(6, '0')}\\)$`));
  }
  return body.errors.map((entry) => entry.code);
}

describe('the seed page examples, sent as written', () => {
  test('when the example body is POSTed, then 200 with exactly the documented fields', async () => {
    const result = await rest<Hub>(suite.gateway, 'POST', HUBS, { token: suite.token, body: SEED_BODY });
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(result.body).sort()).toEqual(REST_HUB_KEYS);
    expect(result.body).toEqual({ ...SEED_BODY, hubId: expect.stringMatching(/^[0-9a-f-]{36}$/), tenantId: suite.tenantId });
  });

  test('when the example body is PUT onto a hub, then 200 with the hub', async () => {
    const hub = await create({ name: 'Old name', description: 'old', statusId: 2002 });
    const result = await rest<Hub>(suite.gateway, 'PUT', `${HUBS}/${hub.hubId}`, { token: suite.token, body: SEED_BODY });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ ...SEED_BODY, hubId: hub.hubId, tenantId: suite.tenantId });
  });

  test('when GET and DELETE are sent with Content-Type: application/json and no body, then 200 with the hub', async () => {
    const hub = await create();
    const headers = { 'content-type': 'application/json' };
    const got = await rest<Hub>(suite.gateway, 'GET', `${HUBS}/${hub.hubId}`, { token: suite.token, headers });
    expect(got).toMatchObject({ status: 200, body: hub });
    const deleted = await rest<Hub>(suite.gateway, 'DELETE', `${HUBS}/${hub.hubId}`, { token: suite.token, headers });
    expect(deleted).toMatchObject({ status: 200, body: hub });
    expect(codesOf(await rest(suite.gateway, 'GET', `${HUBS}/${hub.hubId}`, { token: suite.token }), 404)).toEqual([699]);
  });

  test('when the collection is read, then {pageNumber, pageSize, total, results} with the defaults', async () => {
    const first = await create();
    const second = await create({ ...SEED_BODY, name: 'Your New Cool Hub Name 2', description: 'This hub is cool 2' });
    const result = await rest(suite.gateway, 'GET', HUBS, { token: suite.token, headers: { 'content-type': 'application/json' } });
    expect(result).toMatchObject({ status: 200, body: { pageNumber: 0, pageSize: 50, total: 2, results: [first, second] } });
    expect(Object.keys(result.body)).toEqual(['pageNumber', 'pageSize', 'total', 'results']);
  });
});

describe('updates', () => {
  test('when PUT has some properties, then only they change (statusId is never reset)', async () => {
    const hub = await create({ ...SEED_BODY, statusId: 2002 });
    const result = await rest<Hub>(suite.gateway, 'PUT', `${HUBS}/${hub.hubId}`, { token: suite.token, body: { description: 'new' } });
    expect(result.body).toEqual({ ...hub, description: 'new' });
  });

  test('when PUT sends back what GET answered, with unknown properties, then it is accepted and nothing changes', async () => {
    const hub = await create();
    const body = { ...hub, tenantId: newTenant(), hubId: ABSENT, createdAt: 'yesterday', extra: { deep: [1] } };
    const result = await rest<Hub>(suite.gateway, 'PUT', `${HUBS}/${hub.hubId}`, { token: suite.token, body });
    expect(result).toMatchObject({ status: 200, body: hub });
  });

  test('when closeDormantConversation is null, then it becomes 0', async () => {
    const hub = await create();
    const result = await rest<Hub>(suite.gateway, 'PUT', `${HUBS}/${hub.hubId}`, { token: suite.token, body: { closeDormantConversation: null } });
    expect(result.body.closeDormantConversation).toBe(0);
  });

  test('when a create names another tenant, then the hub is still created in the token tenant', async () => {
    const hub = await create({ ...SEED_BODY, tenantId: newTenant(), hubId: ABSENT });
    expect(hub.tenantId).toBe(suite.tenantId);
    expect(hub.hubId).not.toBe(ABSENT);
  });

  test('when a hub id is sent in upper case or the collection with a trailing slash, then they are understood', async () => {
    const hub = await create();
    expect((await rest(suite.gateway, 'GET', `${HUBS}/${hub.hubId.toUpperCase()}`, { token: suite.token })).body).toEqual(hub);
    expect((await rest(suite.gateway, 'GET', `${HUBS}/`, { token: suite.token })).body).toMatchObject({ total: 1 });
  });
});

describe('every row of the error table', () => {
  test('when something unexpected fails, then 500 with code 100 and no internals', async () => {
    const broken = await startGateway();
    await broken.database.close();
    const result = await rest(broken, 'GET', HUBS, { token: suite.token });
    expect(codesOf(result, 500)).toEqual([100]);
    expect(result.text).not.toMatch(/driver|pool|connect|typeorm|stack/i);
    await broken.app.close();
  });

  test('when the scope is missing, then 403 with code 101, before the body is even checked', async () => {
    const reader = await tokenFor(suite.tenantId, ['hubs:read']);
    expect(codesOf(await rest(suite.gateway, 'POST', HUBS, { token: reader, body: SEED_BODY }), 403)).toEqual([101]);
    expect(codesOf(await rest(suite.gateway, 'POST', HUBS, { token: reader, body: { name: 5 } }), 403)).toEqual([101]);
    expect(codesOf(await rest(suite.gateway, 'DELETE', `${HUBS}/${ABSENT}`, { token: reader }), 403)).toEqual([101]);
    const nobody = await tokenFor(suite.tenantId, []);
    expect(codesOf(await rest(suite.gateway, 'GET', HUBS, { token: nobody }), 403)).toEqual([101]);
  });

  const sign = (payload: Record<string, unknown>, secret = TEST_SECRET, expiresIn: string | number = '10m') =>
    new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
  const unsigned = (payload: Record<string, unknown>) =>
    `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

  test.each<[string, () => Promise<string | undefined>]>([
    ['no token', async () => undefined],
    ['a malformed token', async () => 'Bearer not.a.jwt'],
    ['another scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['an expired token', async () => `Bearer ${await sign({ tenantId: newTenant(), scope: 'hubs:read' }, TEST_SECRET, Math.floor(Date.now() / 1000) - 5)}`],
    ['a token signed with another key', async () => `Bearer ${await sign({ tenantId: newTenant(), scope: 'hubs:read' }, 'another-secret-of-at-least-32-bytes-long')}`],
    ['an alg:none token', async () => `Bearer ${unsigned({ tenantId: newTenant(), scope: 'hubs:read' })}`],
    ['a token without tenant', async () => `Bearer ${await sign({ scope: 'hubs:read' })}`],
    ['a tenant that is not a GUID', async () => `Bearer ${await sign({ tenantId: 'acme', scope: 'hubs:read' })}`],
    ['a valid token padded past 8 KiB', async () => `Bearer ${' '.repeat(8 * 1024)}${await sign({ tenantId: newTenant(), scope: 'hubs:read' })}`],
  ])('when the request has %s, then 401 with code 102', async (_case, authorization) => {
    const header = await authorization();
    const result = await rest(suite.gateway, 'GET', HUBS, { headers: header === undefined ? {} : { authorization: header } });
    expect(codesOf(result, 401)).toEqual([102]);
  });

  test('when the request has two Authorization headers, even both valid, then 401 with code 102 on REST and GraphQL', async () => {
    const token = `Bearer ${await sign({ tenantId: newTenant(), scope: 'hubs:read' })}`;
    for (const [path, method, body] of [[HUBS, 'GET', ''], ['/graphql', 'POST', '{"query":"{ hubs { total } }"}']] as const) {
      const connection = new RawConnection(suite.gateway.url);
      connection.write(
        `${method} ${path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: ${token}\r\nAuthorization: ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      await connection.closed;
      const [response] = connection.responses();
      expect(response?.status).toBe(401);
      expect(response?.body).toContain('PRT000102');
    }
  });

  test('when there is no token, then 401 even for a bad body', async () => {
    expect(codesOf(await rest(suite.gateway, 'POST', HUBS, { raw: '{bad' }), 401)).toEqual([102]);
  });

  test('when the body is over 1 MiB, then 413 with code 113', async () => {
    const result = await rest(suite.gateway, 'POST', HUBS, { token: suite.token, body: { ...SEED_BODY, description: 'x'.repeat(1024 * 1024) } });
    expect(codesOf(result, 413)).toEqual([113]);
  });

  test.each<[string, Record<string, unknown>, number[]]>([
    ['statusId 2001', { ...SEED_BODY, statusId: 2001 }, [206]],
    ['a name of 101 characters', { ...SEED_BODY, name: 'n'.repeat(101) }, [207]],
    ['a name of only spaces', { ...SEED_BODY, name: '    ' }, [207]],
    ['an empty name', { ...SEED_BODY, name: '' }, [207]],
    ['a description of 1001 characters', { ...SEED_BODY, description: 'd'.repeat(1001) }, [207]],
    ['closeDormantConversation 3651', { ...SEED_BODY, closeDormantConversation: 3651 }, [207]],
    ['closeDormantConversation -1', { ...SEED_BODY, closeDormantConversation: -1 }, [207]],
    ['no name', { description: 'x' }, [301]],
    ['no description', { name: 'x' }, [301]],
    ['a number as name', { ...SEED_BODY, name: 42 }, [302]],
    ['a null name', { ...SEED_BODY, name: null }, [302]],
    ['a null statusId', { ...SEED_BODY, statusId: null }, [302]],
    ['a quoted statusId', { ...SEED_BODY, statusId: '2000' }, [302]],
    ['a quoted closeDormantConversation', { ...SEED_BODY, closeDormantConversation: '30' }, [302]],
    ['a fractional closeDormantConversation', { ...SEED_BODY, closeDormantConversation: 1.5 }, [302]],
    ['a boolean description', { ...SEED_BODY, description: true }, [302]],
    ['a NUL in the name', { ...SEED_BODY, name: 'a\u0000b' }, [302]],
    ['an unpaired surrogate in the description', { ...SEED_BODY, description: 'x\udfffy' }, [302]],
    ['four problems at once', { name: 42, closeDormantConversation: 9999, statusId: 1 }, [302, 301, 207, 206]],
  ])('when a create has %s, then 400 with codes %j', async (_case, body, codes) => {
    expect(codesOf(await rest(suite.gateway, 'POST', HUBS, { token: suite.token, body }), 400)).toEqual(codes);
    expect((await rest(suite.gateway, 'GET', HUBS, { token: suite.token })).body).toMatchObject({ total: 0 });
  });

  test('when a problem is reported, then its description names the property and the fix', async () => {
    const result = await rest<ErrorBody>(suite.gateway, 'POST', HUBS, { token: suite.token, body: { description: 'x' } });
    expect(result.body).toEqual({ status: 400, errors: [{ code: 301, description: "Property 'name' is required. (code: PRT000301)" }] });
  });

  test.each<[string, string, number[]]>([
    ['pageSize=0', '?pageSize=0', [207]],
    ['pageSize=101', '?pageSize=101', [207]],
    ['pageNumber=-1', '?pageNumber=-1', [209]],
    ['pageNumber=abc', '?pageNumber=abc', [210]],
    ['pageSize=1.5', '?pageSize=1.5', [210]],
    ['pageNumber=-1&pageSize=500', '?pageNumber=-1&pageSize=500', [209, 207]],
    // Only decimal integers as written (CONTRACT.md section 3, "Query arguments").
    ['pageSize=0x10 (hexadecimal)', '?pageSize=0x10', [210]],
    ['pageSize=1e1 (an exponent)', '?pageSize=1e1', [210]],
    ['pageSize=+5 (a plus sign)', '?pageSize=%2B5', [210]],
    ['pageSize=1.0', '?pageSize=1.0', [210]],
    ['pageSize="1 " (a trailing space)', '?pageSize=1%20', [210]],
    ['pageNumber=1e308', '?pageNumber=1e308', [210]],
    ['pageSize= (empty)', '?pageSize=', [210]],
    ['a repeated pageSize', '?pageSize=1&pageSize=2', [210]],
    ['a repeated pageNumber', '?pageNumber=0&pageNumber=0', [210]],
  ])('when the collection is asked with %s, then 400 with codes %j', async (_case, query, codes) => {
    expect(codesOf(await rest(suite.gateway, 'GET', `${HUBS}${query}`, { token: suite.token }), 400)).toEqual(codes);
  });

  test('when paging arguments are decimal integers as written, then they are read as such', async () => {
    expect((await rest(suite.gateway, 'GET', `${HUBS}?pageNumber=-0&pageSize=010`, { token: suite.token })).body).toMatchObject({ pageNumber: 0, pageSize: 10 });
    expect((await rest(suite.gateway, 'GET', `${HUBS}?pageNumber=99999999999999999999&pageSize=1`, { token: suite.token })).body).toMatchObject({ total: 0, results: [] });
  });

  test.each<[string, { raw?: string; headers?: Record<string, string> }]>([
    ['no body', {}],
    ['malformed JSON', { raw: '{"name": ' }],
    ['a JSON array', { raw: '[{"name":"x","description":"y"}]' }],
    ['a JSON string', { raw: '"hub"' }],
    ['JSON null', { raw: 'null' }],
    ['a text/plain body', { raw: 'name=x', headers: { 'content-type': 'text/plain' } }],
  ])('when a create has %s, then 400 with code 300', async (_case, options) => {
    expect(codesOf(await rest(suite.gateway, 'POST', HUBS, { token: suite.token, ...options }), 400)).toEqual([300]);
  });

  test.each([['GET'], ['PUT'], ['DELETE']])('when %s names a hubId that is not a GUID, then 400 with code 305', async (method) => {
    const result = await rest(suite.gateway, method, `${HUBS}/not-a-guid`, { token: suite.token, body: method === 'PUT' ? { name: 'x' } : undefined });
    expect(codesOf(result, 400)).toEqual([305]);
  });

  test('when the name exists in the tenant in another case, then 400 with code 600', async () => {
    await create();
    const result = await rest(suite.gateway, 'POST', HUBS, { token: suite.token, body: { ...SEED_BODY, name: ' YOUR NEW COOL HUB NAME ' } });
    expect(codesOf(result, 400)).toEqual([600]);
  });

  test('when a rename takes another hub name, then 400 with code 600', async () => {
    await create();
    const other = await create({ ...SEED_BODY, name: 'Other' });
    const result = await rest(suite.gateway, 'PUT', `${HUBS}/${other.hubId}`, { token: suite.token, body: { name: SEED_BODY.name } });
    expect(codesOf(result, 400)).toEqual([600]);
  });

  test.each([['GET'], ['PUT'], ['DELETE']])('when %s names an absent hub or another tenant hub, then 404 with code 699', async (method) => {
    const theirs = await create();
    const stranger = await tokenFor(newTenant());
    for (const [hubId, as] of [[ABSENT, suite.token], [theirs.hubId, stranger]] as const) {
      const result = await rest(suite.gateway, method, `${HUBS}/${hubId}`, { token: as, body: method === 'PUT' ? { name: 'x' } : undefined });
      expect(codesOf(result, 404)).toEqual([699]);
    }
  });

  test('when a route does not exist, then 404 in the same body', async () => {
    expect(codesOf(await rest(suite.gateway, 'GET', '/api/v1/nothing', { token: suite.token }), 404)).toEqual([699]);
  });
});

describe('browsers and request ids', () => {
  test('when a browser sends a preflight for Authorization, then it is allowed from any origin by default', async () => {
    const result = await rest(suite.gateway, 'OPTIONS', HUBS, {
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(result.status).toBe(204);
    expect(result.headers.get('access-control-allow-origin')).toBe('*');
    expect(result.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(result.headers.get('access-control-allow-methods')).toContain('PUT');
  });

  test('when CORS_ORIGINS lists origins, then only those are allowed', async () => {
    const strict = await startGateway({ CORS_ORIGINS: 'https://app.example.com' });
    try {
      const allowed = await rest(strict, 'GET', HUBS, { token: suite.token, headers: { origin: 'https://app.example.com' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const other = await rest(strict, 'GET', HUBS, { token: suite.token, headers: { origin: 'https://evil.example.com' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await strict.close();
    }
  });

  test('when a REST call carries x-request-id, then the response carries it back', async () => {
    const result = await rest(suite.gateway, 'GET', HUBS, { token: suite.token, headers: { 'x-request-id': 'rest-42' } });
    expect(result.headers.get('x-request-id')).toBe('rest-42');
  });
});
