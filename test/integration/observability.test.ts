import { graphql, newTenant, rest, startGateway, tokenFor, type TestGateway } from '../support/gateway';

const HUBS = '/api/v1/hubs';

/** Keeps each log line as written (to look for secrets) and parsed (to look at fields). */
class RawLogCapture {
  readonly raw: string[] = [];

  write(line: string): void {
    this.raw.push(line);
  }

  get lines(): Record<string, unknown>[] {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Every line of one request, by its request id. */
  of(requestId: string): Record<string, unknown>[] {
    return this.lines.filter((line) => line.reqId === requestId);
  }
}

/** The log line is written once the response is sent, so it may trail the client by a tick. */
async function requestLine(logs: RawLogCapture, requestId: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const lines = logs.of(requestId);
    if (lines.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const all = logs.of(requestId);
      expect(all).toHaveLength(1);
      return all[0]!;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no log line for request ${requestId}`);
}

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with exactly these labels, or undefined. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return samples.find((sample) => sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === wanted)?.value;
}

async function scrape(gateway: TestGateway): Promise<{ status: number; contentType: string | null; text: string; samples: Sample[] }> {
  const response = await fetch(`${gateway.url}/metrics`);
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), text, samples: parseMetrics(text) };
}

describe('request logs (LOG_LEVEL=info)', () => {
  const logs = new RawLogCapture();
  let gateway: TestGateway;
  let tenant: string;
  let token: string;
  beforeAll(async () => {
    gateway = await startGateway({ LOG_LEVEL: 'info' }, { logStream: logs });
    tenant = newTenant();
    token = await tokenFor(tenant);
  });
  afterAll(() => gateway.close());

  test('when a REST request completes, then exactly one JSON line has its request id, method, route pattern, status, duration and tenant', async () => {
    const created = await rest<{ hubId: string }>(gateway, 'POST', HUBS, { token, body: { name: 'Logged', description: 'd' } });
    expect(created.status).toBe(200);
    const read = await rest(gateway, 'GET', `${HUBS}/${created.body.hubId}`, { token, headers: { 'x-request-id': 'log-rest-1' } });
    expect(read.headers.get('x-request-id')).toBe('log-rest-1');

    const line = await requestLine(logs, 'log-rest-1');
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      reqId: 'log-rest-1',
      method: 'GET',
      route: '/api/v1/hubs/:hubId',
      status: 200,
      durationMs: expect.any(Number),
      tenant,
      msg: 'request completed',
    });
    expect(line.durationMs).toBeGreaterThan(0);
    expect(logs.lines.some((entry) => entry.msg === 'incoming request')).toBe(false);
  });

  test('when a GraphQL operation succeeds, then its line names the operation and says success', async () => {
    await graphql(gateway, 'query ListHubs { hubs { total } }', { token, headers: { 'x-request-id': 'log-gql-ok' } });
    expect(await requestLine(logs, 'log-gql-ok')).toEqual(
      expect.objectContaining({ method: 'POST', route: '/graphql', status: 200, tenant, operation: 'ListHubs', outcome: 'success' }),
    );
    const line = await requestLine(logs, 'log-gql-ok');
    expect(line).not.toHaveProperty('errorCode');
  });

  test('when a GraphQL operation fails, then its line says error with the first error code the client got', async () => {
    const create = 'mutation CreateTwice($input: CreateHubInput!) { createHub(input: $input) { hubId } }';
    const variables = { input: { name: 'Twice', description: 'd' } };
    await graphql(gateway, create, { token, variables });
    const taken = await graphql(gateway, create, { token, variables, headers: { 'x-request-id': 'log-gql-taken' } });
    expect(taken.body.errors?.[0]?.extensions.code).toBe('CONFLICT');
    expect(await requestLine(logs, 'log-gql-taken')).toEqual(
      expect.objectContaining({ status: 200, tenant, operation: 'CreateTwice', outcome: 'error', errorCode: 'CONFLICT' }),
    );

    await graphql(gateway, '{ hubs { nope } }', { token, headers: { 'x-request-id': 'log-gql-invalid' } });
    expect(await requestLine(logs, 'log-gql-invalid')).toEqual(
      expect.objectContaining({ status: 400, operation: 'anonymous', outcome: 'error', errorCode: 'GRAPHQL_VALIDATION_FAILED' }),
    );
  });

  test('when GraphQL is refused before it runs (no token), then the line has the error code and no tenant', async () => {
    const refused = await graphql(gateway, 'query Anyone { hubs { total } }', { headers: { 'x-request-id': 'log-gql-401' } });
    expect(refused.status).toBe(401);
    const line = await requestLine(logs, 'log-gql-401');
    expect(line).toEqual(expect.objectContaining({ status: 401, operation: 'unknown', outcome: 'error', errorCode: 'UNAUTHENTICATED' }));
    expect(line).not.toHaveProperty('tenant');
  });

  test('when no route matches, then the route is one fixed label, not the URL', async () => {
    await rest(gateway, 'GET', '/no/such/place?secret=1', { headers: { 'x-request-id': 'log-404' } });
    const line = await requestLine(logs, 'log-404');
    expect(line).toEqual(expect.objectContaining({ method: 'GET', route: 'unmatched', status: 404 }));
    expect(JSON.stringify(line)).not.toContain('no/such');

    // Fastify answers an unreadable URL before any route or hook runs: it still gets its line.
    const unreadable = await rest(gateway, 'GET', `${HUBS}/%zz`, { headers: { 'x-request-id': 'log-bad-url' } });
    expect(unreadable.status).toBe(400);
    expect(await requestLine(logs, 'log-bad-url')).toEqual(expect.objectContaining({ method: 'GET', route: 'unmatched', status: 400 }));
  });

  test('when tokens are sent, good or bad, then no log line contains them or the Authorization header', async () => {
    const secretTenant = newTenant();
    const good = await tokenFor(secretTenant);
    const forged = `${good.slice(0, good.lastIndexOf('.') + 1)}c2lnbmF0dXJlLW9mLW5vYm9keQ`;
    const before = logs.raw.length;
    await rest(gateway, 'POST', HUBS, { token: good, body: { name: 'Secret', description: 'd' } });
    await rest(gateway, 'POST', HUBS, { token: good, body: { name: 'Secret', description: 'taken' } });
    await rest(gateway, 'GET', `${HUBS}/not-a-guid`, { token: good });
    await rest(gateway, 'GET', HUBS, { token: forged });
    await graphql(gateway, '{ hubs { total } }', { token: good });
    await graphql(gateway, '{ hubs { total } }', { token: forged });
    await graphql(gateway, '{ hubs { total } }', { headers: { authorization: `Basic ${good}` } });
    await new Promise((resolve) => setTimeout(resolve, 50));

    const written = logs.raw.slice(before);
    expect(written.length).toBeGreaterThanOrEqual(7);
    const signature = good.slice(good.lastIndexOf('.') + 1);
    for (const line of written) {
      expect(line).not.toContain(signature);
      expect(line).not.toContain(forged.slice(forged.lastIndexOf('.') + 1));
      expect(line.toLowerCase()).not.toContain('bearer');
      expect(line.toLowerCase()).not.toContain('authorization');
    }
  });
});

describe('metrics', () => {
  let gateway: TestGateway;
  let token: string;
  beforeAll(async () => {
    gateway = await startGateway({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' });
    token = await tokenFor(newTenant());
  });
  afterAll(() => gateway.close());

  test('when /metrics is scraped without a token, then it answers Prometheus text with process and pool metrics', async () => {
    const { status, contentType, samples } = await scrape(gateway);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(valueOf(samples, 'db_pool_max_connections')).toBe(4);
    expect(valueOf(samples, 'db_pool_connections')).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'db_pool_idle_connections')).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'db_pool_waiting_requests')).toBe(0);
    expect(valueOf(samples, 'rate_limit_rejections_total', { key: 'ip' })).toBe(0);
  });

  test('when requests were served, then the duration histogram counts them by method, route pattern and status', async () => {
    const created = await rest<{ hubId: string }>(gateway, 'POST', HUBS, { token, body: { name: 'Measured', description: 'd' } });
    await rest(gateway, 'GET', `${HUBS}/${created.body.hubId}`, { token });
    await rest(gateway, 'GET', `${HUBS}/${created.body.hubId}`, { token });
    await rest(gateway, 'GET', '/nowhere/at/all');
    await rest(gateway, 'GET', `${HUBS}/%zz`);

    const { text, samples } = await scrape(gateway);
    const byHub = { method: 'GET', route: '/api/v1/hubs/:hubId', status: '200' };
    expect(valueOf(samples, 'http_request_duration_seconds_count', byHub)).toBe(2);
    expect(valueOf(samples, 'http_request_duration_seconds_bucket', { ...byHub, le: '+Inf' })).toBe(2);
    expect(valueOf(samples, 'http_request_duration_seconds_sum', byHub)).toBeGreaterThan(0);
    expect(valueOf(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/hubs', status: '200' })).toBe(1);
    expect(valueOf(samples, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(valueOf(samples, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '400' })).toBe(1);
    expect(text).not.toContain(created.body.hubId);
    expect(text).not.toContain('nowhere');
    // The pool has served these requests, so it holds a connection now.
    expect(valueOf(samples, 'db_pool_connections')).toBeGreaterThanOrEqual(1);
  });

  test('when GraphQL operations run, then they are counted by name and outcome, anonymous and long names bounded', async () => {
    const fresh = await startGateway();
    try {
      const own = await tokenFor(newTenant());
      await graphql(fresh, 'query Pages { hubs { total } }', { token: own });
      await graphql(fresh, 'query Pages { hubs { total } }', { token: own });
      await graphql(fresh, '{ hubs { total } }', { token: own });
      await graphql(fresh, 'mutation Gone { deleteHub(hubId: "00000000-0000-0000-0000-000000000000") { hubId } }', { token: own });
      await graphql(fresh, 'query Refused { hubs { total } }');
      await graphql(fresh, `query ${'L'.repeat(300)} { hubs { total } }`, { token: own });

      const { text, samples } = await scrape(fresh);
      const count = (labels: Record<string, string>) => valueOf(samples, 'graphql_operations_total', labels);
      expect(count({ operation: 'Pages', outcome: 'success' })).toBe(2);
      expect(count({ operation: 'anonymous', outcome: 'success' })).toBe(1);
      expect(count({ operation: 'Gone', outcome: 'error', code: 'NOT_FOUND' })).toBe(1);
      expect(count({ operation: 'unknown', outcome: 'error', code: 'UNAUTHENTICATED' })).toBe(1);
      expect(count({ operation: 'L'.repeat(64), outcome: 'success' })).toBe(1);
      expect(text).not.toContain('L'.repeat(65));
    } finally {
      await fresh.close();
    }
  });

  test('when a tenant is rate limited, then the rejection is counted and /metrics itself is never limited', async () => {
    const limited = await tokenFor(newTenant());
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await rest(gateway, 'GET', HUBS, { token: limited })).status);
    expect(statuses.filter((status) => status === 429)).toHaveLength(2);

    const scrapes = await Promise.all(Array.from({ length: 12 }, () => scrape(gateway)));
    expect(scrapes.map((result) => result.status)).toEqual(Array(12).fill(200));
    const latest = await scrape(gateway);
    expect(valueOf(latest.samples, 'rate_limit_rejections_total', { key: 'tenant' })).toBe(2);
    expect(valueOf(latest.samples, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/hubs', status: '429' })).toBe(2);
  });

  test('when two gateways run in one process, then each counts only its own requests', async () => {
    const other = await startGateway();
    try {
      await rest(other, 'GET', '/health/live');
      const mine = await scrape(gateway);
      const theirs = await scrape(other);
      const live = { method: 'GET', route: '/health/live', status: '200' };
      expect(valueOf(theirs.samples, 'http_request_duration_seconds_count', live)).toBe(1);
      expect(valueOf(mine.samples, 'http_request_duration_seconds_count', live)).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
