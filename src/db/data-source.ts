import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { CreateHubs1764288000000 } from '../../migrations/1764288000000-CreateHubs';
import { CreateIdempotencyKeys1764374400000 } from '../../migrations/1764374400000-CreateIdempotencyKeys';
import { FoldedNameKeys1764460800000 } from '../../migrations/1764460800000-FoldedNameKeys';
import { HubVersions1764547200000 } from '../../migrations/1764547200000-HubVersions';
import { ConnectionIndexes1764633600000 } from '../../migrations/1764633600000-ConnectionIndexes';
import { HubChangeAnnouncements1764720000000 } from '../../migrations/1764720000000-HubChangeAnnouncements';
// The one place below the app that names the domains' entities: the schema is theirs, and the
// migrator, the tests and the TypeORM CLI need all of it. (The lint rule allows this file only.)
import { Hub } from '../hubs/hub.entity';
import { IdempotencyKey } from '../idempotency/idempotency-key.entity';

/** Every entity and migration, listed rather than globbed so `ts-jest`, `tsc` output and the CLI agree. */
export const ENTITIES = [Hub, IdempotencyKey];
export const MIGRATIONS = [CreateHubs1764288000000, CreateIdempotencyKeys1764374400000, FoldedNameKeys1764460800000, HubVersions1764547200000, ConnectionIndexes1764633600000, HubChangeAnnouncements1764720000000];

/** The names of every migration this build knows, as the migrations table records them. */
export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map((migration) => migration.name);

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
 * TypeORM's view of the database, for what TypeORM does here: migrations (the app at start-up,
 * `npm run migrate`, the tests) and the CLI. Requests do not go through it (src/db/database.ts
 * holds the pool). `synchronize` stays off: the schema changes only through `migrations/`.
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
