import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config/config';
import { migrateDatabase } from '../db/migrations';
import { startZeroConfig } from '../dev/zero-config';

/** `npm run migrate`: applies pending migrations and exits, on DATABASE_URL or the embedded default. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const zeroConfig = config.databaseUrl === undefined ? await startZeroConfig(config) : undefined;
  try {
    // DATABASE_DIRECT_URL past a transaction pooler: the migrations hold a session's advisory lock.
    const applied = await migrateDatabase((zeroConfig?.config.databaseUrl ?? config.databaseDirectUrl ?? config.databaseUrl) as string);
    console.log(applied.length === 0 ? 'No pending migrations.' : `Applied: ${applied.join(', ')}`);
  } finally {
    await zeroConfig?.embedded.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : (error as Error).message);
  process.exitCode = 1;
});
