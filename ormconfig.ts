import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Hub } from './src/hubs/hub.entity';
import { CreateHubs1764288000000 } from './migrations/1764288000000-CreateHubs';

/** Every entity and migration, listed rather than globbed so `ts-jest`, `tsc` output and the CLI agree. */
export const ENTITIES = [Hub];
export const MIGRATIONS = [CreateHubs1764288000000];

export interface DataSourceOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Identifies the gateway's sessions in `pg_stat_activity`. */
  readonly applicationName?: string;
}

/**
 * The one definition of how the gateway talks to PostgreSQL: the app, `npm run migrate`, the tests
 * and the TypeORM CLI all build their `DataSource` here. `synchronize` stays off: the schema changes
 * only through `migrations/`.
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    poolSize: options.poolSize,
    applicationName: options.applicationName ?? 'hubs-gateway',
    logging: false,
  });
}

/**
 * For the TypeORM CLI (`npx typeorm migration:generate -d dist/ormconfig.js migrations/Name` after
 * `npm run build`). It needs `DATABASE_URL`; the app itself never uses this instance.
 */
export default createDataSource({
  url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  poolSize: 2,
  applicationName: 'hubs-gateway-cli',
});
