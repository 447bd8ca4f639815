import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createDataSource, MIGRATIONS } from '../../src/db/data-source';
import { migrationsApplied, runMigrations } from '../../src/db/migrations';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database';

const ALL_MIGRATIONS = MIGRATIONS.map((migration) => migration.name);

let scratch: ScratchDatabase;
let dataSource: DataSource;

beforeAll(async () => {
  scratch = await createScratchDatabase('hubs_migrations');
  dataSource = createDataSource({ url: scratch.url, poolSize: 2 });
  await dataSource.initialize();
});

afterAll(async () => {
  await dataSource.destroy();
  await scratch.drop();
});

/**
 * A scratch database of the release before `migration`: every migration applied, then undone
 * back to and including that one. It is dropped after `body`.
 */
async function withDatabaseBefore(migration: string, name: string, body: (instance: DataSource) => Promise<void>): Promise<void> {
  const scratchBefore = await createScratchDatabase(name);
  const instance = createDataSource({ url: scratchBefore.url, poolSize: 2 });
  await instance.initialize();
  try {
    await instance.runMigrations({ transaction: 'each' });
    for (const _ of ALL_MIGRATIONS.slice(ALL_MIGRATIONS.indexOf(migration))) await instance.undoLastMigration();
    await body(instance);
  } finally {
    await instance.destroy();
    await scratchBefore.drop();
  }
}

describe('the migrations', () => {
  test('when applied to an empty database, then the entities and the schema agree (no pending change)', async () => {
    expect(await migrationsApplied(dataSource)).toBe(false);
    expect(ALL_MIGRATIONS).toEqual(['CreateHubs1764288000000', 'CreateIdempotencyKeys1764374400000', 'FoldedNameKeys1764460800000', 'HubVersions1764547200000', 'ConnectionIndexes1764633600000', 'HubChangeAnnouncements1764720000000']);
    expect(await runMigrations(dataSource)).toEqual(ALL_MIGRATIONS);
    expect(await migrationsApplied(dataSource)).toBe(true);
    // TypeORM's own `migration:generate --check`: the SQL it would need to match the entities.
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  test('when the indexes are read back, then every one leads with tenant_id and names are unique by their folded key', async () => {
    const rows: { indexname: string; indexdef: string }[] = await dataSource.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'hubs' ORDER BY indexname`,
    );
    expect(rows.map((row) => row.indexdef.replace(/^.* USING (btree|gin) /, '$1 '))).toEqual([
      'btree (tenant_id, created_at, hub_id)',
      'btree (tenant_id, name_key, hub_id)',
      'gin (tenant_id, name_key gin_trgm_ops)',
      'btree (tenant_id, updated_at, hub_id)',
      'btree (tenant_id, hub_id)',
      'btree (tenant_id, name_key)',
    ]);
    expect(rows.find((row) => row.indexname === 'UQ_hubs_tenant_name_key')?.indexdef).toMatch(/^CREATE UNIQUE INDEX/);
  });

  // Citus needs every unique key to contain the distribution column; leading with it also keeps
  // each lookup on one shard. The purge's index of idempotency_keys (by expiry) is per shard anyway.
  test.each([
    ['hubs', "'index', 'p', 'u', 'x'"],
    ['idempotency_keys', "'p', 'u', 'x'"],
  ])('when the %s table is distributed by tenant (Citus), then its keys (%s) already lead with tenant_id', async (table, kinds) => {
    const leading: { name: string; kind: string; first: string }[] = await dataSource.query(
      `SELECT * FROM (
         SELECT i.indexrelid::regclass::text AS name, 'index' AS kind, a.attname AS first
           FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
          WHERE i.indrelid = $1::regclass
         UNION ALL
         SELECT c.conname, c.contype::text, a.attname
           FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
          WHERE c.conrelid = $1::regclass AND c.contype IN ('p', 'u', 'x')
       ) keys WHERE kind IN (${kinds})`,
      [table],
    );
    expect(leading.length).toBeGreaterThan(0);
    expect(leading.filter((row) => row.first !== 'tenant_id')).toEqual([]);
  });

  test('when rows break the checks, then PostgreSQL refuses them too', async () => {
    const insert = (status: number, days: number) =>
      dataSource.query(
        `INSERT INTO hubs (tenant_id, hub_id, name, name_key, description, status_id, close_dormant_conversation)
         VALUES (gen_random_uuid(), gen_random_uuid(), 'n', 'n', 'd', $1, $2)`,
        [status, days],
      );
    await expect(insert(2001, 0)).rejects.toThrow(/CHK_hubs_status_id/);
    await expect(insert(2000, 3651)).rejects.toThrow(/CHK_hubs_close_dormant_conversation/);
  });

  test('when several instances start on an empty database at once, then they take turns and apply it once', async () => {
    const empty = await createScratchDatabase('hubs_migrations_race');
    const instances = [1, 2, 3].map(() => createDataSource({ url: empty.url, poolSize: 2 }));
    try {
      await Promise.all(instances.map((instance) => instance.initialize()));
      const applied = await Promise.all(instances.map((instance) => runMigrations(instance)));
      expect(applied.flat().sort()).toEqual([...ALL_MIGRATIONS].sort());
      expect(applied.filter((names) => names.length > 0)).toHaveLength(1);
    } finally {
      await Promise.all(instances.map((instance) => instance.destroy()));
      await empty.drop();
    }
  });

  test('when every migration is undone, then the tables are gone', async () => {
    for (const _ of ALL_MIGRATIONS) await dataSource.undoLastMigration();
    const [tables] = await dataSource.query(
      `SELECT to_regclass('hubs') IS NULL AND to_regclass('idempotency_keys') IS NULL AS gone`,
    );
    expect(tables.gone).toBe(true);
    expect(await migrationsApplied(dataSource)).toBe(false);
  });

  test('when hubs exist from before versions, then each starts at version 1, and PostgreSQL refuses a version below 1', async () => {
    await withDatabaseBefore('HubVersions1764547200000', 'hubs_migrations_versions', async (instance) => {
      await instance.query(`INSERT INTO hubs (tenant_id, hub_id, name, name_key, description) VALUES (gen_random_uuid(), gen_random_uuid(), 'Old', 'old', '')`);
      await instance.runMigrations({ transaction: 'each' });
      expect(await instance.query('SELECT name, version FROM hubs')).toEqual([{ name: 'Old', version: 1 }]);
      await expect(instance.query('UPDATE hubs SET version = 0')).rejects.toThrow(/CHK_hubs_version/);
    });
  });

  test('when hubs exist from before name keys, then they keep their names in NFC, and those that collide now all stay', async () => {
    await withDatabaseBefore('FoldedNameKeys1764460800000', 'hubs_migrations_legacy', async (instance) => {
      const tenant = '6f1c2a52-7a58-4c3e-9c55-0e6a0f8d8a11';
      const insert = (hubId: string, name: string, created: string) =>
        instance.query(`INSERT INTO hubs (tenant_id, hub_id, name, description, created_at) VALUES ($1, $2, $3, '', $4)`, [tenant, hubId, name, created]);
      await insert('00000000-0000-4000-8000-000000000001', 'STRASSE', '2026-01-01T00:00:00Z');
      await insert('00000000-0000-4000-8000-000000000002', 'straße', '2026-01-02T00:00:00Z');
      await insert('00000000-0000-4000-8000-000000000003', 'Cafe\u0301', '2026-01-03T00:00:00Z');
      await instance.runMigrations({ transaction: 'each' });
      const rows: { hub_id: string; name: string; name_key: string }[] = await instance.query(
        'SELECT hub_id, name, name_key FROM hubs WHERE tenant_id = $1 ORDER BY created_at',
        [tenant],
      );
      expect(rows).toEqual([
        { hub_id: '00000000-0000-4000-8000-000000000001', name: 'STRASSE', name_key: 'strasse' },
        { hub_id: '00000000-0000-4000-8000-000000000002', name: 'straße', name_key: 'strasse\u0001' + '00000000-0000-4000-8000-000000000002' },
        { hub_id: '00000000-0000-4000-8000-000000000003', name: 'Caf\u00e9', name_key: 'caf\u00e9' },
      ]);
    });
  });
});
