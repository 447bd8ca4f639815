import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { temporaryFolderPerSuite } from '../support/folders';
import { graphql, LogCapture, newTenant, startGateway, tokenFor, type TestGateway } from '../support/gateway';
import { socketClient, watch } from '../support/subscriptions';

/**
 * Trusted documents (CONTRACT.md section 4b): with GRAPHQL_TRUSTED_DOCUMENTS only the manifest's
 * operations run, by id or as their exact text, over HTTP and WebSocket alike.
 */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const GET_HUB = 'query GetHub($hubId: ID!) { hub(hubId: $hubId) { hubId name } }';
const CREATE_HUB = 'mutation CreateHub($name: String!) { createHub(input: { name: $name, description: "" }) { hubId name } }';
const PAGE = 'query Page($size: Int!) { hubs(pageSize: $size) { total results { hubId name description } } }';
const WATCH = 'subscription Watch { hubChanged { kind hub { name } } }';
const UNTRUSTED = '{ hubs { total } }';

const OPERATIONS = [
  { name: 'GetHub', type: 'query', body: GET_HUB },
  { name: 'CreateHub', type: 'mutation', body: CREATE_HUB },
  { name: 'Page', type: 'query', body: PAGE },
  { name: 'Watch', type: 'subscription', body: WATCH },
];

/** Apollo's persisted query manifest, as `generate-persisted-query-manifest` writes it. */
const apolloManifest = (operations = OPERATIONS) => ({
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: operations.map((operation) => ({ id: sha256(operation.body), ...operation })),
});
/** GraphQL Code Generator's client preset `persisted-documents.json`. */
const codegenManifest = (operations = OPERATIONS) => Object.fromEntries(operations.map((operation) => [sha256(operation.body), operation.body]));

const folder = temporaryFolderPerSuite('trusted-documents');
async function manifestFile(name: string, content: unknown): Promise<string> {
  const path = join(folder.path, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

interface Answer {
  readonly status: number;
  readonly type: string | null;
  readonly body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions: { code: string } }[] };
}

async function post(gateway: TestGateway, token: string | undefined, body: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json;q=0.9',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Answer['body'] };
}

async function get(gateway: TestGateway, token: string, params: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${gateway.url}/graphql?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Answer['body'] };
}

const byHash = (body: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(body) } } });
const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions.code;

describe.each([
  ['Apollo persisted query manifest', apolloManifest],
  ['GraphQL Code Generator map', codegenManifest],
])('with a %s', (_format, manifest) => {
  let gateway: TestGateway;
  let token: string;
  const logs = new LogCapture();
  beforeAll(async () => {
    gateway = await startGateway({ GRAPHQL_TRUSTED_DOCUMENTS: await manifestFile(`${_format}.json`, manifest()), LOG_LEVEL: 'info', GRAPHQL_MAX_COST: '300' }, { logStream: logs });
  });
  afterAll(() => gateway.close());
  beforeEach(async () => {
    token = await tokenFor(newTenant());
  });

  test('when a trusted mutation is sent by its APQ hash and a query by documentId, then both run with their variables', async () => {
    const created = await post(gateway, token, { ...byHash(CREATE_HUB), variables: { name: 'Trusted' } });
    expect(created.status).toBe(200);
    const hub = (created.body.data as { createHub: { hubId: string; name: string } }).createHub;
    expect(hub.name).toBe('Trusted');
    expect(await post(gateway, token, { documentId: `sha256:${sha256(GET_HUB)}`, variables: { hubId: hub.hubId } })).toMatchObject({ status: 200, body: { data: { hub } } });
    expect(await post(gateway, token, { documentId: sha256(GET_HUB), variables: { hubId: hub.hubId } })).toMatchObject({ status: 200, body: { data: { hub } } });
  });

  test('when a trusted query is sent by GET, by hash or as its text, then it runs', async () => {
    const variables = JSON.stringify({ size: 5 });
    const expected = { status: 200, body: { data: { hubs: { total: 0, results: [] } } } };
    expect(await get(gateway, token, { extensions: JSON.stringify(byHash(PAGE).extensions), variables })).toMatchObject(expected);
    expect(await get(gateway, token, { query: PAGE, variables })).toMatchObject(expected);
    expect(await get(gateway, token, { documentId: sha256(PAGE), variables })).toMatchObject(expected);
  });

  test('when the exact text of a trusted document is sent, with or without its hash, then it runs', async () => {
    expect(await post(gateway, token, { query: PAGE, variables: { size: 1 } })).toMatchObject({ status: 200, body: { data: { hubs: { total: 0 } } } });
    expect(await post(gateway, token, { query: PAGE, ...byHash(PAGE), variables: { size: 1 } })).toMatchObject({ status: 200 });
  });

  test('when an unknown id is sent, then HTTP 400 PERSISTED_QUERY_NOT_FOUND in GraphQL shape', async () => {
    const answer = await post(gateway, token, byHash('query Unknown { hubs { total } }'));
    expect(answer.status).toBe(400);
    expect(answer.type).toMatch(/^application\/graphql-response\+json/);
    expect(codeOf(answer)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(codeOf(await post(gateway, token, { documentId: sha256('nope') }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  test.each([
    ['any other document', { query: UNTRUSTED }],
    ['a trusted document with one more space', { query: PAGE.replace('{ hubs', '{  hubs'), variables: { size: 1 } }],
    ['a trusted id with another text', { query: UNTRUSTED, ...byHash(PAGE) }],
  ])('when %s is sent, then HTTP 400 OPERATION_NOT_TRUSTED and nothing runs', async (_case, body) => {
    const answer = await post(gateway, token, body);
    expect(answer).toMatchObject({ status: 400, body: { errors: [{ extensions: { code: 'OPERATION_NOT_TRUSTED' } }] } });
    expect(answer.body.data).toBeUndefined();
  });

  test('when a client tries to register a new document by APQ, then it is refused and stays unknown', async () => {
    const registration = await post(gateway, token, { query: UNTRUSTED, ...byHash(UNTRUSTED) });
    expect(registration.status).toBe(400);
    expect(codeOf(registration)).toBe('OPERATION_NOT_TRUSTED');
    expect(codeOf(await post(gateway, token, byHash(UNTRUSTED)))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  test('when an untrusted mutation is sent, then nothing changes', async () => {
    const mutation = 'mutation { createHub(input: { name: "Sneaky", description: "" }) { hubId } }';
    expect(codeOf(await post(gateway, token, { query: mutation }))).toBe('OPERATION_NOT_TRUSTED');
    const page = await post(gateway, token, { query: PAGE, variables: { size: 10 } });
    expect(page.body.data).toEqual({ hubs: { total: 0, results: [] } });
  });

  test('when a trusted document is sent over the limits by its variables, then the limits still refuse it', async () => {
    // A page of 100 costs 1 + 100 x 4, over this gateway's GRAPHQL_MAX_COST of 300 (the standard introspection query costs 220).
    const answer = await post(gateway, token, { ...byHash(PAGE), variables: { size: 100 } });
    expect(answer.status).toBe(400);
    expect(codeOf(answer)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  test('when the gateway started, then it logged that only the manifest\'s operations run, and how many', () => {
    expect(logs.lines).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/^trusted documents on/), operations: OPERATIONS.length }));
  });

  test('when a refused request is logged, then its line carries the refusal code', async () => {
    const since = logs.lines.length;
    await post(gateway, token, { query: UNTRUSTED });
    expect(logs.lines.slice(since)).toContainEqual(expect.objectContaining({ msg: 'request completed', status: 400, errorCode: 'OPERATION_NOT_TRUSTED' }));
  });

  test('when introspection is on, then playgrounds still introspect, with or without a token', async () => {
    expect(await post(gateway, undefined, { query: getIntrospectionQuery() })).toMatchObject({ status: 200, body: { data: { __schema: expect.any(Object) } } });
    expect((await post(gateway, token, { query: '{ __typename }' })).body).toEqual({ data: { __typename: 'Query' } });
  });

  test('when subscribing over WebSocket, then a trusted subscription runs and any other is refused with OPERATION_NOT_TRUSTED', async () => {
    const client = socketClient(gateway.url, { Authorization: `Bearer ${token}` });
    try {
      const trusted = watch<{ hubChanged: { kind: string; hub: { name: string } } }>(client, WATCH);
      const untrusted = watch(client, 'subscription { hubChanged { kind } }');
      expect(await untrusted.ended).toEqual({ error: [expect.objectContaining({ extensions: { code: 'OPERATION_NOT_TRUSTED' } })] });
      // The trusted one is live: a change made now reaches it.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await post(gateway, token, { ...byHash(CREATE_HUB), variables: { name: 'Seen live' } });
      expect((await trusted.next(1))[0]?.data?.hubChanged).toEqual({ kind: 'CREATED', hub: { name: 'Seen live' } });
      trusted.stop();
    } finally {
      await client.dispose();
    }
  });
});

describe('with trusted documents and introspection off', () => {
  test('when the standard introspection query is sent, then it is refused as introspection, not run', async () => {
    const gateway = await startGateway({ GRAPHQL_TRUSTED_DOCUMENTS: await manifestFile('no-introspection.json', apolloManifest()), GRAPHQL_INTROSPECTION: 'false' });
    try {
      const answer = await post(gateway, await tokenFor(newTenant()), { query: getIntrospectionQuery() });
      expect(answer.status).toBe(400);
      expect(answer.body.data).toBeUndefined();
      expect(codeOf(answer)).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await gateway.close();
    }
  });
});

describe('a manifest that cannot be trusted stops start-up, naming GRAPHQL_TRUSTED_DOCUMENTS', () => {
  const tampered = apolloManifest();
  tampered.operations[0] = { ...tampered.operations[0]!, body: GET_HUB.replace('name', 'name description') };

  test.each([
    ['a body changed after its id was made', 'tampered.json', tampered, /GRAPHQL_TRUSTED_DOCUMENTS.*operation GetHub.*hashes to/],
    ['a codegen map whose document does not hash to its key', 'tampered-map.json', { [sha256(GET_HUB)]: PAGE }, /GRAPHQL_TRUSTED_DOCUMENTS.*hashes to/],
    ['no JSON', 'broken.json', '{ "format": ', /GRAPHQL_TRUSTED_DOCUMENTS.*not JSON/],
    ['an unknown format', 'other.json', { format: 'relay', version: 1, operations: [] }, /GRAPHQL_TRUSTED_DOCUMENTS.*apollo-persisted-query-manifest/],
    ['no operations', 'empty.json', apolloManifest([]), /GRAPHQL_TRUSTED_DOCUMENTS.*without operations/],
    [
      'a document this schema does not accept',
      'invalid.json',
      apolloManifest([{ name: 'Old', type: 'query', body: 'query Old { hubs { removedField } }' }]),
      /GRAPHQL_TRUSTED_DOCUMENTS.*operation Old.*removedField/,
    ],
    ['a document that does not parse', 'unparsable.json', codegenManifest([{ name: 'X', type: 'query', body: 'query {' }]), /GRAPHQL_TRUSTED_DOCUMENTS.*does not parse/],
  ])('when the manifest has %s, then the gateway does not start', async (_case, name, content, message) => {
    await expect(startGateway({ GRAPHQL_TRUSTED_DOCUMENTS: await manifestFile(name, content) })).rejects.toThrow(message);
  });

  test('when the file is missing, then the gateway does not start', async () => {
    await expect(startGateway({ GRAPHQL_TRUSTED_DOCUMENTS: join(folder.path, 'missing.json') })).rejects.toThrow(/GRAPHQL_TRUSTED_DOCUMENTS.*cannot be read/);
  });
});

describe('without trusted documents', () => {
  test('when any valid document is sent, then it runs (the list is off by default)', async () => {
    const gateway = await startGateway();
    try {
      expect(await graphql(gateway, UNTRUSTED, { token: await tokenFor(newTenant()) })).toMatchObject({ status: 200, body: { data: { hubs: { total: 0 } } } });
    } finally {
      await gateway.close();
    }
  });
});
