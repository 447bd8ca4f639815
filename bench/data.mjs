// The bench's data: a PostgreSQL (the given one, or an embedded one of our own), databases of
// its own migrated with the gateway's migrations, seeded datasets, and tokens for their tenants.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';
import pg from 'pg';
import { distModule, fail, onCleanup, say } from './support.mjs';

export async function startDatabase({ sharedBuffers } = {}) {
  if (process.env.DATABASE_URL) {
    say(`PostgreSQL: DATABASE_URL (${redact(process.env.DATABASE_URL)})`);
    return { adminUrl: process.env.DATABASE_URL, embedded: false, pidFile: null };
  }
  const { startEmbeddedDatabase } = distModule('src/db/embedded-postgres.js');
  const dataDir = await mkdtemp(join(os.tmpdir(), 'hubs-bench-pg-'));
  const log = [];
  say(`PostgreSQL: starting an embedded server (fsync off${sharedBuffers ? `, shared_buffers ${sharedBuffers}` : ''}) ...`);
  let database;
  try {
    database = await startEmbeddedDatabase({
      dataDir,
      password: 'bench',
      ephemeral: true,
      settings: sharedBuffers ? { shared_buffers: sharedBuffers } : {},
      onLog: (line) => {
        log.push(line);
        if (log.length > 30) log.shift();
      },
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    fail(`${error.message}\n${log.join('\n')}`);
  }
  onCleanup(async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { adminUrl: database.url, embedded: true, pidFile: join(dataDir, 'postgres', 'postmaster.pid') };
}

const redact = (url) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

function databaseUrl(adminUrl, name) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database of its own, migrated with the gateway's own migrations, dropped at the end. */
export async function createDatabase(adminUrl, name) {
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  onCleanup(() => withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));
  const url = databaseUrl(adminUrl, name);
  const { migrateDatabase } = distModule('src/db/migrations.js');
  await migrateDatabase(url);
  return url;
}

/**
 * `tenants` tenants of `hubsPerTenant` hubs each, by generate_series (one statement per hub
 * number, indexes built after). Ids are md5-derived, so tenant t is the same in every dataset.
 * Each hub has its own creation time, so the page order (created_at, hub_id) is hub 1, 2, ...
 */
export async function seed(url, label, tenants, hubsPerTenant) {
  const started = Date.now();
  let sizes = '';
  const total = tenants * hubsPerTenant;
  await withClient(url, async (client) => {
    await client.query("SET maintenance_work_mem = '256MB'");
    // Loading first and indexing after is several times faster than maintaining three indexes row
    // by row. The definitions are read back from the migrated table, so they stay the migrations'.
    const { rows: keys } = await client.query(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
        WHERE conrelid = 'hubs'::regclass AND contype IN ('p', 'u')`,
    );
    const { rows: indexes } = await client.query(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = 'hubs' AND NOT (indexname = ANY($1::text[]))`,
      [keys.map((key) => key.name)],
    );
    for (const index of indexes) await client.query(`DROP INDEX "${index.name}"`);
    for (const key of keys) await client.query(`ALTER TABLE hubs DROP CONSTRAINT "${key.name}"`);
    // Hubs in creation order, interleaved across tenants as real traffic makes them: hub h of
    // every tenant, then hub h+1 of every tenant. So a tenant's hubs are spread over the heap
    // (one page read per hub, unless an index covers the read), as in a long-lived table.
    const step = Math.max(1, Math.round(hubsPerTenant / 10));
    for (let h = 1; h <= hubsPerTenant; h++) {
      await client.query(
        `INSERT INTO hubs (tenant_id, hub_id, name, name_key, description, close_dormant_conversation, status_id, created_at, updated_at)
         SELECT md5('bench-tenant-' || t)::uuid,
                md5('bench-hub-' || t || '-' || $1::int)::uuid,
                'Hub ' || $1::int,
                'hub ' || $1::int,
                'Benchmark hub ' || $1::int || ' of tenant ' || t || ': routes the conversations of one brand.',
                $1::int % 31,
                CASE WHEN $1::int % 5 = 0 THEN 2002 ELSE 2000 END,
                timestamptz '2025-01-01' + (($1::bigint * $2 + t) * interval '1 second'),
                timestamptz '2025-01-01' + (($1::bigint * $2 + t) * interval '1 second')
           FROM generate_series(1, $2::int) AS t ORDER BY t`,
        [h, tenants],
      );
      if ((total >= 200_000 && h % step === 0) || h === hubsPerTenant) {
        const done = h * tenants;
        say(`  seeding ${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} hubs (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
    const indexing = Date.now();
    for (const key of keys) await client.query(`ALTER TABLE hubs ADD CONSTRAINT "${key.name}" ${key.definition}`);
    for (const index of indexes) await client.query(index.definition);
    if (total >= 200_000) say(`  indexing ${label}: ${((Date.now() - indexing) / 1000).toFixed(1)} s`);
    await client.query('VACUUM ANALYZE hubs');
    const { rows: [size] } = await client.query(
      "SELECT pg_size_pretty(pg_table_size('hubs')) AS heap, pg_size_pretty(pg_indexes_size('hubs')) AS indexes, current_setting('shared_buffers') AS buffers",
    );
    sizes = `table ${size.heap}, indexes ${size.indexes}, shared_buffers ${size.buffers}`;
  });
  say(`  seeded ${label}: ${total.toLocaleString('en-US')} hubs in ${tenants.toLocaleString('en-US')} tenants, ${((Date.now() - started) / 1000).toFixed(1)} s (with VACUUM ANALYZE); ${sizes}`);
}

/**
 * One tenant of `count` hubs (the connection scenarios): hub i created i seconds after the first,
 * named `Hub <i> <8 hex digits>` so that a 4-digit hex string is in a handful of names. Then,
 * for the load: the cursors of the hubs at `depth` (and the 19 after), the pages of REST at that
 * depth, and name fragments that the filter finds.
 */
export async function seedDeepTenant(url, count, depth) {
  const started = Date.now();
  const tenantId = '0d0d0d0d-0d0d-4d0d-8d0d-0d0d0d0d0d0d';
  const { encodeCursor } = distModule('src/hubs/hub.cursor.js');
  const order = { field: 'createdAt', direction: 'asc' };
  return withClient(url, async (client) => {
    await client.query("SET maintenance_work_mem = '256MB'");
    await client.query(
      `INSERT INTO hubs (tenant_id, hub_id, name, name_key, description, created_at, updated_at)
       SELECT $1, md5('bench-deep-' || i)::uuid, 'Hub ' || i || ' ' || left(md5(i::text), 8), 'hub ' || i || ' ' || left(md5(i::text), 8),
              'Benchmark hub ' || i || ' of the deep tenant.', timestamptz '2025-01-01' + i * interval '1 second', timestamptz '2025-01-01' + i * interval '1 second'
         FROM generate_series(1, $2::int) AS i`,
      [tenantId, count],
    );
    await client.query('VACUUM ANALYZE hubs');
    const { rows: places } = await client.query(
      `SELECT hub_id::text AS hub_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key
         FROM hubs WHERE tenant_id = $1 ORDER BY created_at, hub_id OFFSET $2 LIMIT 21`,
      [tenantId, depth - 1],
    );
    const { rows: [first] } = await client.query('SELECT hub_id::text AS hub_id FROM hubs WHERE tenant_id = $1 ORDER BY created_at, hub_id LIMIT 1', [tenantId]);
    const { rows: terms } = await client.query(`SELECT DISTINCT substr(md5(i::text), 3, 4) AS term FROM generate_series(1, 20) AS i`);
    say(`  seeded the deep tenant: ${count.toLocaleString('en-US')} hubs, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return {
      tenantId,
      total: count,
      hubIds: [first.hub_id],
      depth,
      // The hub just past each cursor: what the check expects first on the page.
      cursors: places.slice(0, 20).map((place, i) => ({ after: encodeCursor(order, { key: place.key, hubId: place.hub_id }), next: places[i + 1].hub_id })),
      deepPage: depth / 50,
      deepPageFirst: places[1].hub_id,
      terms: terms.map((row) => row.term),
    };
  });
}

/** The tenants numbered `numbers`, with their hub ids in page order and their totals. */
export async function tenantsOf(url, numbers) {
  return withClient(url, async (client) => {
    const { rows } = await client.query(
      `SELECT n, md5('bench-tenant-' || n)::uuid::text AS tenant_id,
              (SELECT array_agg(hub_id::text ORDER BY created_at, hub_id) FROM hubs WHERE tenant_id = md5('bench-tenant-' || n)::uuid) AS hub_ids
         FROM unnest($1::int[]) AS n ORDER BY n`,
      [numbers],
    );
    return rows.map((row) => ({ tenantId: row.tenant_id, hubIds: row.hub_ids ?? [], total: row.hub_ids?.length ?? 0 }));
  });
}

/** The secret every server of a run verifies tokens with. */
export const SECRET = randomBytes(32).toString('hex');

/** The tenants, each with a read-write token (the gateway's own minting code, HS256). */
export async function withTokens(tenants) {
  const { mintToken } = distModule('src/auth/token-issuer.js');
  return Promise.all(
    tenants.map(async (tenant) => ({
      ...tenant,
      token: await mintToken({
        secret: SECRET,
        tenantId: tenant.tenantId,
        tenantClaim: 'tenantId',
        scopes: ['hubs:read', 'hubs:write'],
        ttlSeconds: 24 * 60 * 60,
      }),
    })),
  );
}
