import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { HubView } from '../behaviour/transports';
import { newTenant, rest, startGateway, tokenFor, type RestResult, type TestGateway } from '../support/gateway';

/**
 * The OpenAPI document served at /api/v1/openapi.json: it describes exactly Hubster's five routes
 * with the statuses of the seed page, and the gateway's real answers match the schemas it declares.
 */

const DOCUMENT_PATH = '/api/v1/openapi.json';
const COLLECTION = '/api/v1/hubs';
const ONE = '/api/v1/hubs/{hubId}';
const JSON_MEDIA = 'application/json';
const ABSENT_HUB = '3bc1e69f-c520-446f-ab2c-01751fd66a31';
/** Over the gateway's 1 MiB body limit. */
const HUGE_DESCRIPTION = 'd'.repeat(1_100_000);

type Method = 'get' | 'post' | 'put' | 'delete';
type DocPath = typeof COLLECTION | typeof ONE;

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: unknown; example?: unknown }> }>;
}
interface OpenApiDocument {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, unknown> };
}
type Hub = HubView;
interface HubsterError {
  status: number;
  errors: { code: number; description: string }[];
}

/** The statuses the seed page lists for every route, and the schema of its 200 body. */
const SEED_OPERATIONS: { method: Method; path: DocPath; ok: string; statuses: number[] }[] = [
  { method: 'post', path: COLLECTION, ok: 'Hub', statuses: [200, 400, 401, 403, 408, 429, 500, 503] },
  { method: 'get', path: COLLECTION, ok: 'HubPage', statuses: [200, 400, 401, 403, 408, 429, 500, 503] },
  { method: 'put', path: ONE, ok: 'Hub', statuses: [200, 400, 401, 403, 404, 408, 429, 500, 503] },
  { method: 'delete', path: ONE, ok: 'Hub', statuses: [200, 401, 403, 404, 408, 429, 500, 503] },
  { method: 'get', path: ONE, ok: 'Hub', statuses: [200, 401, 403, 404, 408, 429, 500, 503] },
];

const componentRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** One JSON-pointer token, escaped (RFC 6901) and then URI-encoded for use in a `$ref` fragment. */
const pointerToken = (token: string) => encodeURIComponent(token.replace(/~/g, '~0').replace(/\//g, '~1'));

/**
 * Validators of the document's response schemas, compiled by Ajv (JSON Schema 2020-12, the dialect
 * of OpenAPI 3.1). The whole document is registered under an $id so that its own
 * `#/components/schemas/...` references resolve inside it.
 */
function responseValidators(document: OpenApiDocument) {
  const documentId = 'https://hubs-gateway.test/openapi.json';
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  // Strict mode stays on for the schemas themselves; the document's own top-level fields (openapi,
  // info, paths, ...) are declared as mere annotations, since Ajv compiles the root it resolves in.
  ajv.addVocabulary(Object.keys(document).filter((field) => ajv.getKeyword(field) === false));
  ajv.addSchema(document as object, documentId);
  const compiled = new Map<string, ValidateFunction>();

  return (path: DocPath, method: Method, status: number): ValidateFunction => {
    const tokens = ['paths', path, method, 'responses', String(status), 'content', JSON_MEDIA, 'schema'];
    const ref = `${documentId}#/${tokens.map(pointerToken).join('/')}`;
    if (document.paths[path]?.[method]?.responses[status]?.content?.[JSON_MEDIA]?.schema === undefined) {
      throw new Error(`The document has no ${JSON_MEDIA} schema for ${method.toUpperCase()} ${path} ${status}`);
    }
    if (!compiled.has(ref)) compiled.set(ref, ajv.compile({ $ref: ref }));
    return compiled.get(ref)!;
  };
}

/** Ajv's complaints about a body (none when it validates), so a failure shows what is wrong. */
function violations(validate: ValidateFunction, body: unknown) {
  return validate(body) ? [] : validate.errors;
}

let gateway: TestGateway;
let document: OpenApiDocument;
let validatorFor: ReturnType<typeof responseValidators>;

beforeAll(async () => {
  gateway = await startGateway();
  document = (await rest<OpenApiDocument>(gateway, 'GET', DOCUMENT_PATH)).body;
  validatorFor = responseValidators(document);
});
afterAll(() => gateway.close());

describe('the document', () => {
  test('when the document is fetched without a token, then it is OpenAPI 3.1.0 served as JSON', async () => {
    const response = await fetch(`${gateway.url}${DOCUMENT_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await response.json()) as OpenApiDocument).openapi).toBe('3.1.0');
  });

  test('when the paths are read, then they are exactly the five Hubster routes', () => {
    const operations = Object.fromEntries(Object.entries(document.paths).map(([path, item]) => [path, Object.keys(item).sort()]));
    expect(operations).toEqual({ [COLLECTION]: ['get', 'post'], [ONE]: ['delete', 'get', 'put'] });
  });

  test('when the components are read, then Hub, HubPage and HubsterError are closed objects and bearerAuth is HTTP bearer', () => {
    const { schemas, securitySchemes } = document.components;
    expect(Object.keys(schemas).sort()).toEqual(['Hub', 'HubPage', 'HubsterError']);
    for (const schema of Object.values(schemas)) expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(schemas.HubsterError).toMatchObject({ properties: { errors: { items: { additionalProperties: false } } } });
    expect(securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  test.each(SEED_OPERATIONS)(
    'when $method $path is read, then it needs a bearer token and lists every seed status with its body',
    ({ method, path, ok, statuses }) => {
      const operation = document.paths[path]![method]!;
      expect(operation.security).toEqual([{ bearerAuth: [] }]);
      for (const status of statuses) {
        const schema = operation.responses[status]?.content?.[JSON_MEDIA]?.schema;
        expect({ status, schema }).toEqual({ status, schema: componentRef(status === 200 ? ok : 'HubsterError') });
      }
    },
  );
});

describe('what a code generator or a person reads', () => {
  test('when the servers are read, then the routes are on the host that serves the document', () => {
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  test('when the operations are read, then each has its own operationId', () => {
    const ids = SEED_OPERATIONS.map(({ method, path }) => document.paths[path]![method]!.operationId);
    expect(ids).toEqual(['createHub', 'listHubs', 'updateHub', 'deleteHub', 'getHub']);
  });

  test.each(SEED_OPERATIONS)('when the error examples of $method $path are read, then each is a body of its own status, valid against its schema', ({ method, path, statuses }) => {
    const operation = document.paths[path]![method]!;
    for (const status of [...statuses, ...Object.keys(operation.responses).map(Number)].filter((status) => status >= 400)) {
      const example = operation.responses[status]?.content?.[JSON_MEDIA]?.example as HubsterError | undefined;
      expect({ status, example: example?.status }).toEqual({ status, example: status });
      expect(violations(validatorFor(path, method, status), example)).toEqual([]);
      for (const entry of example!.errors) expect(entry.description).toContain(`(code: PRT${String(entry.code).padStart(6, '0')})`);
    }
  });

  test('when the examples of answers a test can provoke are compared with the real answers, then they are the same', async () => {
    const token = await tokenFor(newTenant());
    const examples = (method: Method, path: DocPath, status: number) => document.paths[path]![method]!.responses[status]!.content![JSON_MEDIA]!.example;
    expect((await rest(gateway, 'GET', COLLECTION)).body).toEqual(examples('get', COLLECTION, 401));
    expect((await rest(gateway, 'GET', `${COLLECTION}/3bc1e69f-c520-446f-ab2c-01751fd66a31`, { token })).body).toEqual(examples('get', ONE, 404));
    expect((await rest(gateway, 'GET', `${COLLECTION}/x`, { token })).body).toEqual(examples('get', ONE, 400));
    expect((await rest(gateway, 'POST', COLLECTION, { token, body: { description: '' } })).body).toEqual(examples('post', COLLECTION, 400));
    expect((await rest(gateway, 'GET', `${COLLECTION}?pageSize=0`, { token })).body).toEqual(examples('get', COLLECTION, 400));
    const reader = await tokenFor(newTenant(), ['hubs:read']);
    expect((await rest(gateway, 'POST', COLLECTION, { token: reader, body: { name: 'x', description: '' } })).body).toEqual(examples('post', COLLECTION, 403));
  });

  test('when a validator without the u flag reads the text pattern, then an emoji passes and a lone surrogate or U+0000 does not', () => {
    const pattern = (document.paths[COLLECTION]!.post as unknown as { requestBody: { content: Record<string, { schema: { properties: { name: { pattern: string } } } }> } })
      .requestBody.content[JSON_MEDIA]!.schema.properties.name.pattern;
    for (const flags of ['', 'u']) {
      const text = new RegExp(pattern, flags);
      expect([text.test('Café 😀'), text.test('\ud83d'), text.test('a\u0000b')]).toEqual([true, false, false]);
    }
  });
});

describe('the validator', () => {
  const realHub = (): Hub => ({
    hubId: ABSENT_HUB,
    tenantId: 'abc1e69f-c888-875f-ee2c-45789fd66a00',
    name: 'Your New Cool Hub Name',
    description: 'This hub is cool',
    closeDormantConversation: 30,
    statusId: 2000,
  });
  const realError = (): HubsterError => ({ status: 404, errors: [{ code: 699, description: 'Hub not found. (code: PRT000699)' }] });

  test("when the seed page's own examples are checked, then they validate", () => {
    expect(violations(validatorFor(ONE, 'get', 200), realHub())).toEqual([]);
    expect(violations(validatorFor(COLLECTION, 'get', 200), { pageNumber: 0, pageSize: 50, total: 1, results: [realHub()] })).toEqual([]);
    expect(violations(validatorFor(ONE, 'get', 404), realError())).toEqual([]);
  });

  const withoutStatusId = (): Omit<Hub, 'statusId'> => {
    const { statusId: _dropped, ...rest } = realHub();
    return rest;
  };

  test.each<[string, DocPath, Method, number, unknown, string]>([
    ['an error whose status is a string', ONE, 'get', 404, { status: 'x' }, 'type'],
    ['an error without entries', ONE, 'get', 404, { ...realError(), errors: [] }, 'minItems'],
    ['an error entry with an extra property', ONE, 'get', 404, { status: 404, errors: [{ ...realError().errors[0], path: 'x' }] }, 'additionalProperties'],
    ['a hub with an extra property', ONE, 'get', 200, { ...realHub(), createdAt: '2024-01-01T00:00:00Z' }, 'additionalProperties'],
    ['a hub without statusId', ONE, 'get', 200, withoutStatusId(), 'required'],
    ['a hub with an unknown statusId', ONE, 'get', 200, { ...realHub(), statusId: 2001 }, 'enum'],
    ['a hub whose hubId is not a UUID', ONE, 'get', 200, { ...realHub(), hubId: 'not-a-uuid' }, 'format'],
    ['a page holding an invalid hub', COLLECTION, 'get', 200, { pageNumber: 0, pageSize: 50, total: 1, results: [{ name: 'x' }] }, 'required'],
    ['a hub where an error is documented', ONE, 'get', 404, realHub(), 'additionalProperties'],
  ])('when %s is checked, then it is refused', (_what, path, method, status, body, keyword) => {
    expect(violations(validatorFor(path, method, status), body)).toContainEqual(expect.objectContaining({ keyword }));
  });

  test('when a status the operation does not document is asked for, then no schema is found', () => {
    expect(() => validatorFor(COLLECTION, 'get', 413)).toThrow('no application/json schema for GET /api/v1/hubs 413');
  });
});

describe('real responses', () => {
  let tenantId: string;
  let token: string;
  let readOnlyToken: string;
  let hub: Hub;

  beforeEach(async () => {
    tenantId = newTenant();
    [token, readOnlyToken] = await Promise.all([tokenFor(tenantId), tokenFor(tenantId, ['hubs:read'])]);
    hub = await created({ name: 'Documented', description: 'A hub', closeDormantConversation: 30, statusId: 2002 });
  });

  /** Calls the route the document lists under (path, method) over HTTP, filling in `{hubId}`. */
  function call<T>(
    method: Method,
    path: DocPath,
    options: { hubId?: string; query?: string; body?: unknown; token?: string | null } = {},
  ): Promise<RestResult<T>> {
    const url = path.replace('{hubId}', () => options.hubId ?? hub.hubId) + (options.query ?? '');
    const bearer = options.token === undefined ? token : (options.token ?? undefined);
    return rest<T>(gateway, method.toUpperCase(), url, { token: bearer, body: options.body });
  }

  /** The answer has the expected status and a JSON body the document declares for that status. */
  function expectDocumented(response: RestResult<unknown>, path: DocPath, method: Method, status: number): void {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(violations(validatorFor(path, method, status), response.body)).toEqual([]);
  }

  async function created(body: Record<string, unknown>): Promise<Hub> {
    const response = await call<Hub>('post', COLLECTION, { body });
    expectDocumented(response, COLLECTION, 'post', 200);
    return response.body;
  }

  test('when a hub is created, then the 200 body is a documented Hub with the defaults applied', async () => {
    const hubId = expect.stringMatching(/^[0-9a-f-]{36}$/);
    const body = await created({ name: ' Sales ', description: '' });
    expect(body).toEqual({ hubId, tenantId, name: 'Sales', description: '', closeDormantConversation: 0, statusId: 2000 });
  });

  test('when a hub is read, then the 200 body is a documented Hub', async () => {
    const response = await call<Hub>('get', ONE);
    expectDocumented(response, ONE, 'get', 200);
    expect(response.body).toEqual(hub);
  });

  test('when hubs are listed, then the 200 body is a documented HubPage with its results', async () => {
    const second = await created({ name: 'Second', description: '' });
    const response = await call('get', COLLECTION, { query: '?pageNumber=0&pageSize=10' });
    expectDocumented(response, COLLECTION, 'get', 200);
    expect(response.body).toEqual({ pageNumber: 0, pageSize: 10, total: 2, results: [hub, second] });
  });

  test('when a hub is updated, then the 200 body is a documented Hub', async () => {
    const response = await call<Hub>('put', ONE, { body: { name: 'Renamed', closeDormantConversation: null } });
    expectDocumented(response, ONE, 'put', 200);
    expect(response.body).toEqual({ ...hub, name: 'Renamed', closeDormantConversation: 0 });
  });

  test('when a hub is deleted, then the 200 body is the documented Hub as it was', async () => {
    const response = await call<Hub>('delete', ONE);
    expectDocumented(response, ONE, 'delete', 200);
    expect(response.body).toEqual(hub);
  });

  const noToken = { token: null };
  const garbageToken = { token: 'not-a-jwt' };
  const invalidBody = { body: { name: '', description: 5, closeDormantConversation: 4000, statusId: 1 } };
  const hugeBody = { body: { name: 'Huge', description: HUGE_DESCRIPTION } };

  test.each<[string, Method, DocPath, number, number[], { hubId?: string; query?: string; body?: unknown; token?: string | null }]>([
    ['a create body breaks several rules', 'post', COLLECTION, 400, [206, 207, 207, 302], invalidBody],
    ['an update body breaks several rules', 'put', ONE, 400, [206, 207, 207, 302], invalidBody],
    ['a create body is not an object', 'post', COLLECTION, 400, [300], { body: ['not', 'an', 'object'] }],
    ['pageSize is 0', 'get', COLLECTION, 400, [207], { query: '?pageSize=0' }],
    ['pageNumber is negative', 'get', COLLECTION, 400, [209], { query: '?pageNumber=-1' }],
    ['pageSize is not an integer', 'get', COLLECTION, 400, [210], { query: '?pageSize=ten' }],
    ['a hub is read by a malformed id', 'get', ONE, 400, [305], { hubId: 'not-a-guid' }],
    ['a hub is updated by a malformed id', 'put', ONE, 400, [305], { hubId: 'not-a-guid', body: { name: 'x' } }],
    ['a hub is deleted by a malformed id', 'delete', ONE, 400, [305], { hubId: 'not-a-guid' }],
    ['a hub is created without a token', 'post', COLLECTION, 401, [102], { ...noToken, body: { name: 'x', description: '' } }],
    ['hubs are listed without a token', 'get', COLLECTION, 401, [102], noToken],
    ['a hub is read with an invalid token', 'get', ONE, 401, [102], garbageToken],
    ['a hub is deleted with an invalid token', 'delete', ONE, 401, [102], garbageToken],
    ['an absent hub is read', 'get', ONE, 404, [699], { hubId: ABSENT_HUB }],
    ['an absent hub is updated', 'put', ONE, 404, [699], { hubId: ABSENT_HUB, body: { name: 'x' } }],
    ['an absent hub is deleted', 'delete', ONE, 404, [699], { hubId: ABSENT_HUB }],
    ['a create body is over 1 MiB', 'post', COLLECTION, 413, [113], hugeBody],
    ['an update body is over 1 MiB', 'put', ONE, 413, [113], hugeBody],
  ])('when %s, then %s %s answers the documented %i error', async (_when, method, path, status, codes, options) => {
    const response = await call<HubsterError>(method, path, options);
    expectDocumented(response, path, method, status);
    expect(response.body.status).toBe(status);
    expect(response.body.errors.map((error) => error.code).sort((a, b) => a - b)).toEqual(codes);
  });

  test.each<[Method, DocPath, unknown]>([
    ['post', COLLECTION, { name: 'x', description: '' }],
    ['put', ONE, { name: 'x' }],
    ['delete', ONE, undefined],
  ])('when a read-only token calls %s %s, then the documented 403 error answers and nothing changes', async (method, path, body) => {
    const response = await call<HubsterError>(method, path, { token: readOnlyToken, body });
    expectDocumented(response, path, method, 403);
    expect(response.body).toMatchObject({ status: 403, errors: [{ code: 101 }] });
    expect((await call('get', COLLECTION)).body).toEqual({ pageNumber: 0, pageSize: 50, total: 1, results: [hub] });
  });
});
