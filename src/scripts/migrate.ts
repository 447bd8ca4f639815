import 'reflect-metadata';
import { createDataSource } from '../../ormconfig';
import { ConfigError, loadConfig } from '../config/config';
import { runMigrations } from '../db/migrations';
import { startZeroConfig } from '../dev/zero-config';

/** `npm run migrate`: applies pending migrations and exits, on DATABASE_URL or the embedded default. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const zeroConfig = config.databaseUrl === undefined ? await startZeroConfig(config) : undefined;
  const url = zeroConfig?.config.databaseUrl ?? config.databaseUrl;
  const dataSource = createDataSource({ url: url as string, poolSize: 2, applicationName: 'hubs-gateway-migrate' });
  try {
    await dataSource.initialize();
    const applied = await runMigrations(dataSource);
    console.log(applied.length === 0 ? 'No pending migrations.' : `Applied: ${applied.join(', ')}`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await zeroConfig?.embedded.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : (error as Error).message);
  process.exitCode = 1;
});
