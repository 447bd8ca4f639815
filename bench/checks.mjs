// Checks: before any load, each scenario's request answers what it must, the same on every
// server, so that no server is measured answering errors fast.
import { randomUUID } from 'node:crypto';
import { HUB_FIELDS as FIELDS, HUB_KEYS } from './support.mjs';

async function call(url, path, token, body) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await globalThis.fetch(url + path, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/** The six REST fields of the hub, compared with what the database holds. */
function expectHub(where, hub, expected) {
  const keys = hub && typeof hub === 'object' ? Object.keys(hub).sort() : [];
  if (keys.join() !== [...HUB_KEYS].sort().join()) throw new Error(`${where}: not a hub with exactly ${HUB_KEYS.join(', ')}: ${JSON.stringify(hub)}`);
  for (const key of HUB_KEYS) {
    if (expected[key] !== undefined && hub[key] !== expected[key]) throw new Error(`${where}: ${key} is ${JSON.stringify(hub[key])}, expected ${JSON.stringify(expected[key])}`);
  }
}

export async function checkScenario(running, server, scenario, data) {
  const where = `${server.label} ${scenario.label}`;
  const reader = scenario.tenants[0];
  const truth = data.hubRow;
  const want = { hubId: reader.hubIds[0], tenantId: reader.tenantId };
  const gql = async (query, variables, token) => {
    const { status, json, text } = await call(running.url, '/graphql', token, { query, variables });
    if (status !== 200 || !json || json.errors) throw new Error(`${where}: HTTP ${status} ${text.slice(0, 500)}`);
    return json.data;
  };
  const writer = data.writers[0];
  const name = `check-${server.id}-${randomUUID()}`;
  switch (scenario.kind) {
    case 'rest-get': {
      const { status, json, text } = await call(running.url, `/api/v1/hubs/${want.hubId}`, reader.token);
      if (status !== 200) throw new Error(`${where}: HTTP ${status} ${text.slice(0, 300)}`);
      expectHub(where, json, { ...want, ...truth(reader) });
      break;
    }
    case 'rest-page': {
      const { status, json, text } = await call(running.url, '/api/v1/hubs?pageNumber=1&pageSize=50', reader.token);
      if (status !== 200) throw new Error(`${where}: HTTP ${status} ${text.slice(0, 300)}`);
      if (Object.keys(json).sort().join() !== 'pageNumber,pageSize,results,total') throw new Error(`${where}: page keys ${Object.keys(json)}`);
      if (json.total !== reader.total || json.pageNumber !== 1 || json.pageSize !== 50 || json.results.length !== 50) {
        throw new Error(`${where}: page ${json.pageNumber}/${json.pageSize}, total ${json.total}, ${json.results.length} results`);
      }
      expectHub(where, json.results[0], { hubId: reader.hubIds[50], tenantId: reader.tenantId });
      break;
    }
    case 'rest-create': {
      const body = { name, description: 'check', closeDormantConversation: 30, statusId: 2000 };
      const { status, json, text } = await call(running.url, '/api/v1/hubs', writer.token, body);
      if (status !== 200) throw new Error(`${where}: HTTP ${status} ${text.slice(0, 300)}`);
      expectHub(where, json, { tenantId: writer.tenantId, name, description: 'check', closeDormantConversation: 30, statusId: 2000 });
      break;
    }
    case 'gql-hub': {
      const { hub } = await gql(`query Hub($hubId: ID!) { hub(hubId: $hubId) { ${FIELDS} } }`, { hubId: want.hubId }, reader.token);
      expectHub(where, hub, { ...want, ...truth(reader) });
      break;
    }
    case 'gql-hubs': {
      const { hubs } = await gql(`query { hubs(pageNumber: 1, pageSize: 50) { pageNumber pageSize total results { ${FIELDS} } } }`, {}, reader.token);
      if (hubs.total !== reader.total || hubs.results.length !== 50) throw new Error(`${where}: total ${hubs.total}, ${hubs.results.length} results`);
      expectHub(where, hubs.results[0], { hubId: reader.hubIds[50], tenantId: reader.tenantId });
      break;
    }
    case 'gql-by-ids': {
      const ids = reader.hubIds.slice(0, 50);
      const { hubsByIds } = await gql(`query B($ids: [ID!]!) { hubsByIds(hubIds: $ids) { ${FIELDS} } }`, { ids }, reader.token);
      if (hubsByIds.length !== 50 || hubsByIds.some((hub, i) => hub?.hubId !== ids[i])) throw new Error(`${where}: not the 50 hubs asked, in order`);
      break;
    }
    case 'gql-conn':
    case 'gql-conn-first':
    case 'gql-conn-deep': {
      const place = scenario.kind === 'gql-conn-deep' ? reader.cursors[0] : { after: null, next: reader.hubIds[0] };
      const query = `query P($after: String) { hubConnection(first: 50, after: $after) { pageInfo { hasNextPage hasPreviousPage } edges { node { ${FIELDS} } } } }`;
      const { hubConnection: page } = await gql(query, { after: place.after }, reader.token);
      if (page.edges.length !== 50 || page.edges[0].node.hubId !== place.next || !page.pageInfo.hasNextPage || page.pageInfo.hasPreviousPage !== (place.after !== null)) {
        throw new Error(`${where}: ${page.edges.length} edges from ${page.edges[0]?.node.hubId}, expected 50 from ${place.next}; ${JSON.stringify(page.pageInfo)}`);
      }
      break;
    }
    case 'gql-conn-name': {
      const term = reader.terms[0];
      const { hubConnection: page } = await gql(`query N($t: String!) { hubConnection(first: 50, filter: { nameContains: $t }) { edges { node { name } } } }`, { t: term }, reader.token);
      if (page.edges.length === 0 || page.edges.some((edge) => !edge.node.name.toLowerCase().includes(term))) throw new Error(`${where}: names not containing ${term}`);
      break;
    }
    case 'rest-page-first':
    case 'rest-page-deep': {
      const [pageNumber, first] = scenario.kind === 'rest-page-deep' ? [reader.deepPage, reader.deepPageFirst] : [0, reader.hubIds[0]];
      const { status, json, text } = await call(running.url, `/api/v1/hubs?pageNumber=${pageNumber}&pageSize=50`, reader.token);
      if (status !== 200 || json.results.length !== 50 || json.results[0].hubId !== first || json.total !== reader.total) {
        throw new Error(`${where}: HTTP ${status} ${text.slice(0, 300)}`);
      }
      break;
    }
    case 'gql-create': {
      const input = { name, description: 'check', closeDormantConversation: 30, status: 'ACTIVE' };
      const { createHub } = await gql(`mutation C($input: CreateHubInput!) { createHub(input: $input) { ${FIELDS} } }`, { input }, writer.token);
      expectHub(where, createHub, { tenantId: writer.tenantId, name, description: 'check', closeDormantConversation: 30, statusId: 2000 });
      break;
    }
    case 'peer-hub': {
      const { hub } = await gql(`query Hub($t: UUID!, $h: UUID!) { hub(tenantId: $t, hubId: $h) { ${FIELDS} } }`, { t: reader.tenantId, h: want.hubId });
      expectHub(where, hub, { ...want, ...truth(reader) });
      break;
    }
    case 'peer-hubs': {
      const { hubs } = await gql(
        `query Hubs($t: UUID!) { hubs(condition: { tenantId: $t }, first: 50, offset: 50, orderBy: [CREATED_AT_ASC, HUB_ID_ASC]) { totalCount nodes { ${FIELDS} } } }`,
        { t: reader.tenantId },
      );
      if (hubs.totalCount !== reader.total || hubs.nodes.length !== 50) throw new Error(`${where}: totalCount ${hubs.totalCount}, ${hubs.nodes.length} nodes`);
      expectHub(where, hubs.nodes[0], { hubId: reader.hubIds[50], tenantId: reader.tenantId });
      break;
    }
    case 'peer-conn': {
      const { hubs } = await gql(
        `query P($t: UUID!) { hubs(condition: { tenantId: $t }, first: 50, orderBy: [CREATED_AT_ASC, HUB_ID_ASC]) { pageInfo { hasNextPage endCursor } edges { cursor node { ${FIELDS} } } } }`,
        { t: reader.tenantId },
      );
      if (hubs.edges.length !== 50 || !hubs.pageInfo.hasNextPage || hubs.edges[0].node.hubId !== reader.hubIds[0]) throw new Error(`${where}: ${hubs.edges.length} edges from ${hubs.edges[0]?.node.hubId}`);
      expectHub(where, hubs.edges[0].node, { hubId: reader.hubIds[0], tenantId: reader.tenantId });
      break;
    }
    default:
      throw new Error(`unknown kind ${scenario.kind}`);
  }
}
