import { getMetadataArgsStorage } from 'typeorm';
import type { Database, Row, Statement, TenantWork, Transaction } from '../db/database';
import { HUB_NAME_UNIQUE_INDEX, HUB_SUMMARY_FIELDS, Hub, type HubSummary } from './hub.entity';
import { HubNameTakenError } from './hub.errors';
import type { HubChange, HubChangeKind } from './hub.changes';
import type { HubOrderField, Position } from './hub.cursor';
import { hubNameKey, type ConnectionRequest, type HubChanges, type HubFilter, type NewHubProperties, type PageRequest } from './hub.rules';

/** PostgreSQL's SQLSTATE for a unique violation. */
const UNIQUE_VIOLATION = '23505';

export interface HubPage<T = Hub> {
  readonly hubs: readonly T[];
  readonly total: number;
}

/** A hub with its place in the order it was read in. */
export interface PlacedHub {
  readonly hub: Hub;
  readonly position: Position;
}

/** Hubs of a connection page, in the order asked (also when read backward). */
export interface HubSlice {
  readonly hubs: readonly PlacedHub[];
  /** More hubs follow past the page, in the direction it was read. */
  readonly more: boolean;
  /** A hub matches on the cursor's other side (the cursor's own hub included). */
  readonly behind: boolean;
}

/**
 * The only place that speaks SQL for hubs and knows PostgreSQL's errors. Every statement filters by
 * the tenant of the work it does, so each one is a single-tenant index lookup.
 *
 * The statements are written once, from the TypeORM entity's decorators (the entity stays the one
 * definition of the table), and run as named statements: PostgreSQL plans each once per
 * connection, and no query builder or hydration runs per request.
 */
export class HubRepository {
  private readonly sql = new HubStatements();

  constructor(private readonly database: Database) {}

  /** A reader of the change announcements these statements make. */
  announcements(): HubAnnouncements {
    return new HubAnnouncements((row) => this.sql.hydrate(row));
  }

  /** Inside the caller's transaction when one is given. */
  async insert(work: TenantWork, hubId: string, properties: NewHubProperties, transaction?: Transaction): Promise<Hub> {
    const values = [
      work.tenantId,
      hubId,
      properties.name,
      hubNameKey(properties.name),
      properties.description,
      properties.closeDormantConversation,
      properties.statusId,
    ];
    const statement = { name: 'hub_insert', text: this.sql.insert };
    const rows = await nameTakenAs(
      properties.name,
      transaction === undefined ? this.database.query(work, statement, values) : transaction.query(statement, values),
    );
    return this.sql.hydrate(rows[0] as Row);
  }

  async findOne(work: TenantWork, hubId: string): Promise<Hub | null> {
    const rows = await this.database.query(work, { name: 'hub_find_one', text: this.sql.findOne }, [work.tenantId, hubId]);
    return rows.length === 0 ? null : this.sql.hydrate(rows[0] as Row);
  }

  /** The tenant's hubs among `hubIds` (distinct, lower case), in one statement, in no particular order. */
  async findMany(work: TenantWork, hubIds: readonly string[]): Promise<Hub[]> {
    const rows = await this.database.query(work, { name: 'hub_find_many', text: this.sql.findMany }, [work.tenantId, hubIds]);
    return rows.map((row) => this.sql.hydrate(row));
  }

  /**
   * A hub's summary (`HubSummary`): what REST answers. The columns come back under the entity's
   * property names, so the row is the summary; no timestamp is read or parsed.
   */
  async findSummary(work: TenantWork, hubId: string): Promise<HubSummary | null> {
    const rows = await this.database.query(work, { name: 'hub_find_summary', text: this.sql.findSummary }, [work.tenantId, hubId]);
    return rows.length === 0 ? null : (rows[0] as unknown as HubSummary);
  }

  /** The page and the tenant's total in one round trip. */
  async findPage(work: TenantWork, request: PageRequest): Promise<HubPage> {
    const { rows, total } = await this.page(work, request, { name: 'hub_find_page', text: this.sql.findPage });
    return { hubs: rows.filter((row) => row[this.sql.idColumn] != null).map((row) => this.sql.hydrate(row)), total };
  }

  /** `findPage` of summaries, as `findSummary` reads them. */
  async findSummaryPage(work: TenantWork, request: PageRequest): Promise<HubPage<HubSummary>> {
    const { rows, total } = await this.page(work, request, { name: 'hub_find_summary_page', text: this.sql.findSummaryPage });
    return { hubs: rows.filter((row) => row.hubId != null) as unknown as HubSummary[], total };
  }

  private async page(work: TenantWork, { pageNumber, pageSize }: PageRequest, statement: Statement): Promise<{ rows: Row[]; total: number }> {
    const offset = pageNumber * pageSize;
    // A page past any possible row is empty; this also keeps absurd offsets out of SQL.
    const rows = Number.isSafeInteger(offset)
      ? await this.database.query(work, statement, [work.tenantId, pageSize, offset])
      : await this.database.query(work, { name: 'hub_count', text: this.sql.count }, [work.tenantId]);
    return { rows, total: (rows[0]?.total as number | undefined) ?? 0 };
  }

  /**
   * One page of a connection in one statement: `size + 1` rows from the cursor on (the extra row
   * tells whether more follow), and whether any matching hub lies behind the cursor. Each is a
   * range scan of one tenant's order index; a key beyond the cursor is compared as a row value,
   * `(key, hub_id) > (cursor key, cursor id)`, so a cursor whose hub is gone still marks its place.
   */
  async findSlice(work: TenantWork, request: ConnectionRequest): Promise<HubSlice> {
    const { statement, values } = this.sql.slice(request);
    const rows = await this.database.query(work, statement, [work.tenantId, request.size + 1, ...values]);
    const found = rows.filter((row) => row[this.sql.idColumn] !== null && row[this.sql.idColumn] !== undefined);
    const more = found.length > request.size;
    const page = found.slice(0, request.size).map((row) => ({
      hub: this.sql.hydrate(row),
      position: { key: row[CURSOR_KEY] as string, hubId: row[this.sql.idColumn] as string },
    }));
    if (request.backward) page.reverse();
    return { hubs: page, more, behind: rows[0]?.behind === true };
  }

  /** How many of the tenant's hubs match the filter. */
  async count(work: TenantWork, filter: HubFilter): Promise<number> {
    const { statement, values } = this.sql.countMatching(filter);
    const rows = await this.database.query(work, statement, [work.tenantId, ...values]);
    return rows[0]?.total as number;
  }

  /**
   * Changes only the given properties and counts the version up, in one statement; null when the
   * hub does not exist or, with `versions`, when its version is none of them. The version is
   * compared by that same statement (under the row lock its UPDATE takes), so of two writes that
   * name one version, one changes the hub and the other finds it changed.
   */
  async update(work: TenantWork, hubId: string, changes: HubChanges, versions?: readonly number[]): Promise<Hub | null> {
    const { statement, values } = this.sql.update(changes);
    const rows = await nameTakenAs(changes.name, this.database.query(work, statement, [work.tenantId, hubId, versions ?? null, ...values]));
    return rows.length === 0 ? null : this.sql.hydrate(rows[0] as Row);
  }

  /** Deletes and answers the deleted hub, in one statement; null when it did not exist or (with `versions`) had another version. */
  async delete(work: TenantWork, hubId: string, versions?: readonly number[]): Promise<Hub | null> {
    const rows = await this.database.query(work, { name: 'hub_delete', text: this.sql.delete }, [work.tenantId, hubId, versions ?? null]);
    return rows.length === 0 ? null : this.sql.hydrate(rows[0] as Row);
  }
}

/**
 * A unique violation of the name index is the domain's "name taken": the index, not a prior
 * SELECT, decides, so two concurrent creates of one name give one hub and one clean error.
 */
async function nameTakenAs(name: string | undefined, running: Promise<Row[]>): Promise<Row[]> {
  try {
    return await running;
  } catch (error) {
    const driverError = error as { code?: string; constraint?: string };
    if (driverError.code === UNIQUE_VIOLATION && driverError.constraint === HUB_NAME_UNIQUE_INDEX) throw new HubNameTakenError(name ?? '');
    throw error;
  }
}

/** The channel of hubs_announce (migration HubChangeAnnouncements). */
export const HUB_CHANGES_CHANNEL = 'hub_changes';

/** Parts of a long announcement not yet complete are dropped after this long. */
const PART_TIMEOUT_MS = 30_000;
const PART = /^part:([0-9a-f-]{36}):(\d+):(\d+):/;

/**
 * Reads the announcements of hubs_announce: a change as one JSON message, or, when that would
 * not fit a notification, as numbered parts that arrive one after the other and are put together
 * here. Each hub is read as the repository reads rows (the entity's columns).
 */
export class HubAnnouncements {
  private readonly parts = new Map<string, { pieces: string[]; received: number; at: number }>();

  constructor(private readonly hydrate: (row: Row) => Hub) {}

  /** The change a notification completes, if it completes one. */
  read(payload: string): HubChange | undefined {
    const part = PART.exec(payload);
    if (part === null) return this.change(payload);
    const [header, id, index, count] = part as unknown as [string, string, string, string];
    this.forgetStale();
    let entry = this.parts.get(id);
    if (entry === undefined) this.parts.set(id, (entry = { pieces: new Array<string>(Number(count)), received: 0, at: Date.now() }));
    if (entry.pieces[Number(index) - 1] === undefined) entry.received++;
    entry.pieces[Number(index) - 1] = payload.slice(header.length);
    if (entry.received < entry.pieces.length) return undefined;
    this.parts.delete(id);
    return this.change(entry.pieces.join(''));
  }

  private change(message: string): HubChange {
    const { kind, tenantId, hub } = JSON.parse(message) as { kind: HubChangeKind; tenantId: string; hub: Row };
    const read = this.hydrate(hub);
    // JSON has the timestamps as text.
    read.createdAt = new Date(read.createdAt as unknown as string);
    read.updatedAt = new Date(read.updatedAt as unknown as string);
    return { kind, tenantId, hub: read };
  }

  private forgetStale(): void {
    const now = Date.now();
    for (const [id, entry] of this.parts) if (now - entry.at > PART_TIMEOUT_MS) this.parts.delete(id);
  }
}

/** The column of a slice's rows that holds each hub's order key, as text. */
const CURSOR_KEY = 'cursor_key';

/**
 * A timestamp as text to the microsecond, in UTC, whatever the session's DateStyle and TimeZone
 * (a pooler may hand us any session): the cursor's key, read back with `::timestamptz`.
 */
const timestampText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** How each order reads: the column it sorts by, that column as cursor text, and its type for a cursor. */
interface OrderKey {
  readonly column: string;
  readonly text: string;
  readonly type: string;
}

/** LIKE's wildcards and its escape character, matched as themselves. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** The hub statements, derived once from the entity's decorators. */
class HubStatements {
  readonly findOne: string;
  readonly findMany: string;
  readonly findPage: string;
  readonly findSummary: string;
  readonly findSummaryPage: string;
  readonly count: string;
  readonly insert: string;
  readonly delete: string;
  /** Database column of the hub id: null in the one row of an empty page. */
  readonly idColumn: string;
  private readonly table: string;
  private readonly returning: string;
  private readonly key: string;
  private readonly columns: ReadonlyArray<{ property: string; column: string }>;
  /** The quoted database column of a property. */
  private readonly column: (property: keyof Hub) => string;
  private readonly updates = new Map<string, Statement>();
  private readonly slices = new Map<string, Statement>();
  private readonly orderKeys: Readonly<Record<HubOrderField, OrderKey>>;

  constructor() {
    const metadata = getMetadataArgsStorage();
    const table = metadata.tables.find((candidate) => candidate.target === Hub);
    if (table?.name === undefined) throw new Error('Hub is not a TypeORM entity with a table name');
    // TypeORM's default naming: a column is called after its property unless it is given a name.
    this.columns = metadata.columns
      .filter((candidate) => candidate.target === Hub)
      .map((candidate) => ({ property: candidate.propertyName, column: candidate.options.name ?? candidate.propertyName }));
    const column = (property: keyof Hub) => {
      const found = this.columns.find((candidate) => candidate.property === property);
      if (found === undefined) throw new Error(`Hub has no column for '${property}'`);
      return `"${found.column}"`;
    };
    this.column = column;
    this.idColumn = column('hubId').slice(1, -1);
    this.table = `"${table.name}"`;
    this.returning = this.columns.map((c) => `"${c.column}"`).join(', ');
    this.key = `${column('tenantId')} = $1 AND ${column('hubId')} = $2`;
    const tenant = `${column('tenantId')} = $1`;

    this.findOne = `SELECT ${this.returning} FROM ${this.table} WHERE ${this.key}`;
    this.findMany = `SELECT ${this.returning} FROM ${this.table} WHERE ${tenant} AND ${column('hubId')} = ANY($2::uuid[])`;
    this.count = this.countMatching({}).statement.text;
    // Oldest first, then by id, so pages never overlap (CONTRACT.md section 3). The LEFT JOIN keeps
    // one row, carrying the total, when the page itself is empty.
    const page = (selected: string) =>
      `SELECT t.total, h.* FROM (${this.count}) t LEFT JOIN LATERAL (` +
      `SELECT ${selected} FROM ${this.table} WHERE ${tenant} ` +
      `ORDER BY ${column('createdAt')}, ${column('hubId')} LIMIT $2 OFFSET $3) h ON true`;
    this.findPage = page(this.returning);
    const summary = HUB_SUMMARY_FIELDS.map((property) => `${column(property)} AS "${property}"`).join(', ');
    this.findSummary = `SELECT ${summary} FROM ${this.table} WHERE ${this.key}`;
    this.findSummaryPage = page(summary);
    const inserted = ['tenantId', 'hubId', 'name', 'nameKey', 'description', 'closeDormantConversation', 'statusId'] as const;
    this.insert = this.announcing(
      'CREATED',
      `INSERT INTO ${this.table} (${inserted.map(column).join(', ')}) ` + `VALUES (${inserted.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${this.returning}`,
    );
    this.delete = this.announcing('DELETED', `DELETE FROM ${this.table} WHERE ${this.key} AND ${this.versionIn(3)} RETURNING ${this.returning}`);
    const timestampKey = (property: 'createdAt' | 'updatedAt') => ({ column: column(property), text: timestampText(column(property)), type: 'timestamptz' });
    // Names order by their folded key: case-insensitive, and unique in the tenant, like the names.
    this.orderKeys = { createdAt: timestampKey('createdAt'), updatedAt: timestampKey('updatedAt'), name: { column: column('nameKey'), text: column('nameKey'), type: 'text' } };
  }

  /** The filter's conditions, its parameters from `$first` on. */
  private filtered(filter: HubFilter, first: number): { conditions: string[]; values: unknown[]; name: string } {
    const conditions = [`${this.column('tenantId')} = $1`];
    const values: unknown[] = [];
    if (filter.statusId !== undefined) {
      values.push(filter.statusId);
      conditions.push(`${this.column('statusId')} = $${first + values.length - 1}`);
    }
    if (filter.nameContains !== undefined) {
      // Against the folded key, so "case-insensitive" means what uniqueness means, in any locale.
      values.push(`%${likeLiteral(hubNameKey(filter.nameContains))}%`);
      conditions.push(`${this.column('nameKey')} LIKE $${first + values.length - 1} ESCAPE '\\'`);
    }
    return { conditions, values, name: `${filter.statusId === undefined ? '' : 's'}${filter.nameContains === undefined ? '' : 'n'}` };
  }

  countMatching(filter: HubFilter): { statement: Statement; values: unknown[] } {
    const { conditions, values, name } = this.filtered(filter, 2);
    const text = `SELECT count(*)::int AS total FROM ${this.table} WHERE ${conditions.join(' AND ')}`;
    return { statement: { name: `hub_count_${name}`, text, planEachTime: filter.nameContains !== undefined }, values };
  }

  /**
   * A connection page: one named statement per order, direction, cursor and filter shape, so each
   * is planned for exactly its conditions (a generic plan of `$n IS NULL OR ...` could not use the
   * order index's range). `$1` is the tenant, `$2` the row limit.
   */
  slice(request: ConnectionRequest): { statement: Statement; values: unknown[] } {
    const { order, cursor, backward } = request;
    const filter = this.filtered(request.filter, 3);
    const values = [...filter.values];
    const key = this.orderKeys[order.field];
    // Read backward, the page is the order reversed from its end, turned round afterwards.
    const ascending = (order.direction === 'asc') !== backward;
    const id = this.column('hubId');
    let ahead = 'true';
    let behind = 'false';
    if (cursor !== undefined) {
      const at = 3 + values.length;
      values.push(cursor.key, cursor.hubId);
      const place = `(${key.column}, ${id}) %s ($${at}::${key.type}, $${at + 1}::uuid)`;
      ahead = place.replace('%s', ascending ? '>' : '<');
      // The nearest hub behind the cursor, read along the order index from the cursor backward:
      // EXISTS alone lets the planner look for any such row by scanning the table.
      const back = ascending ? 'DESC' : 'ASC';
      behind =
        `COALESCE((SELECT true FROM ${this.table} WHERE ${[...filter.conditions, place.replace('%s', ascending ? '<=' : '>=')].join(' AND ')} ` +
        `ORDER BY ${key.column} ${back}, ${id} ${back} LIMIT 1), false)`;
    }
    const name = `hub_slice_${order.field[0]}${ascending ? 'a' : 'd'}${cursor === undefined ? '' : 'c'}_${filter.name}`;
    let statement = this.slices.get(name);
    if (statement === undefined) {
      const direction = ascending ? 'ASC' : 'DESC';
      const text =
        `SELECT o.behind, h.* FROM (SELECT ${behind} AS behind) o LEFT JOIN LATERAL (` +
        `SELECT ${this.returning}, ${key.text} AS ${CURSOR_KEY} FROM ${this.table} ` +
        `WHERE ${[...filter.conditions, ahead].join(' AND ')} ` +
        `ORDER BY ${key.column} ${direction}, ${id} ${direction} LIMIT $2) h ON true`;
      // A rare substring is found through the trigram index, a common one along the order index:
      // only a plan made for the pattern at hand can tell which.
      this.slices.set(name, (statement = { name, text, planEachTime: request.filter.nameContains !== undefined }));
    }
    return { statement, values };
  }

  /**
   * A write that announces the row it wrote, in its own statement and so in its own transaction
   * (migration HubChangeAnnouncements): delivered to listeners on commit, never on rollback.
   */
  private announcing(kind: HubChangeKind, write: string): string {
    return `WITH changed AS (${write}) SELECT changed.*, hubs_announce('${kind}', changed.${this.column('tenantId')}, row_to_json(changed)) AS announced FROM changed`;
  }

  /** The version is one of the array parameter `$position`, or that parameter is null (no condition). */
  private versionIn(position: number): string {
    return `($${position}::int[] IS NULL OR ${this.column('version')} = ANY($${position}::int[]))`;
  }

  /** An UPDATE of exactly the changed columns; one named statement per set of columns. */
  update(changes: HubChanges): { statement: Statement; values: unknown[] } {
    const stored: Partial<Record<keyof Hub, unknown>> = { ...changes };
    // A new name is a new key: both change in the one statement.
    if (changes.name !== undefined) stored.nameKey = hubNameKey(changes.name);
    const properties = Object.keys(stored).sort() as (keyof Hub)[];
    // Column positions, not property names: PostgreSQL cuts statement names at 63 bytes.
    const name = `hub_update_${properties.map((property) => this.columns.findIndex((c) => c.property === property)).join('_')}`;
    let statement = this.updates.get(name);
    if (statement === undefined) {
      const set = properties.map((property, i) => `${this.column(property)} = $${i + 4}`);
      const version = this.column('version');
      const text = this.announcing(
        'UPDATED',
        `UPDATE ${this.table} SET ${[...set, `${this.column('updatedAt')} = now()`, `${version} = ${version} + 1`].join(', ')} ` +
          `WHERE ${this.key} AND ${this.versionIn(3)} RETURNING ${this.returning}`,
      );
      this.updates.set(name, (statement = { name, text }));
    }
    return { statement, values: properties.map((property) => stored[property]) };
  }

  /** A row (database column names) as an entity. */
  hydrate(row: Row): Hub {
    const hub = new Hub() as unknown as Record<string, unknown>;
    for (const { property, column } of this.columns) hub[property] = row[column];
    return hub as unknown as Hub;
  }
}

