import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Hub } from './src/hubs/hub.entity';
import { IdempotencyKey } from './src/idempotency/idempotency-key.entity';
import { CreateHubs1764288000000 } from './migrations/1764288000000-CreateHubs';
import { CreateIdempotencyKeys1764374400000 } from './migrations/1764374400000-CreateIdempotencyKeys';
import { FoldedNameKeys1764460800000 } from './migrations/1764460800000-FoldedNameKeys';

/** Every entity and migration, listed rather than globbed so `ts-jest`, `tsc` output and the CLI agree. */
export const ENTITIES = [Hub, IdempotencyKey];
export const MIGRATIONS = [CreateHubs1764288000000, CreateIdempotencyKeys1764374400000, FoldedNameKeys1764460800000];

export interface DataSourceOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Identifies the gateway's sessions in `pg_stat_activity`. */
  readonly applicationName?: string;
  /**
   * The request deadline: PostgreSQL cancels any statement or lock wait that outlives it, so work
   * whose client already got a 408 does not go on. Unset for migrations, which may take long.
   */
  readonly statementTimeoutMs?: number;
  /** How long to wait for a connection (new, or free in the pool) before calling the database unavailable. */
  readonly connectTimeoutMs?: number;
  /** Errors of idle pooled connections (the server went away); without a handler they would crash the process. */
  readonly onPoolError?: (error: Error) => void;
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
    ...(options.onPoolError === undefined ? {} : { poolErrorHandler: options.onPoolError }),
    extra: {
      connectionTimeoutMillis: options.connectTimeoutMs ?? 0,
      // Dead peers are noticed by the kernel instead of hanging a query forever.
      keepAlive: true,
      ...(options.statementTimeoutMs === undefined
        ? {}
        : {
            statement_timeout: options.statementTimeoutMs,
            lock_timeout: options.statementTimeoutMs,
            // Client-side backstop for a network that drops packets (no error from the server).
            query_timeout: options.statementTimeoutMs + 1000,
            idle_in_transaction_session_timeout: options.statementTimeoutMs + 1000,
          }),
    },
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
