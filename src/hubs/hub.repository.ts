import { QueryFailedError, type DataSource, type EntityManager, type EntityMetadata, type Repository } from 'typeorm';
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

/**
 * The only place that speaks SQL for hubs and knows PostgreSQL's errors. Every statement filters by
 * tenant first, so each one is a single-tenant index lookup.
 */
export interface HubRepositoryOptions {
  /** The statement timeout of the pool, named in the 408 a cancelled statement becomes. */
  readonly timeoutMs: number;
}

export class HubRepository {
  private readonly hubs: Repository<Hub>;
  private readonly metadata: EntityMetadata;

  constructor(
    dataSource: DataSource,
    private readonly options: HubRepositoryOptions,
  ) {
    this.hubs = dataSource.getRepository(Hub);
    this.metadata = dataSource.getMetadata(Hub);
  }

  insert(tenantId: string, hubId: string, properties: NewHubProperties, manager?: EntityManager): Promise<Hub> {
    const hub = this.hubs.create({ tenantId, hubId, ...properties });
    const repository = manager?.getRepository(Hub) ?? this.hubs;
    // INSERT ... RETURNING fills created_at / updated_at into `hub`.
    return this.run(() => repository.insert(hub).then(() => hub), properties.name);
  }

  findOne(tenantId: string, hubId: string): Promise<Hub | null> {
    return this.run(() => this.hubs.findOneBy({ tenantId, hubId }));
  }

  async findPage(tenantId: string, { pageNumber, pageSize }: PageRequest): Promise<HubPage> {
    const offset = pageNumber * pageSize;
    const [hubs, total] = await this.run(() =>
      Promise.all([
        // A page past any possible row is empty; skipping the query also keeps absurd offsets out of SQL.
        Number.isSafeInteger(offset)
          ? this.hubs.find({ where: { tenantId }, order: { createdAt: 'ASC', hubId: 'ASC' }, skip: offset, take: pageSize })
          : Promise.resolve([]),
        this.hubs.countBy({ tenantId }),
      ]),
    );
    return { hubs, total };
  }

  /** Changes only the given properties, in one statement; null when the hub does not exist. */
  update(tenantId: string, hubId: string, changes: HubChanges): Promise<Hub | null> {
    return this.run(async () => {
      const result = await this.hubs
        .createQueryBuilder()
        .update()
        .set(changes)
        .where('tenant_id = :tenantId AND hub_id = :hubId', { tenantId, hubId })
        .returning('*')
        .execute();
      return this.hydrate(result.raw);
    }, changes.name);
  }

  /** Deletes and answers the deleted hub, in one statement; null when it did not exist. */
  delete(tenantId: string, hubId: string): Promise<Hub | null> {
    return this.run(async () => {
      const result = await this.hubs
        .createQueryBuilder()
        .delete()
        .where('tenant_id = :tenantId AND hub_id = :hubId', { tenantId, hubId })
        .returning('*')
        .execute();
      return this.hydrate(result.raw);
    });
  }

  /** Runs one database call and puts its failure in the domain's terms. */
  private async run<T>(work: () => Promise<T>, name?: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translate(error, name, this.options.timeoutMs);
    }
  }

  /** Maps the first `RETURNING *` row (database column names) onto an entity. */
  private hydrate(rows: unknown): Hub | null {
    const row = Array.isArray(rows) ? (rows[0] as Record<string, unknown> | undefined) : undefined;
    if (row === undefined) return null;
    const hub = new Hub();
    for (const column of this.metadata.columns) column.setEntityValue(hub, row[column.databaseName]);
    return hub;
  }
}

/**
 * A unique violation of the name index is the domain's "name taken": the index, not a prior
 * SELECT, decides, so two concurrent creates of one name give one hub and one clean error.
 */
function translate(error: unknown, name: string | undefined, timeoutMs: number): unknown {
  if (error instanceof QueryFailedError) {
    const driverError = error.driverError as { code?: string; constraint?: string };
    if (driverError.code === UNIQUE_VIOLATION && driverError.constraint === HUB_NAME_UNIQUE_INDEX) {
      return new HubNameTakenError(name ?? '');
    }
  }
  return translateDatabaseError(error, timeoutMs);
}
