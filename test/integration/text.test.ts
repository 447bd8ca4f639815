import { Client } from 'pg';
import { migrateDatabase } from '../../src/db/migrations';
import { databaseUrl, gatewayWithTenant, rest, startGateway, type TestGateway } from '../support/gateway';

/**
 * Text is never silently corrupted (CONTRACT.md section 3): bytes that are not UTF-8 are refused,
 * and name uniqueness does not depend on the database's locale.
 */
const suite = gatewayWithTenant();

/** A JSON body whose `name` is `{"name":"` + the bytes + `","description":""}`. */
function bodyWithNameBytes(bytes: number[]): Buffer {
  return Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bytes), Buffer.from('","description":""}')]);
}

async function postBytes(path: string, body: Buffer): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${suite.gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${suite.token}` },
    body,
  });
  return { status: response.status, body: await response.json() };
}

describe('bytes that are not UTF-8', () => {
  test.each([
    ['a truncated sequence and a stray byte (C3 28 FF)', [0x43, 0xc3, 0x28, 0xff]],
    ['CESU-8, an encoded surrogate (ED A0 80)', [0x43, 0xed, 0xa0, 0x80]],
    ['an overlong encoding of "/" (C0 AF)', [0x43, 0xc0, 0xaf]],
  ])('when a REST body holds %s, then 400 with code 300, and nothing is stored', async (_case, bytes) => {
    const answer = await postBytes('/api/v1/hubs', bodyWithNameBytes(bytes));
    expect(answer).toEqual({
      status: 400,
      body: { status: 400, errors: [{ code: 300, description: 'The request body is not valid UTF-8. (code: PRT000300)' }] },
    });
    expect((await rest(suite.gateway, 'GET', '/api/v1/hubs', { token: suite.token })).body).toMatchObject({ total: 0 });
  });

  test('when a GraphQL body holds invalid UTF-8, then 400 BAD_USER_INPUT with PRT000300, and nothing runs', async () => {
    const query = Buffer.from('{"query":"mutation { createHub(input: {name: \\"C');
    const rest_ = Buffer.from('\\", description: \\"\\"}) { hubId } }"}');
    const answer = await postBytes('/graphql', Buffer.concat([query, Buffer.from([0xc3, 0x28]), rest_]));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', errorCode: 'PRT000300' }) })] });
    expect((await rest(suite.gateway, 'GET', '/api/v1/hubs', { token: suite.token })).body).toMatchObject({ total: 0 });
  });

  test('when a body is valid UTF-8 with a byte-order mark, then it is read', async () => {
    const answer = await postBytes('/api/v1/hubs', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"BOM","description":""}')]));
    expect(answer).toMatchObject({ status: 200, body: { name: 'BOM' } });
  });
});

describe('in a database whose locale folds nothing (C collation and ctype)', () => {
  let database: string;
  let cGateway: TestGateway;

  beforeAll(async () => {
    database = `hubs_c_locale_${Date.now().toString(36)}`;
    const admin = new Client({ connectionString: databaseUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    await admin.end();
    const url = new URL(databaseUrl());
    url.pathname = `/${database}`;
    await migrateDatabase(url.toString());
    cGateway = await startGateway({ DATABASE_URL: url.toString() });
  }, 30_000);
  afterAll(async () => {
    await cGateway?.close();
    const admin = new Client({ connectionString: databaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  test('when ÉCOLE and école are created in one tenant, then the second is refused as taken (lower() would not fold É here)', async () => {
    expect((await rest(cGateway, 'POST', '/api/v1/hubs', { token: suite.token, body: { name: 'ÉCOLE', description: '' } })).status).toBe(200);
    expect(await rest(cGateway, 'POST', '/api/v1/hubs', { token: suite.token, body: { name: 'école', description: '' } })).toMatchObject({
      status: 400,
      body: { errors: [{ code: 600 }] },
    });
  });
});
