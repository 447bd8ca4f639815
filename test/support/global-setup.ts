import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataSource } from '../../src/db/data-source';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded-postgres';
import { runMigrations } from '../../src/db/migrations';
import { testDatabaseProblem } from './database-guard';

declare global {
  var embeddedTestDatabase: { database: EmbeddedDatabase; dir: string } | undefined;
}

/**
 * Tests run on real PostgreSQL: `DATABASE_URL` when set, otherwise a throw-away embedded server.
 * Migrations run once here so test files never race to apply them. (embedded-postgres is
 * ESM-only, so it may be loaded here but never from test code.)
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    const problem = testDatabaseProblem(process.env.DATABASE_URL);
    if (problem !== undefined) throw new Error(`Tests not started: ${problem}.`);
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'hubs-test-pg-'));
    const database = await startEmbeddedDatabase({ dataDir: dir, password: 'test', ephemeral: true });
    globalThis.embeddedTestDatabase = { database, dir };
    process.env.DATABASE_URL = database.url;
    process.env.HUBS_TEST_EMBEDDED = 'true';
  }
  const dataSource = createDataSource({ url: process.env.DATABASE_URL, poolSize: 2 });
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

export async function stopEmbeddedTestDatabase(): Promise<void> {
  const embedded = globalThis.embeddedTestDatabase;
  if (embedded === undefined) return;
  await embedded.database.stop();
  await rm(embedded.dir, { recursive: true, force: true });
}
