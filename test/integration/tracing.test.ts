import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/paths';
import { databaseUrl, newTenant, TEST_SECRET, tokenFor } from '../support/gateway';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { cleanEnv, startMain, stopMain, type StartedGateway } from '../support/processes';

/**
 * OpenTelemetry tracing (CONTRACT.md section 5): `npm start`'s gateway exporting to a stand-in
 * collector. Spans are read once the gateway has stopped: SIGTERM flushes what is still batched.
 */

const SERVER = 2;
const INTERNAL = 1;
const CLIENT = 3;
const ERROR = 2;

function gatewayEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    DATABASE_URL: databaseUrl(),
    AUTH_JWT_SECRET: TEST_SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    MIGRATIONS_RUN: 'false',
    ...extra,
  });
}

async function graphql(started: StartedGateway, token: string, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(started.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, { hubId?: string } | null>; errors?: { extensions: { code: string } }[] } };
}

/** The "request completed" lines of a gateway's output. */
function requestLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'request completed');
}

const childrenOf = (spans: readonly ReceivedSpan[], parent: ReceivedSpan) => spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId);

/** A value no statement or attribute could hold by chance. */
const marker = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

describe.each(['http/json', 'http/protobuf'])('with OTLP over %s', (protocol) => {
  let receiver: OtlpReceiver;
  let spans: ReceivedSpan[];
  let output: string;
  let exitCode: number | null;
  const callerTraceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');
  const hubName = marker('Traced hub');
  const description = marker('described');
  let hubId: string;
  let missingCode: string | undefined;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const started = await startMain(process.cwd(), gatewayEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_SERVICE_NAME: 'hubs-under-test' }));
    try {
      const token = await tokenFor(newTenant());
      const created = await graphql(
        started,
        token,
        'mutation CreateHub($input: CreateHubInput!) { createHub(input: $input) { hubId } }',
        { input: { name: hubName, description } },
        { traceparent: `00-${callerTraceId}-${callerSpanId}-01` },
      );
      expect(created.status).toBe(200);
      hubId = created.body.data!.createHub!.hubId!;
      expect((await graphql(started, token, 'query GetHub($hubId: ID!) { hub(hubId: $hubId) { name } }', { hubId })).body.data).toEqual({ hub: { name: hubName } });
      const missing = await graphql(started, token, 'mutation RenameMissing($hubId: ID!, $name: String!) { updateHub(hubId: $hubId, input: { name: $name }) { name } }', {
        hubId: randomUUID(),
        name: marker('Renamed'),
      });
      missingCode = missing.body.errors?.[0]?.extensions.code;
      const read = await fetch(`${started.restUrl}/${hubId}`, { headers: { authorization: `Bearer ${token}` } });
      expect(read.status).toBe(200);
      const base = started.graphqlUrl.replace(/\/graphql$/, '');
      for (const path of ['/health/ready', '/health/live', '/metrics']) expect((await fetch(`${base}${path}`)).status).toBe(200);
    } finally {
      exitCode = await stopMain(started);
      output = started.output();
      await receiver.close();
      spans = receiver.spans();
    }
  }, 60_000);

  const serverSpan = (name: string, traceId?: string) => {
    const found = spans.filter((span) => span.kind === SERVER && span.name === name && (traceId === undefined || span.traceId === traceId));
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  test('when SIGTERM stops the gateway, then it exits 0 and the last spans reach the collector in that encoding', () => {
    expect(exitCode).toBe(0);
    expect(receiver.exports.length).toBeGreaterThan(0);
    expect(new Set(receiver.exports.map((received) => received.path))).toEqual(new Set(['/v1/traces']));
    const mediaType = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
    expect(receiver.exports.every((received) => received.contentType?.startsWith(mediaType))).toBe(true);
    expect(new Set(spans.map((span) => span.resource['service.name']))).toEqual(new Set(['hubs-under-test']));
  });

  test('when a GraphQL query runs, then its server span parents one operation span, which parents its statements', () => {
    const operations = spans.filter((span) => span.name === 'query GetHub');
    expect(operations).toHaveLength(1);
    const operation = operations[0]!;
    const server = spans.find((span) => span.spanId === operation.parentSpanId)!;
    expect(server).toMatchObject({ kind: SERVER, name: 'POST /graphql', traceId: operation.traceId });
    expect(server.attributes).toMatchObject({ 'http.route': '/graphql', 'http.response.status_code': 200, 'http.request.method': 'POST' });
    expect(operation).toMatchObject({ kind: INTERNAL, status: { code: 0 } });
    expect(operation.attributes).toEqual({ 'graphql.operation.name': 'GetHub', 'graphql.operation.type': 'query' });
    // Only the operation below the server span: no span per hook, handler or resolver.
    expect(childrenOf(spans, server)).toEqual([operation]);
    const statements = childrenOf(spans, operation);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.kind).toBe(CLIENT);
      expect(statement.attributes).toMatchObject({ 'db.system': 'postgresql', 'db.system.name': 'postgresql' });
      expect(statement.attributes['db.query.text']).toMatch(/\$1/);
    }
    expect(childrenOf(spans, operation).flatMap((statement) => childrenOf(spans, statement))).toEqual([]);
  });

  test('when a REST request runs, then its server span carries the route pattern and parents its statements', () => {
    const server = serverSpan('GET /api/v1/hubs/:hubId');
    expect(server.attributes).toMatchObject({ 'http.route': '/api/v1/hubs/:hubId', 'http.response.status_code': 200, 'url.path': `/api/v1/hubs/${hubId}` });
    const statements = childrenOf(spans, server);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.every((statement) => statement.kind === CLIENT && statement.attributes['db.system'] === 'postgresql')).toBe(true);
  });

  test("when the caller sends a traceparent, then the server span continues the caller's trace", () => {
    const server = serverSpan('POST /graphql', callerTraceId);
    expect(server.parentSpanId).toBe(callerSpanId);
    const [operation] = childrenOf(spans, server);
    expect(operation).toMatchObject({ name: 'mutation CreateHub', attributes: { 'graphql.operation.type': 'mutation', 'graphql.operation.name': 'CreateHub' } });
    // Requests without one start traces of their own.
    expect(spans.filter((span) => span.kind === SERVER && span.traceId !== callerTraceId).every((span) => span.parentSpanId === undefined)).toBe(true);
  });

  test("when an operation fails, then its span has the error status and the first error's code", () => {
    expect(missingCode).toBe('NOT_FOUND');
    const [operation] = spans.filter((span) => span.name === 'mutation RenameMissing');
    expect(operation).toMatchObject({ status: { code: ERROR, message: 'NOT_FOUND' } });
    expect(operation!.attributes['graphql.error.code']).toBe('NOT_FOUND');
  });

  test("when the client sends values, then no span attribute holds one: statements carry their text, not their values", () => {
    const holders = spans.filter((span) =>
      Object.values(span.attributes).some((value) => typeof value === 'string' && [hubName, description, 'Renamed-'].some((sent) => value.includes(sent))),
    );
    expect(holders).toEqual([]);
    // Nor anywhere else in what was sent, whatever the encoding.
    expect(receiver.exports.filter((received) => [hubName, description, 'Renamed-'].some((sent) => received.body.includes(sent)))).toEqual([]);
    // The statement that stored them was traced, with placeholders where they went.
    const insert = spans.find((span) => span.kind === CLIENT && /INSERT INTO "hubs"/.test(String(span.attributes['db.query.text'])));
    expect(insert?.attributes['db.query.text']).toMatch(/VALUES \(\$1, \$2/);
  });

  test('when health checks and metrics scrapes come, then they make no spans', () => {
    expect(spans.filter((span) => span.kind === SERVER).map((span) => span.name).sort()).toEqual([
      'GET /api/v1/hubs/:hubId',
      'POST /graphql',
      'POST /graphql',
      'POST /graphql',
    ]);
  });

  test("when a request is logged, then its line carries its server span's trace id", () => {
    const lines = requestLines(output).filter((line) => !/^\/(health|metrics)/.test(String(line.route)));
    expect(lines.length).toBe(4);
    const servers = spans.filter((span) => span.kind === SERVER);
    expect(lines.map((line) => line.traceId).sort()).toEqual(servers.map((span) => span.traceId).sort());
    expect(lines.find((line) => line.operation === 'CreateHub')?.traceId).toBe(callerTraceId);
  });
});

test('when the sampler is always_off, then requests are served and nothing is exported', async () => {
  const receiver = await startOtlpReceiver();
  const started = await startMain(process.cwd(), gatewayEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER: 'always_off' }));
  try {
    const token = await tokenFor(newTenant());
    const created = await graphql(started, token, 'mutation { createHub(input: { name: "Unsampled", description: "" }) { hubId } }', {});
    expect(created.status).toBe(200);
    const read = await fetch(`${started.restUrl}/${created.body.data!.createHub!.hubId!}`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200);
  } finally {
    expect(await stopMain(started)).toBe(0);
    await receiver.close();
  }
  expect(receiver.exports).toEqual([]);
}, 30_000);

test('when the collector never answers, then requests are served at once and SIGTERM still exits 0 within seconds', async () => {
  const receiver = await startOtlpReceiver({ hang: true });
  // A batch leaves at once, so exports hang on the collector while the requests run.
  const started = await startMain(process.cwd(), gatewayEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '1' }));
  let stoppedInMs: number;
  try {
    const token = await tokenFor(newTenant());
    const slowest = { ms: 0 };
    for (let round = 0; round < 20; round++) {
      const sent = performance.now();
      const answer = await graphql(started, token, '{ hubs { total } }', {});
      expect(answer.status).toBe(200);
      slowest.ms = Math.max(slowest.ms, performance.now() - sent);
    }
    expect(receiver.exports.length).toBeGreaterThan(0);
    expect(slowest.ms).toBeLessThan(1000);
  } finally {
    const stopping = performance.now();
    expect(await stopMain(started)).toBe(0);
    stoppedInMs = performance.now() - stopping;
    await receiver.close();
  }
  // The exporter's own timeout is 10 s; the stop gives the last export 2 s.
  expect(stoppedInMs).toBeLessThan(5000);
}, 30_000);

test('when the collector refuses the spans, then requests are served and one warning line says they were dropped', async () => {
  // 400 is not worth a retry to the exporter: each batch fails at once.
  const receiver = await startOtlpReceiver({ status: 400 });
  const started = await startMain(process.cwd(), gatewayEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '1' }));
  try {
    const token = await tokenFor(newTenant());
    for (let round = 0; round < 5; round++) {
      expect((await graphql(started, token, '{ hubs { total } }', {})).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    expect(await stopMain(started)).toBe(0);
    await receiver.close();
  }
  expect(receiver.exports.length).toBeGreaterThan(1);
  const warnings = started
    .output()
    .split('\n')
    .filter((line) => line.includes('spans could not be exported'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(warnings).toEqual([expect.objectContaining({ level: 40, url: `${receiver.endpoint}/v1/traces`, dropped: expect.any(Number) })]);
}, 30_000);

test('when OTEL_EXPORTER_OTLP_ENDPOINT is unset, then nothing is exported and no module of the OpenTelemetry SDK is loaded', async () => {
  const receiver = await startOtlpReceiver();
  const loadedList = join(mkdtempSync(join(tmpdir(), 'hubs-loaded-')), 'modules.txt');
  const preload = join(projectRoot(), 'test', 'support', 'loaded-modules.mjs');
  // The SDK's own variable for where traces go: were any of it running, it would send them there.
  const env = { ...gatewayEnv(), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.endpoint}/v1/traces`, NODE_OPTIONS: `--import ${preload}`, HUBS_TEST_LOADED_MODULES: loadedList };
  const started = await startMain(process.cwd(), env);
  try {
    const token = await tokenFor(newTenant());
    expect((await graphql(started, token, '{ hubs { total } }', {}, { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` })).status).toBe(200);
  } finally {
    expect(await stopMain(started)).toBe(0);
    await receiver.close();
  }
  const loaded = readFileSync(loadedList, 'utf8').split('\n');
  // The list is real: the gateway's own packages are in it.
  expect(loaded.some((path) => /node_modules\/pg\//.test(path))).toBe(true);
  expect(loaded.some((path) => /node_modules\/fastify\//.test(path))).toBe(true);
  expect(loaded.filter((path) => /@opentelemetry\/(sdk|exporter|instrumentation)|@fastify\/otel|\/dist\/src\/tracing\//.test(path))).toEqual([]);
  expect(receiver.exports).toEqual([]);
  const [line] = requestLines(started.output());
  expect(line).toBeDefined();
  expect(line!.traceId).toBeUndefined();
}, 30_000);
