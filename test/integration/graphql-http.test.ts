import { createHash } from 'node:crypto';
import { gatewayWithTenant, LogCapture } from '../support/gateway';

/**
 * GraphQL over HTTP as clients speak it (CONTRACT.md section 4, "Over HTTP"): GET queries, the
 * media type of error answers, and the client's own mistakes answered as 4xx with Apollo's codes.
 */
const logs = new LogCapture();
const suite = gatewayWithTenant({ LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '10' }, { logStream: logs });

/** A POST with the given JSON body, as any client sends it. */
interface Answer {
  readonly status: number;
  readonly type: string | null;
  readonly body: { data?: unknown; errors?: { message: string; extensions: Record<string, unknown> }[] };
}

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${suite.gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${suite.token}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Answer['body'] };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Error lines the gateway logged since the test began: a client's mistake must write none. */
function errorLines(since: number): Record<string, unknown>[] {
  return logs.lines.slice(since).filter((line) => Number(line.level) >= 50);
}

describe('GET', () => {
  test('when a query is sent with GET and a token, and no other header, then it runs', async () => {
    const response = await fetch(`${suite.gateway.url}/graphql?query=${encodeURIComponent('{ hubs { total } }')}`, {
      headers: { authorization: `Bearer ${suite.token}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hubs: { total: 0 } } });
  });

  test('when a mutation is sent with GET, then 405 and nothing changes', async () => {
    const mutation = 'mutation { createHub(input: { name: "By GET", description: "" }) { hubId } }';
    const response = await fetch(`${suite.gateway.url}/graphql?query=${encodeURIComponent(mutation)}`, { headers: { authorization: `Bearer ${suite.token}` } });
    expect(response.status).toBe(405);
    const after = await post({ query: '{ hubs { total } }' });
    expect(after.body.data).toEqual({ hubs: { total: 0 } });
  });
});

describe('the media type of errors', () => {
  const APOLLO_CLIENT_4_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';

  test('when a client that prefers application/graphql-response+json gets 401, then the answer has that type and a GraphQL body', async () => {
    const response = await fetch(`${suite.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: APOLLO_CLIENT_4_ACCEPT },
      body: JSON.stringify({ query: '{ hubs { total } }' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    expect(await response.json()).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED', errorCode: 'PRT000102' } })] });
  });

  test('when such a client is rate limited, then 429 also comes as application/graphql-response+json', async () => {
    let last = await post({ query: '{ __typename }' }, { accept: APOLLO_CLIENT_4_ACCEPT });
    for (let i = 0; i < 10 && last.status !== 429; i++) last = await post({ query: '{ __typename }' }, { accept: APOLLO_CLIENT_4_ACCEPT });
    expect(last.status).toBe(429);
    expect(last.type).toBe('application/graphql-response+json; charset=utf-8');
    expect(last.body.errors?.[0]?.extensions.code).toBe('RATE_LIMITED');
  });

  test('when a client accepts only application/json (or says nothing), then errors stay application/json', async () => {
    for (const headers of [{ accept: 'application/json' }, {} as Record<string, string>]) {
      const response = await fetch(`${suite.gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ hubs { total } }' }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
  });
});

describe("the client's own mistakes are 4xx with Apollo's codes, and log no error", () => {
  test.each([
    ['two operations and no operationName', { query: 'query A { __typename } query B { __typename }' }, 'Must provide operation name if query contains multiple operations.'],
    ['two operations and an unknown operationName', { query: 'query A { __typename } query B { __typename }', operationName: 'C' }, 'Unknown operation named "C".'],
  ])('when a request has %s, then 400 OPERATION_RESOLUTION_FAILURE', async (_case, body, message) => {
    const since = logs.lines.length;
    // Twice: the second run of a document goes through the compiled (graphql-jit) path.
    for (let run = 0; run < 2; run++) {
      const result = await post(body);
      expect(result.status).toBe(400);
      expect(result.body.errors).toEqual([{ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }]);
    }
    expect(errorLines(since)).toEqual([]);
  });

  test('when a subscription is sent over HTTP, then 400 BAD_REQUEST says it is served over WebSocket, and nothing is subscribed', async () => {
    const since = logs.lines.length;
    const result = await post({ query: 'subscription { hubChanged { kind } }' });
    expect(result.status).toBe(400);
    expect(result.body.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/WebSocket/), extensions: { code: 'BAD_REQUEST' } }),
    ]);
    expect(errorLines(since)).toEqual([]);
  });

  test.each([
    ['a hash that does not match its query', { version: 1, sha256Hash: sha256('{ somethingElse }') }, 'provided sha does not match query'],
    ['an unknown persisted-query version', { version: 2, sha256Hash: sha256('{ __typename }') }, 'Unsupported persisted query version'],
  ])('when an automatic persisted query has %s, then 400 BAD_REQUEST with its message', async (_case, persistedQuery, message) => {
    const since = logs.lines.length;
    const result = await post({ query: '{ __typename }', extensions: { persistedQuery } });
    expect(result.status).toBe(400);
    expect(result.body.errors).toEqual([{ message, extensions: { code: 'BAD_REQUEST' } }]);
    expect(errorLines(since)).toEqual([]);
  });
});
