import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';

/** Any constant works; it only has to be the same for every gateway instance. */
const MIGRATION_LOCK_KEY = 0x48554253; // "HUBS"

/**
 * Applies pending migrations, each in its own transaction. Several instances starting together
 * take turns through a PostgreSQL advisory lock instead of racing to create the same table.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}

/**
 * True when the database has every migration this build knows. One read of the migrations table,
 * cheap enough for a readiness probe (TypeORM's `showMigrations` would also try to create it).
 */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  let rows: { name: string }[];
  try {
    rows = await dataSource.query(`SELECT name FROM "${table}"`);
  } catch (error) {
    if ((error as { driverError?: { code?: string } }).driverError?.code === UNDEFINED_TABLE) return false;
    throw error;
  }
  const applied = new Set(rows.map((row) => row.name));
  return dataSource.migrations.every((migration) => migration.name !== undefined && applied.has(migration.name));
}

const UNDEFINED_TABLE = '42P01';

/** Applies pending migrations to the database at `url` and answers their names. */
export async function migrateDatabase(url: string): Promise<string[]> {
  // Two connections: one holds the advisory lock while the other migrates.
  const dataSource = createDataSource({ url, poolSize: 2, applicationName: 'hubs-gateway-migrate' });
  await dataSource.initialize();
  try {
    return await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
