// The load generator: autocannon runs (a warm-up, then the measured run) against one server, in a
// process of its own so that it can be pinned to its own core (`taskset -c 1`).
//   node bench/load.mjs spec.json      one run; prints JSON lines: {"phase":"measure"}, {"result":{...}}
//   as a child with an IPC channel     (bench/run.mjs) takes {spec} messages, answers the same objects
// spec: { url, connections, warmupSeconds, durationSeconds (whole seconds: autocannon counts in
// ticks of 1 s), kind, tenants: [{ token, tenantId, hubIds, total }], namePrefix }.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import autocannon from 'autocannon';
import { HUB_FIELDS } from './support.mjs';

const GATEWAY_HUB = `query Hub($hubId: ID!) { hub(hubId: $hubId) { ${HUB_FIELDS} } }`;
const GATEWAY_HUBS = `query Hubs($pageNumber: Int!) { hubs(pageNumber: $pageNumber, pageSize: 50) { pageNumber pageSize total results { ${HUB_FIELDS} } } }`;
const GATEWAY_CREATE = `mutation Create($input: CreateHubInput!) { createHub(input: $input) { ${HUB_FIELDS} } }`;
const GATEWAY_BY_IDS = `query ByIds($ids: [ID!]!) { hubsByIds(hubIds: $ids) { ${HUB_FIELDS} } }`;
// Pages of 50 as a scrolling client asks for them: cursors and hubs, no total.
const GATEWAY_CONNECTION = `query Page($after: String) { hubConnection(first: 50, after: $after) { pageInfo { hasNextPage endCursor } edges { cursor node { ${HUB_FIELDS} } } } }`;
const GATEWAY_CONNECTION_NAME = `query Named($term: String!) { hubConnection(first: 50, filter: { nameContains: $term }) { pageInfo { hasNextPage endCursor } edges { cursor node { ${HUB_FIELDS} } } } }`;
const PEER_HUB = `query Hub($tenantId: UUID!, $hubId: UUID!) { hub(tenantId: $tenantId, hubId: $hubId) { ${HUB_FIELDS} } }`;
// The peer's own connection: the first page of 50 of the tenant, cursors and hubs, no total.
const PEER_CONNECTION = `query Page($tenantId: UUID!) { hubs(condition: { tenantId: $tenantId }, first: 50, orderBy: [CREATED_AT_ASC, HUB_ID_ASC]) { pageInfo { hasNextPage endCursor } edges { cursor node { ${HUB_FIELDS} } } } }`;
const PEER_HUBS = `query Hubs($tenantId: UUID!, $offset: Int!) { hubs(condition: { tenantId: $tenantId }, first: 50, offset: $offset, orderBy: [CREATED_AT_ASC, HUB_ID_ASC]) { totalCount nodes { ${HUB_FIELDS} } } }`;

/**
 * What each kind of scenario sends as the i-th request: tenant i mod T, and within that tenant
 * (j = i div T) its hubs or its pages in turn. Creates get unique names from the counter.
 */
const BUILDERS = {
  'rest-get': (t, j) => rest('GET', `/api/v1/hubs/${t.hubIds[j % t.hubIds.length]}`, t),
  'rest-page': (t, j) => rest('GET', `/api/v1/hubs?pageNumber=${j % pages(t)}&pageSize=50`, t),
  'rest-create': (t, j, i, prefix) => rest('POST', '/api/v1/hubs', t, newHub(prefix, i, { statusId: 2000 })),
  'gql-hub': (t, j) => graphql(t, GATEWAY_HUB, { hubId: t.hubIds[j % t.hubIds.length] }),
  'gql-hubs': (t, j) => graphql(t, GATEWAY_HUBS, { pageNumber: j % pages(t) }),
  'gql-by-ids': (t, j) => graphql(t, GATEWAY_BY_IDS, { ids: fifty(t.hubIds, j) }),
  'gql-conn': (t) => graphql(t, GATEWAY_CONNECTION, { after: null }),
  'gql-conn-first': (t) => graphql(t, GATEWAY_CONNECTION, { after: null }),
  'gql-conn-deep': (t, j) => graphql(t, GATEWAY_CONNECTION, { after: t.cursors[j % t.cursors.length].after }),
  'gql-conn-name': (t, j) => graphql(t, GATEWAY_CONNECTION_NAME, { term: t.terms[j % t.terms.length] }),
  'rest-page-first': (t) => rest('GET', '/api/v1/hubs?pageNumber=0&pageSize=50', t),
  'rest-page-deep': (t, j) => rest('GET', `/api/v1/hubs?pageNumber=${t.deepPage + (j % 20)}&pageSize=50`, t),
  'gql-create': (t, j, i, prefix) => graphql(t, GATEWAY_CREATE, { input: newHub(prefix, i, { status: 'ACTIVE' }) }),
  'peer-hub': (t, j) => graphql(null, PEER_HUB, { tenantId: t.tenantId, hubId: t.hubIds[j % t.hubIds.length] }),
  'peer-hubs': (t, j) => graphql(null, PEER_HUBS, { tenantId: t.tenantId, offset: 50 * (j % pages(t)) }),
  'peer-conn': (t) => graphql(null, PEER_CONNECTION, { tenantId: t.tenantId }),
};

/** 50 of the tenant's hub ids, starting one further each request. */
const fifty = (hubIds, j) => Array.from({ length: 50 }, (_, k) => hubIds[(j + k) % hubIds.length]);
const pages = (t) => Math.max(1, Math.ceil(t.total / 50));
const newHub = (prefix, i, extra) => ({ name: `${prefix}-${i}`, description: 'Created by the benchmark', closeDormantConversation: 30, ...extra });

function rest(method, path, t, body) {
  const headers = { authorization: `Bearer ${t.token}` };
  if (body === undefined) return { method, path, headers };
  headers['content-type'] = 'application/json';
  return { method, path, headers, body: JSON.stringify(body) };
}

function graphql(t, query, variables) {
  const headers = { 'content-type': 'application/json' };
  if (t !== null) headers.authorization = `Bearer ${t.token}`;
  return { method: 'POST', path: '/graphql', headers, body: JSON.stringify({ query, variables }) };
}

const percentile = (sorted, p) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);
const round = (ms) => (ms === null ? null : Number(ms.toFixed(3)));

/** One scenario against one server: warm-up, then the measured run; `emit` gets the phase and the result. */
async function runSpec(spec, emit) {
  const { tenants, namePrefix } = spec;
  const T = tenants.length;
  const build = BUILDERS[spec.kind];
  if (build === undefined) throw new Error(`unknown scenario kind ${spec.kind}`);
  const isGraphql = spec.kind.startsWith('gql') || spec.kind.startsWith('peer');

  let counter = 0;
  let graphqlErrors = 0;
  let firstProblem;
  const request = {
    setupRequest(req) {
      const i = counter++;
      return { ...req, ...build(tenants[i % T], Math.floor(i / T), i, namePrefix) };
    },
  };
  // GraphQL answers its errors with HTTP 200: look for them in the body.
  if (isGraphql) {
    request.onResponse = (status, body) => {
      if (status === 200 && body.includes('"errors"')) {
        graphqlErrors++;
        firstProblem ??= body.slice(0, 300);
      }
    };
  }

  // Exact percentiles of every measured response time (ms, float; autocannon's own histogram
  // keeps whole milliseconds only).
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  const record = (ms) => {
    if (n === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[n++] = ms;
  };

  const run = (limits, measuring) =>
    new Promise((resolve, reject) => {
      const instance = autocannon(
        { url: spec.url, connections: spec.connections, requests: [request], ...limits },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
      if (measuring) {
        instance.on('response', (_client, status, _bytes, responseTime) => {
          if (status >= 200 && status < 300) record(responseTime);
          else firstProblem ??= `HTTP ${status}`;
        });
      }
    });

  if (spec.warmupSeconds > 0) await run({ duration: spec.warmupSeconds }, false);
  graphqlErrors = 0;
  firstProblem = undefined;
  emit({ phase: 'measure' });
  const started = process.hrtime.bigint();
  const result = await run({ duration: spec.durationSeconds }, true);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = latencies.subarray(0, n).sort();
  const ok = n - graphqlErrors;
  emit({
    result: {
      requests: result.requests.total,
      ok,
      seconds: Number(seconds.toFixed(3)),
      rps: Number((ok / seconds).toFixed(1)),
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(percentile(sorted, 100)),
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      graphqlErrors,
      firstProblem: firstProblem ?? null,
    },
  });
}

if (process.send !== undefined) {
  // Kept running by bench/run.mjs: one spec at a time.
  process.on('message', (message) => {
    if (message?.spec === undefined) return;
    runSpec(message.spec, (reply) => process.send(reply)).catch((error) => process.send({ error: String(error?.stack ?? error) }));
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  await runSpec(spec, (reply) => process.stdout.write(JSON.stringify(reply) + '\n'));
}
