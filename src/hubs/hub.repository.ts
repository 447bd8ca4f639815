import type { Pool, QueryResultRow } from 'pg';
import type { DataSource, EntityManager, EntityMetadata } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { translateDatabaseError } from '../db/database-errors';
import { HUB_NAME_UNIQUE_INDEX, Hub } from './hub.entity';
import { HubNameTakenError } from './hub.errors';
import type { HubChanges, NewHubProperties, PageRequest } from './hub.rules';

/** PostgreSQL's SQLSTATE for a unique violation. */
const UNIQUE_VIOLATION = '23505';

export interface HubPage {
  readonly hubs: readonly Hub[];
  readonly total: number;
}

export interface HubRepositoryOptions {
  /** The statement timeout of the pool, named in the 408 a cancelled statement becomes. */
  readonly timeoutMs: number;
}

type Row = QueryResultRow;

/**
 * The only place that speaks SQL for hubs and knows PostgreSQL's errors. Every statement filters by
 * tenant first, so each one is a single-tenant index lookup.
 *
 * The statements are written once, from the TypeORM entity's metadata (the entity stays the one
 * definition of the table), and run as named statements on the data source's own pool: PostgreSQL
 * plans each once per connection, and no query builder or hydration runs per request.
 */
export class HubRepository {
  private readonly pool: Pool;
  private readonly sql: HubStatements;

  constructor(
    dataSource: DataSource,
    private readonly options: HubRepositoryOptions,
  ) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
    this.sql = new HubStatements(dataSource.getMetadata(Hub));
  }

  /** Inside the caller's transaction when `manager` is given. */
  async insert(tenantId: string, hubId: string, properties: NewHubProperties, manager?: EntityManager): Promise<Hub> {
    const values = [tenantId, hubId, properties.name, properties.description, properties.closeDormantConversation, properties.statusId];
    const rows = await this.run(
      () =>
        manager === undefined
          ? this.query('hub_insert', this.sql.insert, values)
          : (manager.query(this.sql.insert, values) as Promise<Row[]>),
      properties.name,
    );
    return this.sql.hydrate(rows[0] as Row);
  }

  async findOne(tenantId: string, hubId: string): Promise<Hub | null> {
    const rows = await this.run(() => this.query('hub_find_one', this.sql.findOne, [tenantId, hubId]));
    return rows.length === 0 ? null : this.sql.hydrate(rows[0] as Row);
  }

  /** The page and the tenant's total in one round trip. */
  async findPage(tenantId: string, { pageNumber, pageSize }: PageRequest): Promise<HubPage> {
    const offset = pageNumber * pageSize;
    // A page past any possible row is empty; this also keeps absurd offsets out of SQL.
    const rows = await this.run(() =>
      Number.isSafeInteger(offset)
        ? this.query('hub_find_page', this.sql.findPage, [tenantId, pageSize, offset])
        : this.query('hub_count', this.sql.count, [tenantId]),
    );
    const total = (rows[0]?.total as number | undefined) ?? 0;
    const hubs = rows.filter((row) => row[this.sql.idColumn] !== null && row[this.sql.idColumn] !== undefined).map((row) => this.sql.hydrate(row));
    return { hubs, total };
  }

  /** Changes only the given properties, in one statement; null when the hub does not exist. */
  async update(tenantId: string, hubId: string, changes: HubChanges): Promise<Hub | null> {
    const { name, text, values } = this.sql.update(changes);
    const rows = await this.run(() => this.query(name, text, [tenantId, hubId, ...values]), changes.name);
    return rows.length === 0 ? null : this.sql.hydrate(rows[0] as Row);
  }

  /** Deletes and answers the deleted hub, in one statement; null when it did not exist. */
  async delete(tenantId: string, hubId: string): Promise<Hub | null> {
    const rows = await this.run(() => this.query('hub_delete', this.sql.delete, [tenantId, hubId]));
    return rows.length === 0 ? null : this.sql.hydrate(rows[0] as Row);
  }

  private async query(name: string, text: string, values: unknown[]): Promise<Row[]> {
    return (await this.pool.query({ name, text, values })).rows;
  }

  /** Runs one database call and puts its failure in the domain's terms. */
  private async run<T>(work: () => Promise<T>, name?: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translate(error, name, this.options.timeoutMs);
    }
  }
}

/** The hub statements, derived once from the entity's metadata. */
class HubStatements {
  readonly findOne: string;
  readonly findPage: string;
  readonly count: string;
  readonly insert: string;
  readonly delete: string;
  /** Database column of the hub id: null in the one row of an empty page. */
  readonly idColumn: string;
  private readonly table: string;
  private readonly returning: string;
  private readonly key: string;
  private readonly columns: ReadonlyArray<{ property: string; column: string }>;
  private readonly updates = new Map<string, string>();

  constructor(private readonly metadata: EntityMetadata) {
    const column = (property: keyof Hub) => {
      const found = metadata.findColumnWithPropertyName(property);
      if (found === undefined) throw new Error(`Hub has no column for '${property}'`);
      return `"${found.databaseName}"`;
    };
    this.columns = metadata.columns.map((c) => ({ property: c.propertyName, column: c.databaseName }));
    this.idColumn = metadata.findColumnWithPropertyName('hubId')!.databaseName;
    this.table = `"${metadata.tableName}"`;
    this.returning = this.columns.map((c) => `"${c.column}"`).join(', ');
    this.key = `${column('tenantId')} = $1 AND ${column('hubId')} = $2`;
    const tenant = `${column('tenantId')} = $1`;

    this.findOne = `SELECT ${this.returning} FROM ${this.table} WHERE ${this.key}`;
    this.count = `SELECT count(*)::int AS total FROM ${this.table} WHERE ${tenant}`;
    // Oldest first, then by id, so pages never overlap (CONTRACT.md section 3). The LEFT JOIN keeps
    // one row, carrying the total, when the page itself is empty.
    this.findPage =
      `SELECT t.total, h.* FROM (${this.count}) t LEFT JOIN LATERAL (` +
      `SELECT ${this.returning} FROM ${this.table} WHERE ${tenant} ` +
      `ORDER BY ${column('createdAt')}, ${column('hubId')} LIMIT $2 OFFSET $3) h ON true`;
    const inserted = ['tenantId', 'hubId', 'name', 'description', 'closeDormantConversation', 'statusId'] as const;
    this.insert =
      `INSERT INTO ${this.table} (${inserted.map(column).join(', ')}) ` +
      `VALUES (${inserted.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${this.returning}`;
    this.delete = `DELETE FROM ${this.table} WHERE ${this.key} RETURNING ${this.returning}`;
  }

  /** An UPDATE of exactly the changed columns; one named statement per set of columns. */
  update(changes: HubChanges): { name: string; text: string; values: unknown[] } {
    const properties = Object.keys(changes).sort() as (keyof HubChanges)[];
    const name = `hub_update_${properties.join('_')}`;
    let text = this.updates.get(name);
    if (text === undefined) {
      const set = properties.map((property, i) => `"${this.metadata.findColumnWithPropertyName(property)!.databaseName}" = $${i + 3}`);
      const updatedAt = this.metadata.findColumnWithPropertyName('updatedAt')!.databaseName;
      text = `UPDATE ${this.table} SET ${[...set, `"${updatedAt}" = now()`].join(', ')} WHERE ${this.key} RETURNING ${this.returning}`;
      this.updates.set(name, text);
    }
    return { name, text, values: properties.map((property) => changes[property]) };
  }

  /** A row (database column names) as an entity. */
  hydrate(row: Row): Hub {
    const hub = new Hub() as unknown as Record<string, unknown>;
    for (const { property, column } of this.columns) hub[property] = row[column];
    return hub as unknown as Hub;
  }
}

/**
 * A unique violation of the name index is the domain's "name taken": the index, not a prior
 * SELECT, decides, so two concurrent creates of one name give one hub and one clean error.
 */
function translate(error: unknown, name: string | undefined, timeoutMs: number): unknown {
  const driverError = ((error as { driverError?: unknown }).driverError ?? error) as { code?: string; constraint?: string };
  if (driverError.code === UNIQUE_VIOLATION && driverError.constraint === HUB_NAME_UNIQUE_INDEX) {
    return new HubNameTakenError(name ?? '');
  }
  return translateDatabaseError(error, timeoutMs);
}
