// The limit: the least work the gateway's REST reads and writes need, with nothing in between.
// node:http + pg: check the bearer token (HS256 signature, expiry, tenant claim, scope) with
// node:crypto, run one prepared (named) statement scoped by tenant, write the same JSON as the
// gateway's REST. No framework, no ORM, no validation. Routes:
//   GET  /api/v1/hubs/:hubId
//   GET  /api/v1/hubs?pageNumber=&pageSize=
//   POST /api/v1/hubs
// Environment: DATABASE_URL, AUTH_JWT_SECRET, PORT, DATABASE_POOL_SIZE (10).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { URLSearchParams } from 'node:url';
import pg from 'pg';

const secret = process.env.AUTH_JWT_SECRET;
const port = Number(process.env.PORT ?? 8090);
if (!process.env.DATABASE_URL || !secret) throw new Error('DATABASE_URL and AUTH_JWT_SECRET are required');

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
pool.on('error', () => undefined);

const COLUMNS = 'hub_id, tenant_id, name, description, close_dormant_conversation, status_id';
const GET = {
  name: 'limit_get_hub',
  text: `SELECT ${COLUMNS} FROM hubs WHERE tenant_id = $1 AND hub_id = $2`,
};
// One round trip for the page and the total: the count row always comes back, the page joins it.
const PAGE = {
  name: 'limit_page_hubs',
  text: `SELECT t.total, p.hub_id, p.tenant_id, p.name, p.description, p.close_dormant_conversation, p.status_id
           FROM (SELECT count(*)::int AS total FROM hubs WHERE tenant_id = $1) t
           LEFT JOIN LATERAL (SELECT ${COLUMNS} FROM hubs WHERE tenant_id = $1
                              ORDER BY created_at, hub_id LIMIT $2 OFFSET $3) p ON true`,
};
const INSERT = {
  name: 'limit_insert_hub',
  // The uniqueness key the gateway's schema needs; the bench's names are ASCII, so lower case is
  // the key the gateway computes.
  text: `INSERT INTO hubs (tenant_id, hub_id, name, name_key, description, close_dormant_conversation, status_id)
         VALUES ($1, $2, $3, $7, $4, $5, $6) RETURNING ${COLUMNS}`,
};

const key = Buffer.from(secret, 'utf8');
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The caller's tenant, or null when the token is not acceptable for `scope`. */
function tenantOf(authorization, scope) {
  if (authorization === undefined || !authorization.startsWith('Bearer ')) return null;
  const token = authorization.slice(7);
  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  if (firstDot < 0 || lastDot === firstDot) return null;
  const signed = token.slice(0, lastDot);
  const expected = createHmac('sha256', key).update(signed).digest();
  const given = Buffer.from(token.slice(lastDot + 1), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let header, claims;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, firstDot), 'base64url').toString());
    claims = JSON.parse(Buffer.from(token.slice(firstDot + 1, lastDot), 'base64url').toString());
  } catch {
    return null;
  }
  if (header.alg !== 'HS256') return null;
  if (typeof claims.exp === 'number' && claims.exp <= Date.now() / 1000) return null;
  if (typeof claims.tenantId !== 'string' || !GUID.test(claims.tenantId)) return null;
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (!scopes.includes(scope) && !scopes.includes('hubs:write')) return null;
  return claims.tenantId.toLowerCase();
}

const toHub = (row) => ({
  hubId: row.hub_id,
  tenantId: row.tenant_id,
  name: row.name,
  description: row.description,
  closeDormantConversation: row.close_dormant_conversation,
  statusId: row.status_id,
});

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

const error = (res, status, code) => send(res, status, { status, errors: [{ code, description: `(code: PRT000${code})` }] });

async function handle(req, res) {
  const url = req.url;
  if (!url.startsWith('/api/v1/hubs')) return error(res, 404, 699);
  const rest = url.slice('/api/v1/hubs'.length);
  if (req.method === 'GET') {
    const tenantId = tenantOf(req.headers.authorization, 'hubs:read');
    if (tenantId === null) return error(res, 401, 102);
    if (rest.startsWith('/')) {
      const { rows } = await pool.query({ ...GET, values: [tenantId, rest.slice(1)] });
      return rows.length === 0 ? error(res, 404, 699) : send(res, 200, toHub(rows[0]));
    }
    const query = new URLSearchParams(rest.startsWith('?') ? rest.slice(1) : '');
    const pageNumber = Number(query.get('pageNumber') ?? 0);
    const pageSize = Number(query.get('pageSize') ?? 50);
    const { rows } = await pool.query({ ...PAGE, values: [tenantId, pageSize, pageNumber * pageSize] });
    const results = rows[0].hub_id === null ? [] : rows.map(toHub);
    return send(res, 200, { pageNumber, pageSize, total: rows[0].total, results });
  }
  if (req.method === 'POST' && (rest === '' || rest === '/')) {
    const tenantId = tenantOf(req.headers.authorization, 'hubs:write');
    if (tenantId === null) return error(res, 401, 102);
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const input = JSON.parse(Buffer.concat(chunks).toString());
    try {
      const { rows } = await pool.query({
        ...INSERT,
        values: [tenantId, randomUUID(), input.name, input.description, input.closeDormantConversation ?? 0, input.statusId ?? 2000, input.name.toLowerCase()],
      });
      return send(res, 200, toHub(rows[0]));
    } catch (e) {
      if (e.code === '23505') return error(res, 400, 600);
      throw e;
    }
  }
  return error(res, 404, 699);
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) error(res, 500, 100);
    else res.destroy();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`limit listening on http://127.0.0.1:${port}/api/v1/hubs\n`));

const stop = () => {
  server.close(() => pool.end().finally(() => process.exit(0)));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
