import fc from 'fast-check';
import { hasControlCharacter, isInvisible } from '../../src/common/text';
import { newTenant, REST_HUB_FIELDS, REST_HUB_KEYS, startGateway, tokenFor, type TestGateway } from '../support/gateway';

/**
 * Property-based tests: random and hostile input on both transports never gets a 5xx, and always
 * gets a well-formed answer (CONTRACT.md sections 3 and 4). Bounded: a few hundred runs per
 * property, the whole file in well under 30 s.
 *
 * Counterexamples fast-check found are pinned as each property's first run (`examples`) and also
 * written as plain tests at the end; they fail until the gateway is fixed:
 * - a lone UTF-16 surrogate in name/description is stored as U+FFFD (the create answers the
 *   original), and with an Idempotency-Key it is a 500 (the outcome's JSON does not fit jsonb);
 * - a hubId segment that is not valid percent-encoding (`%`) or is over 100 characters gets
 *   Fastify's own 400/414 body, not Hubster's, and no x-request-id (Fastify's `frameworkErrors`).
 */

/**
 * Runs per property; a property also stops (reporting what it found so far) after 20 s, so that a
 * failure's shrinking under a slow machine ends as a counterexample rather than a Jest timeout.
 */
const BOUNDS = { numRuns: 200, interruptAfterTimeLimit: 20_000 } as const;
const HUBS = '/api/v1/hubs';
const PAGE_KEYS = ['pageNumber', 'pageSize', 'results', 'total'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ABSENT = '3bc1e69f-c520-446f-ab2c-01751fd66a31';

const CREATE = `mutation Create($input: CreateHubInput!) { createHub(input: $input) { ${REST_HUB_FIELDS} } }`;
const UPDATE = `mutation Update($hubId: ID!, $input: UpdateHubInput!) { updateHub(hubId: $hubId, input: $input) { ${REST_HUB_FIELDS} } }`;
const LIST = 'query List($pageNumber: Int!, $pageSize: Int!) { hubs(pageNumber: $pageNumber, pageSize: $pageSize) { pageNumber pageSize total results { hubId name } } }';
const GET = 'query Get($hubId: ID!) { hub(hubId: $hubId) { hubId tenantId name description } }';

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startGateway({ RATE_LIMIT_MAX: '1000000' });
});
afterAll(() => gateway.close());

// ---------------------------------------------------------------------------------------------
// Sending anything, and reading whatever comes back without trusting it.

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body; `NOT_JSON` when the body is not JSON. */
  readonly body: unknown;
}

const NOT_JSON = Symbol('not JSON');

/** A name as the gateway stores it: trimmed, in NFC (CONTRACT.md section 3). */
const storedName = (name: string): string => name.trim().normalize('NFC');

async function send(method: string, path: string, init: { headers?: Record<string, string>; body?: string | Uint8Array } = {}): Promise<Answer> {
  const response = await fetch(`${gateway.url}${path}`, { method, headers: init.headers, body: init.body });
  const text = await response.text();
  let body: unknown = NOT_JSON;
  try {
    body = JSON.parse(text);
  } catch {
    // checked by the assertions below
  }
  return { status: response.status, headers: response.headers, text, body };
}

const jsonHeaders = (token?: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'content-type': 'application/json',
  ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  ...extra,
});

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Non-printable-ASCII code units as \\uXXXX, so a failure shows U+D800 and U+FFFD apart. */
const visible = (text: unknown): unknown =>
  typeof text === 'string' ? text.replace(/[^\x20-\x7e]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;

/** Asserts a hub (or hub-like GraphQL object) holds exactly this name and description. */
function expectStored(where: string, hub: unknown, name: string, description: string): void {
  const actual = hub as { name?: unknown; description?: unknown } | null;
  expect({ where, name: visible(actual?.name), description: visible(actual?.description) }).toEqual({ where, name: visible(name), description: visible(description) });
}

function describeAnswer(answer: Answer): string {
  return `HTTP ${answer.status}: ${answer.text.slice(0, 500)}`;
}

function fail(answer: Answer, why: string): never {
  throw new Error(`${why}\n  ${describeAnswer(answer)}`);
}

function checkHub(answer: Answer, hub: unknown, tenantId?: string): void {
  if (!isObject(hub)) fail(answer, 'a hub must be an object');
  if (JSON.stringify(Object.keys(hub).sort()) !== JSON.stringify(REST_HUB_KEYS)) fail(answer, 'a hub has exactly the 6 documented keys');
  if (typeof hub.hubId !== 'string' || !GUID.test(hub.hubId)) fail(answer, 'hubId must be a lower-case GUID');
  if (typeof hub.tenantId !== 'string' || (tenantId !== undefined && hub.tenantId !== tenantId)) fail(answer, "tenantId must be the caller's tenant");
  if (typeof hub.name !== 'string' || hub.name.length === 0) fail(answer, 'name must be a non-empty string');
  if (typeof hub.description !== 'string') fail(answer, 'description must be a string');
  const days = hub.closeDormantConversation;
  if (!Number.isInteger(days) || (days as number) < 0 || (days as number) > 3650) fail(answer, 'closeDormantConversation must be an integer 0-3650');
  if (hub.statusId !== 2000 && hub.statusId !== 2002) fail(answer, 'statusId must be 2000 or 2002');
}

function checkPage(answer: Answer, page: unknown, tenantId?: string): void {
  if (!isObject(page)) fail(answer, 'a page must be an object');
  if (JSON.stringify(Object.keys(page).sort()) !== JSON.stringify(PAGE_KEYS)) fail(answer, 'a page has exactly pageNumber, pageSize, total, results');
  for (const key of ['pageNumber', 'pageSize', 'total']) {
    if (!Number.isInteger(page[key]) || (page[key] as number) < 0) fail(answer, `${key} must be a non-negative integer`);
  }
  if ((page.pageSize as number) < 1 || (page.pageSize as number) > 100) fail(answer, 'pageSize must be 1-100');
  if (!Array.isArray(page.results)) fail(answer, 'results must be an array');
  for (const hub of page.results) checkHub(answer, hub, tenantId);
}

type Success = 'hub' | 'page' | 'none';

/**
 * A well-formed REST answer: below 500, JSON; a 200 is a hub or a page; anything else is Hubster's
 * error body with `status` equal to the HTTP status and at least one `{code, description}`.
 */
function checkRest(answer: Answer, success: Success, tenantId?: string): void {
  if (answer.status >= 500) fail(answer, 'no 5xx');
  if (answer.body === NOT_JSON) fail(answer, 'the body must be JSON');
  if (!(answer.headers.get('content-type') ?? '').startsWith('application/json')) fail(answer, 'Content-Type must be application/json');
  if (!answer.headers.get('x-request-id')) fail(answer, 'every response carries x-request-id');
  if (answer.status === 200) {
    if (success === 'hub') checkHub(answer, answer.body, tenantId);
    else if (success === 'page') checkPage(answer, answer.body, tenantId);
    else fail(answer, 'no 200 expected here');
    return;
  }
  const body = answer.body;
  if (!isObject(body)) fail(answer, 'an error body must be an object');
  if (JSON.stringify(Object.keys(body).sort()) !== '["errors","status"]') fail(answer, 'an error body has exactly status and errors');
  if (body.status !== answer.status) fail(answer, 'status in the body must equal the HTTP status');
  if (!Array.isArray(body.errors) || body.errors.length === 0) fail(answer, 'errors must be a non-empty array');
  for (const entry of body.errors as unknown[]) {
    if (!isObject(entry) || !Number.isInteger(entry.code) || typeof entry.description !== 'string' || entry.description === '') {
      fail(answer, 'each error has an integer code and a string description');
    }
  }
}

/** A well-formed GraphQL answer: below 500, JSON with `data` and/or a non-empty `errors` of `{message, extensions.code}`. */
function checkGraphQL(answer: Answer): void {
  if (answer.status >= 500) fail(answer, 'no 5xx');
  if (answer.body === NOT_JSON) fail(answer, 'the body must be JSON');
  const body = answer.body;
  if (!isObject(body)) fail(answer, 'a GraphQL response must be an object');
  const hasData = 'data' in body;
  const errors = body.errors;
  if (!hasData && errors === undefined) fail(answer, 'a GraphQL response has data and/or errors');
  if (errors !== undefined) {
    if (!Array.isArray(errors) || errors.length === 0) fail(answer, 'errors, when present, must be a non-empty array');
    for (const error of errors as unknown[]) {
      if (!isObject(error) || typeof error.message !== 'string') fail(answer, 'each error has a string message');
      if (!isObject(error.extensions) || typeof error.extensions.code !== 'string') fail(answer, 'each error has extensions.code');
      if (error.extensions.code === 'INTERNAL_SERVER_ERROR') fail(answer, 'no internal error for client input');
    }
  }
  if (hasData && body.data !== null && !isObject(body.data)) fail(answer, 'data must be an object or null');
  if (answer.status === 200 && !hasData) fail(answer, 'a 200 carries data');
}

async function graphqlRaw(token: string | undefined, payload: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send('POST', '/graphql', { headers: jsonHeaders(token, headers), body: JSON.stringify(payload) });
}

async function newHub(token: string): Promise<string> {
  const answer = await send('POST', HUBS, { headers: jsonHeaders(token), body: JSON.stringify({ name: `hub ${Math.random()}`, description: '' }) });
  if (answer.status !== 200) fail(answer, 'setup: create failed');
  return (answer.body as { hubId: string }).hubId;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
const specialChar = fc.constantFrom('\u0000', '\u202e', '\u200f', '\u200b', '\ufeff', '\u00a0', '\u2028', '\n', '\t', ' ', '"', '\\', "'", '%', '😀', '👩‍👩‍👧', 'é', 'e\u0301');
/** Any code point, lone surrogates, NUL, RTL marks and emoji included. */
const anyUnit = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), loneSurrogate, specialChar);
const anyString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: anyUnit, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: anyUnit, minLength: 95, maxLength: 110 }) },
  { weight: 1, arbitrary: fc.string({ unit: anyUnit, minLength: 990, maxLength: 1010 }) },
);
const hugeNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 5e-324, -0, 0.5, 3650.0000001, 2000.0),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
/** Values a property of a hub might hold: right, wrong and absurd. */
const propertyValue = fc.oneof(
  anyString,
  hugeNumber,
  fc.integer({ min: -10, max: 3700 }),
  fc.constantFrom(2000, 2002, 2001, 0, 30, 3650, 3651, null, true, false, 'ACTIVE', 'PAUSED', '2000', '30', '', ' '),
  fc.jsonValue({ maxDepth: 3 }),
);
const HUB_PROPERTY_NAMES = ['name', 'description', 'closeDormantConversation', 'statusId', 'hubId', 'tenantId', 'status', '__proto__', 'constructor'];
const hubLikeBody = fc.dictionary(fc.oneof(fc.constantFrom(...HUB_PROPERTY_NAMES), fc.string({ unit: anyUnit, maxLength: 10 })), propertyValue, { maxKeys: 8 });
/** Mostly valid-looking hub bodies (so some pass), then anything at all. */
const randomBody = fc.oneof(
  { weight: 3, arbitrary: hubLikeBody },
  {
    weight: 2,
    arbitrary: fc.record(
      { name: fc.oneof(anyString, fc.string({ maxLength: 20 })), description: fc.oneof(anyString, fc.constant('')), closeDormantConversation: propertyValue, statusId: propertyValue },
      { requiredKeys: [] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ name: fc.string({ unit: anyUnit, minLength: 1, maxLength: 12 }), description: fc.string({ unit: anyUnit, maxLength: 12 }) }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }).map((value) => (JSON.stringify(value) === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown))) },
);

/** Printable ASCII only: what Node's fetch accepts in a header. */
const printableAscii = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const headerValue = (maxLength: number) => fc.string({ unit: printableAscii, maxLength });

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-16',
  'application/json; charset=latin1',
  'application/json;',
  'APPLICATION/JSON',
  'application/jsonx',
  'application/vnd.api+json',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '*/*',
  ';',
  '',
];
const contentType = fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerValue(40));

const rawBody = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 60 }),
  fc.json({ maxDepth: 3 }).chain((json) => fc.nat({ max: json.length }).map((cut) => json.slice(0, cut))),
  fc.json({ maxDepth: 3 }),
  fc.constantFrom('{', '}', '[]', 'null', '"x"', '1', '{"name":', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '{"name":"a","name":"b","description":""}', '\ufeff{}', '{"name":"\\ud800","description":""}', '{"name":1e999,"description":""}'),
);
const rawBytes = fc.uint8Array({ maxLength: 60 });

/** Text for a query string, path segment or GraphQL variable, without lone surrogates (encodeURIComponent refuses them). */
const urlText = fc.string({ unit: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), specialChar.filter((value) => value !== '\u0000')), maxLength: 30 });
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.double().map(String),
  fc.constantFrom('', ' ', '0', '-0', '1', '100', '101', '-1', '1e2', '1.0', '0x10', '010', '+5', ' 5', '5 ', 'NaN', 'Infinity', '-Infinity', 'null', 'true', '[]', '9'.repeat(400), '1_000'),
);
/** Raw text with percent signs: malformed percent-escapes included. */
const percentText = fc.string({ unit: fc.constantFrom('%', '%2', '%zz', '%c0%af', '%ed%a0%80', '%00', '%ff', 'a', 'F', '0', '/', '.', '..'), minLength: 1, maxLength: 6 });

// ---------------------------------------------------------------------------------------------

describe('random bodies on REST', () => {
  test('when a random JSON value is POSTed (with or without an Idempotency-Key), then the answer is well-formed and never a 5xx', async () => {
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    let keys = 0;
    await fc.assert(
      fc.asyncProperty(randomBody, fc.boolean(), async (body, withKey) => {
        const headers = jsonHeaders(token, withKey ? { 'idempotency-key': `key-${++keys}` } : {});
        const answer = await send('POST', HUBS, { headers, body: JSON.stringify(body) });
        checkRest(answer, 'hub', tenantId);
        if (answer.status === 200) {
          const sent = body as Record<string, unknown>;
          const hub = answer.body as Record<string, unknown>;
          expect(hub.name).toBe(storedName(sent.name as string));
          expect(hub.description).toBe(sent.description);
        }
      }),
      // The minimal counterexample fast-check found (see the example tests below), kept as the first run.
      { ...BOUNDS, examples: [[{ name: '\ud800', description: '' }, true]] },
    );
  });

  test('when a random JSON value is PUT onto a hub, then the answer is well-formed and never a 5xx', async () => {
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const hubId = await newHub(token);
    await fc.assert(
      fc.asyncProperty(randomBody, fc.constantFrom(hubId, ABSENT), async (body, target) => {
        const answer = await send('PUT', `${HUBS}/${target}`, { headers: jsonHeaders(token), body: JSON.stringify(body) });
        checkRest(answer, 'hub', tenantId);
        if (target === ABSENT) expect(answer.status).not.toBe(200);
      }),
      BOUNDS,
    );
  });

  test('when a raw (often malformed) body is sent with a random Content-Type, then the answer is well-formed and never a 5xx', async () => {
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const hubId = await newHub(token);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(rawBody, rawBytes),
        contentType,
        fc.constantFrom(['POST', HUBS], ['PUT', `${HUBS}/${hubId}`], ['GET', HUBS], ['DELETE', `${HUBS}/${ABSENT}`]),
        async (body, type, [method, path]) => {
          const payload = method === 'GET' ? undefined : body;
          const answer = await send(method!, path!, { headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: payload });
          checkRest(answer, method === 'GET' ? 'page' : 'hub', tenantId);
        },
      ),
      BOUNDS,
    );
  });
});

describe('random query strings and paths on REST', () => {
  test('when GET /api/v1/hubs has a random query string, then the answer is well-formed and never a 5xx', async () => {
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    await newHub(token);
    const key = fc.oneof(fc.constantFrom('pageNumber', 'pageSize', 'pagenumber', 'PageSize', '__proto__', 'constructor', ''), urlText);
    const value = fc.oneof(numberText, urlText);
    const pair = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(key, value).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`) },
      { weight: 1, arbitrary: key.map((k) => encodeURIComponent(k)) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('pageNumber', 'pageSize'), percentText).map(([k, v]) => `${k}=${v}`) },
      { weight: 1, arbitrary: fc.constantFrom('pageNumber[]=1', 'pageSize[a]=1', 'pageSize=1&pageSize=2', '&', '=', '==', ';', 'pageSize=%', '?') },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(pair, { maxLength: 5 }), async (pairs) => {
        const answer = await send('GET', `${HUBS}?${pairs.join('&')}`, { headers: { authorization: `Bearer ${token}` } });
        checkRest(answer, 'page', tenantId);
      }),
      BOUNDS,
    );
  });

  test('when /api/v1/hubs/:hubId has a random segment, then the answer is well-formed and never a 5xx', async () => {
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const segment = fc.oneof(
      { weight: 4, arbitrary: urlText.map((text) => encodeURIComponent(text)) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.uuid(), fc.constantFrom<(id: string) => string>((id) => id, (id) => id.toUpperCase(), (id) => ` ${id}`, (id) => `${id} `, (id) => `{${id}}`, (id) => id.replace(/-/g, ''), (id) => `${id}0`))
          .map(([id, variant]) => encodeURIComponent(variant(id))),
      },
      { weight: 1, arbitrary: percentText },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 90, maxLength: 120 }).map((text) => encodeURIComponent(text)) },
    );
    await fc.assert(
      fc.asyncProperty(segment, fc.constantFrom('GET', 'PUT', 'DELETE'), async (hubId, method) => {
        const body = method === 'PUT' ? JSON.stringify({ description: 'x' }) : undefined;
        const answer = await send(method, `${HUBS}/${hubId}`, { headers: jsonHeaders(token), body });
        // The tenant has no hub: a 200 can only be the (empty) collection, when the segment is a dot.
        checkRest(answer, answer.status === 200 ? 'page' : 'hub', tenantId);
        if (answer.status === 200) expect(answer.body).toMatchObject({ total: 0, results: [] });
      }),
      // The minimal counterexamples fast-check found (see the example tests below), kept as first runs.
      { ...BOUNDS, examples: [['%', 'GET'], ['%20'.repeat(101), 'GET']] },
    );
  });
});

describe('random input on GraphQL', () => {
  const graphqlInput = fc.oneof(
    { weight: 3, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom('name', 'description', 'closeDormantConversation', 'status', 'statusId', 'hubId', 'tenantId'), fc.string({ maxLength: 8 })), propertyValue, { maxKeys: 6 }) },
    {
      weight: 2,
      arbitrary: fc.record(
        { name: anyString, description: anyString, closeDormantConversation: propertyValue, status: fc.oneof(fc.constantFrom('ACTIVE', 'PAUSED', 'active', null), propertyValue) },
        { requiredKeys: ['name', 'description'] },
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );

  test('when createHub, updateHub and hubs get random variables, then the answer is well-formed and never a 5xx', async () => {
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const hubId = await newHub(token);
    const operation = fc.oneof(
      graphqlInput.map((input) => ({ query: CREATE, variables: { input } })),
      fc.tuple(fc.oneof(fc.constantFrom(hubId, ABSENT, hubId.toUpperCase()), propertyValue), graphqlInput).map(([id, input]) => ({ query: UPDATE, variables: { hubId: id, input } })),
      fc.tuple(propertyValue, propertyValue).map(([pageNumber, pageSize]) => ({ query: LIST, variables: { pageNumber, pageSize } })),
      propertyValue.map((id) => ({ query: GET, variables: { hubId: id } })),
      fc.tuple(fc.constantFrom(CREATE, UPDATE, LIST, GET), fc.jsonValue({ maxDepth: 2 })).map(([query, variables]) => ({ query, variables })),
    );
    let keys = 0;
    await fc.assert(
      fc.asyncProperty(operation, fc.boolean(), async (payload, withKey) => {
        checkGraphQL(await graphqlRaw(token, payload, withKey ? { 'idempotency-key': `key-${++keys}` } : {}));
      }),
      // A counterexample fast-check found (see the example tests below), kept as the first run.
      { ...BOUNDS, examples: [[{ query: CREATE, variables: { input: { name: 'lone', description: '\udfff' } } }, true]] },
    );
  });

  test('when a random string is sent as the GraphQL query, then the answer is well-formed and never a 5xx', async () => {
    const token = await tokenFor(newTenant());
    const TOKENS = ['{', '}', '(', ')', '[', ']', ':', '!', '=', '$x', '$input', '...', '@include(if: true)', '@skip', 'query', 'mutation', 'subscription', 'fragment F on Hub', '...F', 'on', 'hubs', 'hub', 'hubId', 'createHub', 'updateHub', 'deleteHub', 'input', 'name', 'results', 'total', '__typename', '__schema', '__type(name: "Hub")', 'types', 'fields', '"str"', '"""block"""', '1', '-1', '1.5', '99999999999', 'true', 'null', 'ACTIVE', 'Int', 'ID!', 'pageSize: 100', 'pageNumber: -1', 'hubId: "x"', '#', ',', '\n', 'a:', '$'];
    const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }).map((parts) => parts.join(' '));
    const query = fc.oneof(fc.string({ unit: anyUnit, maxLength: 80 }), tokenSoup, fc.jsonValue({ maxDepth: 2 }));
    const extras = fc.record({ operationName: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })), variables: fc.jsonValue({ maxDepth: 2 }), extensions: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(query, extras, fc.boolean(), async (text, rest, viaGet) => {
        if (viaGet) {
          const search = new URLSearchParams({ query: typeof text === 'string' ? text.replace(/[\ud800-\udfff]/g, '') : JSON.stringify(text) });
          checkGraphQL(await send('GET', `/graphql?${search.toString()}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } }));
        } else {
          checkGraphQL(await graphqlRaw(token, { query: text, ...rest }));
        }
      }),
      BOUNDS,
    );
  });

  test('when the GraphQL body is malformed or not JSON, then the answer is well-formed and never a 5xx', async () => {
    const token = await tokenFor(newTenant());
    await fc.assert(
      fc.asyncProperty(fc.oneof(rawBody, rawBytes), contentType, async (body, type) => {
        checkGraphQL(await send('POST', '/graphql', { headers: { authorization: `Bearer ${token}`, 'content-type': type }, body }));
      }),
      BOUNDS,
    );
  });
});

describe('random headers', () => {
  test('when authorization, x-request-id, idempotency-key and content-type are random, then both transports answer well-formed and never a 5xx', async () => {
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const authorization = fc.oneof(
      headerValue(60),
      headerValue(20).map((junk) => `Bearer ${junk}`),
      fc.constantFrom(`Bearer ${token}`, `bearer ${token}`, `Bearer  ${token}  `, `Bearer ${token}x`, `Bearer ${token.slice(0, -2)}`, `Basic ${token}`, token, 'Bearer', 'Bearer a.b.c', 'Bearer ..', `Bearer ${token.split('.').slice(0, 2).join('.')}.`),
    );
    const requestId = fc.oneof(headerValue(140), fc.constantFrom('abc', 'a'.repeat(128), 'a'.repeat(129), 'req-1:2.3_4'));
    const idempotencyKey = fc.oneof(headerValue(20), fc.string({ unit: printableAscii, minLength: 250, maxLength: 260 }));
    const headers = fc.record(
      { authorization, 'x-request-id': requestId, 'idempotency-key': idempotencyKey, 'content-type': fc.oneof(fc.constant('application/json'), contentType) },
      { requiredKeys: [] },
    );
    let counter = 0;
    await fc.assert(
      fc.asyncProperty(headers, fc.boolean(), async (sent, viaGraphQL) => {
        counter += 1;
        const name = `header hub ${counter}`;
        const answer = viaGraphQL
          ? await send('POST', '/graphql', { headers: sent, body: JSON.stringify({ query: CREATE, variables: { input: { name, description: '' } } }) })
          : await send('POST', HUBS, { headers: sent, body: JSON.stringify({ name, description: '' }) });
        if (viaGraphQL) checkGraphQL(answer);
        else checkRest(answer, 'hub', tenantId);
        const id = sent['x-request-id']?.trim();
        if (id !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(id)) expect(answer.headers.get('x-request-id')).toBe(id);
        else expect(answer.headers.get('x-request-id')).toMatch(GUID);
      }),
      BOUNDS,
    );
  });
});

describe('hostile strings as name and description', () => {
  const HOSTILE = [
    "'; DROP TABLE hubs; --",
    "Robert'); DELETE FROM hubs WHERE ('1'='1",
    '" OR 1=1 --',
    '%_\\%',
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '{{7*7}}${7*7}',
    '😀👍🏽👩‍👩‍👧',
    '\u202egnp.exe',
    'שלום\u200f עולם',
    '\u200b',
    '\ufeffBOM',
    'a\u0000b',
    '\u0000',
    'e\u0301 vs é',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    '\\u0000',
    '\n\r\t',
    '   ',
  ];
  const hostileUnit = fc.oneof(anyUnit, fc.constantFrom(...HOSTILE));
  const hostile = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
    { weight: 3, arbitrary: fc.string({ unit: hostileUnit, minLength: 1, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: anyUnit, minLength: 98, maxLength: 101 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('😀', 'a', '\u202e', 'ß'), minLength: 95, maxLength: 101 }) },
  );
  const description = fc.oneof(hostile, fc.string({ unit: fc.oneof(hostileUnit, fc.constant('x')), minLength: 990, maxLength: 1001 }), fc.constant(''));

  const codePoints = (text: string) => [...text].length;
  /** U+0000, or an unpaired surrogate: not storable text, refused as a wrong type (302). */
  // eslint-disable-next-line no-control-regex -- U+0000 is exactly what is refused.
  const unstorable = (text: string) => /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
  /** Whether the contract's rules accept the pair (CONTRACT.md section 3): names are judged as stored. */
  const acceptable = (name: string, text: string) =>
    codePoints(storedName(name)) >= 1 &&
    codePoints(storedName(name)) <= 100 &&
    !unstorable(name) &&
    !hasControlCharacter(storedName(name)) &&
    !isInvisible(storedName(name)) &&
    codePoints(text) <= 1000 &&
    !unstorable(text);

  test('when a hostile string is sent as name and description, then it is stored verbatim (the name trimmed, in NFC) or refused with a 400', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, description, fc.boolean(), async (name, text, viaGraphQL) => {
        const tenantId = newTenant();
        const token = await tokenFor(tenantId);
        let hubId: string;
        if (viaGraphQL) {
          const answer = await graphqlRaw(token, { query: CREATE, variables: { input: { name, description: text } } });
          checkGraphQL(answer);
          const errors = (answer.body as { errors?: { extensions: { code: string } }[] }).errors;
          if (errors !== undefined) {
            expect(errors.map((error) => error.extensions.code)).toEqual(['BAD_USER_INPUT']);
            expect(acceptable(name, text)).toBe(false);
            return;
          }
          hubId = (answer.body as { data: { createHub: { hubId: string } } }).data.createHub.hubId;
          expectStored('createHub answer', (answer.body as { data: { createHub: unknown } }).data.createHub, storedName(name), text);
        } else {
          const answer = await send('POST', HUBS, { headers: jsonHeaders(token), body: JSON.stringify({ name, description: text }) });
          checkRest(answer, 'hub', tenantId);
          if (answer.status !== 200) {
            expect(answer.status).toBe(400);
            expect(acceptable(name, text)).toBe(false);
            return;
          }
          hubId = (answer.body as { hubId: string }).hubId;
          expectStored('POST answer', answer.body, storedName(name), text);
        }
        expect(acceptable(name, text)).toBe(true);
        const got = await send('GET', `${HUBS}/${hubId}`, { headers: { authorization: `Bearer ${token}` } });
        checkRest(got, 'hub', tenantId);
        expect(got.status).toBe(200);
        expectStored('REST GET', got.body, storedName(name), text);
        const viaGraphQLRead = await graphqlRaw(token, { query: GET, variables: { hubId } });
        checkGraphQL(viaGraphQLRead);
        expectStored('GraphQL hub', (viaGraphQLRead.body as { data: { hub: unknown } }).data.hub, storedName(name), text);
      }),
      // The minimal counterexample fast-check found (see the example tests below), kept as the first run.
      { ...BOUNDS, examples: [['\ud800', '', false]] },
    );
  });
});

describe('counterexamples found by the properties, as plain examples', () => {
  test('when a create with an Idempotency-Key has a lone surrogate (U+D800) in its name on REST, then no 5xx', async () => {
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const answer = await send('POST', HUBS, { headers: jsonHeaders(token, { 'idempotency-key': 'lone-surrogate' }), body: JSON.stringify({ name: '\ud800', description: '' }) });
    checkRest(answer, 'hub', tenantId);
  });

  test('when a createHub with an Idempotency-Key has a lone surrogate (U+DFFF) in its description, then no INTERNAL_SERVER_ERROR', async () => {
    const token = await tokenFor(newTenant());
    checkGraphQL(await graphqlRaw(token, { query: CREATE, variables: { input: { name: 'lone', description: '\udfff' } } }, { 'idempotency-key': 'lone-surrogate' }));
  });

  test('when the hubId segment is a lone "%" (not a valid percent-escape), then 400 in Hubster\'s body with x-request-id', async () => {
    const token = await tokenFor(newTenant());
    const answer = await send('GET', `${HUBS}/%`, { headers: { authorization: `Bearer ${token}` } });
    checkRest(answer, 'hub');
    expect(answer.status).toBe(400);
  });

  test('when the hubId segment is longer than 100 characters, then 400 / 305 in Hubster\'s body with x-request-id', async () => {
    const token = await tokenFor(newTenant());
    const answer = await send('GET', `${HUBS}/${'a'.repeat(101)}`, { headers: { authorization: `Bearer ${token}` } });
    checkRest(answer, 'hub');
    expect(answer.status).toBe(400);
    expect((answer.body as { errors: { code: number }[] }).errors.map((entry) => entry.code)).toEqual([305]);
  });

  test('when a name is a lone surrogate (U+D800) on REST, then it is refused with 400 / 302 (it could not be stored as sent)', async () => {
    const tenantId = newTenant();
    const token = await tokenFor(tenantId);
    const created = await send('POST', HUBS, { headers: jsonHeaders(token), body: JSON.stringify({ name: '\ud800', description: '' }) });
    checkRest(created, 'hub', tenantId);
    expect(created.status).toBe(400);
    expect((created.body as { errors: { code: number }[] }).errors.map((entry) => entry.code)).toEqual([302]);
  });

  test('when a description is a lone surrogate (U+DC00) on GraphQL, then it is refused as BAD_USER_INPUT with PRT000302', async () => {
    const token = await tokenFor(newTenant());
    const created = await graphqlRaw(token, { query: CREATE, variables: { input: { name: 'lone', description: '\udc00' } } });
    checkGraphQL(created);
    const body = created.body as { errors?: { extensions: { code: string; errorCode: string } }[] };
    expect(body.errors?.map((error) => [error.extensions.code, error.extensions.errorCode])).toEqual([['BAD_USER_INPUT', 'PRT000302']]);
  });
});
