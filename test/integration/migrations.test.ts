import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createDataSource, MIGRATIONS } from '../../ormconfig';
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

describe('the migrations', () => {
  test('when applied to an empty database, then the entities and the schema agree (no pending change)', async () => {
    expect(await migrationsApplied(dataSource)).toBe(false);
    expect(ALL_MIGRATIONS).toEqual(['CreateHubs1764288000000', 'CreateIdempotencyKeys1764374400000']);
    expect(await runMigrations(dataSource)).toEqual(ALL_MIGRATIONS);
    expect(await migrationsApplied(dataSource)).toBe(true);
    // TypeORM's own `migration:generate --check`: the SQL it would need to match the entities.
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  test('when the indexes are read back, then every one leads with tenant_id and names are unique ignoring case', async () => {
    const rows: { indexname: string; indexdef: string }[] = await dataSource.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'hubs' ORDER BY indexname`,
    );
    expect(rows.map((row) => row.indexdef.replace(/^.* USING btree /, ''))).toEqual([
      '(tenant_id, created_at, hub_id)',
      '(tenant_id, hub_id)',
      '(tenant_id, lower((name)::text))',
    ]);
    expect(rows.find((row) => row.indexname === 'UQ_hubs_tenant_lower_name')?.indexdef).toMatch(/^CREATE UNIQUE INDEX/);
  });

  test('when rows break the checks, then PostgreSQL refuses them too', async () => {
    const insert = (status: number, days: number) =>
      dataSource.query(
        `INSERT INTO hubs (tenant_id, hub_id, name, description, status_id, close_dormant_conversation)
         VALUES (gen_random_uuid(), gen_random_uuid(), 'n', 'd', $1, $2)`,
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
      expect(applied.flat().sort()).toEqual(ALL_MIGRATIONS);
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
});
